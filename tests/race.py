"""Real processes racing on one run store: helpers for the store and batch tests.

The processes are spawned (a fresh interpreter each, as two ``memo`` commands would be)
and released together by a barrier, round after round, so a race that is lost only now
and then still shows up. This module imports little, so a process starts in about a
second; the targets import what they need themselves.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any


def run_together(
    target: Any, processes: int, rounds: list[Any], *args: Any, timeout: float = 120
) -> list[Any]:
    """Run ``target(rounds, *args, barrier, results)`` in ``processes`` processes at once.

    Each target waits on the barrier before each round and puts one result per round.

    Returns:
        Every result, ``processes × len(rounds)`` of them, in the order they came.
    """
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=target, args=(rounds, *args, barrier, results)) for _ in range(processes)]
    for p in procs:
        p.start()
    try:
        return [results.get(timeout=timeout) for _ in range(processes * len(rounds))]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()


def open_store(urls: list[str], barrier: Any, results: Any) -> None:
    """Open (and so create and migrate) each store in turn, together with the other processes."""
    from pipeline.runs.store import Store

    for url in urls:
        barrier.wait()
        try:
            Store(url).close()
            results.put((url, "ok"))
        except Exception as e:  # reported to the test, which shows it
            results.put((url, f"{e.__class__.__name__}: {e}"))
