"""glibc's malloc arenas, capped while several decodings run at once.

glibc gives each new thread that allocates its own arena (heap), up to eight per core, and
an arena keeps the memory it grew to. On a CPU the model has two CTranslate2 workers, which
batched decoding runs side by side, with sequential re-decodes beside them: the 10-minute
meeting peaked at 1145-1326 MB (four fresh processes, 39-44 s), against 968-1038 MB with two
arenas (36-40 s). Sequential decoding, on one of them, peaked at 843 MB capped.
``MALLOC_ARENA_MAX`` does the same, but only when set before the process starts.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

logger = logging.getLogger(__name__)

ARENAS = 2
"""Arenas glibc may keep once ``limit_arenas`` ran: one per decoding worker."""

_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (``mallopt(M_ARENA_MAX)``) for this process.

    Arenas already made are kept; threads started afterwards share the ``arenas``.
    Returns whether the cap was set: not off Linux or glibc, nor when the user set
    ``MALLOC_ARENA_MAX`` (their setting stands).
    """
    if not sys.platform.startswith("linux") or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library to ask, or not glibc's
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(_M_ARENA_MAX, arenas))
    logger.debug("malloc arenas capped at %d: %s", arenas, done)
    return done
