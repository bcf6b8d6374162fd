"""How a CPU's threads are shared among the model's CTranslate2 workers.

On a CPU the model has two workers (``options.DECODE_WORKERS``): batched decoding runs them
side by side, sequential decoding runs on one. Whether each worker gets its share of the
threads or all of them depends on how fast the CPU multiplies int8 matrices. Measured on
two 2-core machines, the 10-minute meeting, a fresh process each run:

- **AMX** (int8 tile instructions): a decoding step is so short that a second thread inside
  it costs more than it gains. Sequential decoding took 78-80 s on one thread and 89-93 s on
  two (CPU 79-81 s against 112-117 s), so each worker gets its share: one thread on 2 cores.
- **AVX2 only**: the matrix products are most of a step, and a second thread pays.
  Sequential decoding took 99-120 s on two threads against 147-183 s on one. Batched
  decoding took 92-104 s with two workers of two threads each, against 104-115 s with one
  thread each: while one worker waits or mends, the other uses both cores. So each worker
  gets all the threads. (The words differ only where a re-decode samples: 928-931 against
  899 in the bench, 854 and 854 in one timed run each.)

CPUs with more cores, and those with AVX-512 VNNI but no AMX, were not measured; they get
AVX2's rule, which is CTranslate2's own (a worker takes every thread it is given).
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["has_amx", "worker_threads"]

CPUINFO = Path("/proc/cpuinfo")


@functools.cache
def has_amx(cpuinfo: Path = CPUINFO) -> bool:
    """Whether the CPU has AMX int8 instructions (the ``amx_int8`` flag of Linux's cpuinfo);
    ``False`` where that cannot be read (not Linux)."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return "amx_int8" in flags.split()


def worker_threads(threads: int, workers: int, amx: bool | None = None) -> int:
    """CTranslate2 threads of each of ``workers`` workers, ``threads`` on the CPU in all.

    Args:
        amx: whether the CPU has AMX; ``None`` asks ``has_amx``.
    """
    if amx is None:
        amx = has_amx()
    return max(1, threads // workers) if amx else max(1, threads)
