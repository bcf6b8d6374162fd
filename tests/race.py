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


def start_runs(rounds: list[tuple[str, list[str]]], barrier: Any, results: Any) -> None:
    """Each round, record the start of a run for each of the same new recordings as the others."""
    from pathlib import Path

    from pipeline.runs.store import Recording, Store

    for url, shas in rounds:
        store = Store(url)
        barrier.wait()
        try:
            ids = [
                store.start_run(
                    Recording(sha, Path(f"/in/{sha[:8]}.wav"), 100),
                    command="batch",
                    settings={"model": "base"},
                    memo_path=Path(f"/out/{sha[:8]}.memo.docx"),
                )
                for sha in shas
            ]
            results.put((url, ids))
        except Exception as e:
            results.put((url, f"{e.__class__.__name__}: {e}"))
        finally:
            store.close()


def batch(rounds: list[tuple[str, list[str], str]], barrier: Any, results: Any) -> None:
    """Each round, run a batch (drafted by ``FakeDraft``) over the same recordings as the others."""
    from pathlib import Path

    from pipeline.draft import DraftOptions
    from pipeline.runs.batch import BatchOptions, run_batch
    from pipeline.runs.store import Store
    from tests.test_batch import FakeDraft

    for url, inputs, outdir in rounds:
        store = Store(url)
        barrier.wait()
        try:
            options = BatchOptions(draft=DraftOptions(outdir=Path(outdir)))
            report = run_batch([Path(p) for p in inputs], options, store, draft_fn=FakeDraft())
            results.put((url, [i.status for i in report.items]))
        except Exception as e:
            results.put((url, f"{e.__class__.__name__}: {e}"))
        finally:
            store.close()
