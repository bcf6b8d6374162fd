"""Threads of the model's CTranslate2 workers, by the CPU (``pipeline.asr.threads``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.asr.threads import has_amx, worker_threads

FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep avx2 avx512f avx512_vnni"


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\n", "ascii")
    return path


def test_amx_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    assert has_amx(_cpuinfo(tmp_path, FLAGS + " amx_bf16 amx_tile amx_int8")) is True


def test_avx512_vnni_alone_is_not_amx(tmp_path: Path) -> None:
    assert has_amx(_cpuinfo(tmp_path, FLAGS + " amx_tile")) is False


def test_a_cpu_that_cannot_be_read_is_not_amx(tmp_path: Path) -> None:
    assert has_amx(tmp_path / "missing") is False


@pytest.mark.parametrize(
    ("threads", "workers", "amx", "each"),
    [
        (2, 2, True, 1),  # AMX: a second thread inside a decoding costs more than it gains
        (2, 2, False, 2),  # AVX2: each worker uses both cores while the other waits
        (8, 2, True, 4),
        (1, 1, False, 1),
        (2, 1, True, 2),  # one worker has every thread, whatever the CPU
    ],
)
def test_each_worker_gets_its_share_with_amx_and_every_thread_without(
    threads: int, workers: int, amx: bool, each: int
) -> None:
    assert worker_threads(threads, workers, amx) == each


def test_this_machine_is_read() -> None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo (not Linux)")
    expected = "amx_int8" in cpuinfo.read_text("ascii", "replace").split()
    assert worker_threads(2, 2) == (1 if expected else 2)
