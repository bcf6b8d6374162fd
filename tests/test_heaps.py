"""glibc's malloc arenas are capped for the model's decoding workers (``asr.heaps``).

Each case runs in a fresh interpreter: an arena, once made, stays for the process's life.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from tests.conftest import SAMPLES

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc's arenas"
)

# Eight threads each allocate at once (ctypes releases the GIL); glibc's malloc_stats then
# prints one "Arena N:" block per arena to stderr.
_ARENAS = """
import ctypes, sys, threading
from pipeline.asr.heaps import limit_arenas
if sys.argv[1] == "cap":
    print(limit_arenas(), flush=True)
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
start = threading.Barrier(8)
def allocate():
    start.wait()
    for _ in range(20000):
        libc.malloc(64)
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.malloc_stats()
"""


def _child(code: str, *args: str, **env: str) -> tuple[str, int]:
    """What a fresh interpreter running ``code`` printed, and how many arenas it had."""
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=environ
    )
    return done.stdout.strip(), done.stderr.count("Arena ")


def test_threads_allocating_at_once_share_two_arenas_once_capped() -> None:
    assert _child(_ARENAS, "free")[1] > 2  # glibc's own way: an arena per thread, up to 8 a core
    said, arenas = _child(_ARENAS, "cap")
    assert said == "True" and arenas <= 2


def test_the_users_malloc_arena_max_stands() -> None:
    said, arenas = _child(_ARENAS, "cap", MALLOC_ARENA_MAX="3")
    assert said == "False" and arenas == 3


@pytest.mark.e2e
def test_batched_decoding_of_a_sample_keeps_two_arenas() -> None:
    """The real model, two workers: uncapped, this process had 7 arenas."""
    code = (
        "import ctypes\n"
        "from pipeline.asr.transcribe import TranscribeOptions, transcribe\n"
        f"transcribe({str(SAMPLES / 'en-meeting.mp3')!r}, TranscribeOptions(batch_size=8, cpu_threads=2))\n"
        "ctypes.CDLL(None).malloc_stats()\n"
    )
    assert _child(code)[1] <= 2
