"""Week batches on a real Ray cluster (two nodes on this machine): exactly once, resumable.

One cluster for the session: a head and a second node (``ray start`` twice, one CPU each;
``bench.raynodes``), stopped by their process groups at the end. The inputs are transcript
JSON files (``memo draft T.json``), so no speech model is loaded and a draft takes a moment.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.draft import DraftOptions
from pipeline.runs import cluster
from pipeline.runs.batch import BatchOptions
from pipeline.runs.claims import claims
from pipeline.runs.store import Store, recordings, runs
from tests.conftest import ROOT

ray = pytest.importorskip("ray", reason="Ray is missing: pip install 'meeting-memo[cluster]'")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """The address of a two-node Ray cluster on this machine (one CPU a node)."""
    from bench.raynodes import ENV, LocalCluster, NodeError

    os.environ.update(ENV)  # this process joins as a driver too
    try:
        nodes = LocalCluster(nodes=2, cpus=1)
    except NodeError as e:
        pytest.skip(f"cannot start a Ray node: {e}")
    try:
        yield nodes.address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        nodes.stop()


def transcripts(folder: Path, n: int, start: int = 0) -> list[Path]:
    """``n`` small transcript JSON files, each a different meeting."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        path = folder / f"meeting{i}.transcript.json"
        segments = [{"id": 0, "start": 0, "end": 2, "text": f"We cover Ohio with {i + 2} trucks."},
                    {"id": 1, "start": 2, "end": 4, "text": "What are your payment terms?"}]  # fmt: skip
        path.write_text(json.dumps({"language": "en", "segments": segments}))
        paths.append(path)
    return paths


def options(out: Path, address: str, workers: int = 2) -> cluster.ClusterOptions:
    return cluster.ClusterOptions(BatchOptions(DraftOptions(outdir=out), workers=workers), address)


def done_runs(store: Store) -> dict[str, int]:
    """Done runs per recording (sha256)."""
    query = (
        sa.select(recordings.c.sha256, sa.func.count())
        .join(runs, runs.c.recording_id == recordings.c.id)
        .where(runs.c.status == "done")
        .group_by(recordings.c.sha256)
    )
    with store.engine.connect() as conn:
        return {sha: int(n) for sha, n in conn.execute(query)}


def test_a_week_is_drafted_exactly_once_on_two_nodes_and_not_again(
    ray_cluster: str, store_url: str, tmp_path: Path
) -> None:
    store = Store(store_url)
    inputs = transcripts(tmp_path / "in", 8)
    report = cluster.run_cluster_batch(inputs, options(tmp_path / "out", ray_cluster), store)
    assert [i.status for i in report.items] == ["done"] * 8, [i.error for i in report.items]
    assert [i.source for i in report.items] == inputs
    assert all(i.memo is not None and i.memo.is_file() for i in report.items)
    assert sorted(done_runs(store).values()) == [1] * 8
    again = cluster.run_cluster_batch(inputs, options(tmp_path / "out", ray_cluster), store)
    assert {i.status for i in again.items} == {"skipped"}
    assert sorted(done_runs(store).values()) == [1] * 8
    store.close()


def test_a_killed_actor_gives_its_recording_back_and_it_is_finished(
    ray_cluster: str, postgres_url: str, tmp_path: Path
) -> None:
    store = Store(postgres_url)
    inputs = transcripts(tmp_path / "in", 6)
    dispatcher = cluster.Dispatcher(options(tmp_path / "out", ray_cluster), store, preload=False)
    try:
        pids = ray.get([actor.pid.remote() for actor in dispatcher.actors], timeout=60)
        os.kill(pids[0], signal.SIGKILL)  # the first recording goes to this actor
        from pipeline.runs.recorded import check

        recs = [check(store, p, dispatcher.draft_options) for p in inputs]
        items = list(dispatcher.run(recs))  # type: ignore[arg-type]
    finally:
        dispatcher.close()
    assert sorted(i.status for i in items) == ["done"] * 6, [i.error for i in items]
    assert sorted(done_runs(store).values()) == [1] * 6
    with store.engine.connect() as conn:
        attempts = sorted(conn.execute(sa.select(claims.c.attempts)).scalars())
    assert attempts == [1] * 5 + [2]  # one recording went to an actor twice
    store.close()


def test_a_recording_whose_actor_dies_twice_is_failed_with_the_reason(
    ray_cluster: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.actors import DyingDrafter

    monkeypatch.setattr(cluster, "Drafter", DyingDrafter)
    store = Store(postgres_url)
    inputs = transcripts(tmp_path / "in", 1)
    report = cluster.run_cluster_batch(inputs, options(tmp_path / "out", ray_cluster, workers=1), store)
    (item,) = report.items
    assert item.status == "failed" and "died 2 times" in item.error, item.error
    with store.engine.connect() as conn:
        run = conn.execute(sa.select(runs.c.status, runs.c.error)).one()
        claim = conn.execute(sa.select(claims.c.status, claims.c.attempts)).one()
    assert run.status == "failed" and "died 2 times" in run.error
    assert (claim.status, claim.attempts) == ("failed", 2)
    store.close()


def _driver(inputs: list[Path], out: Path, url: str, address: str) -> subprocess.Popen[str]:
    """``memo batch … --ray ADDRESS`` in a process of its own (one actor)."""
    cmd = [sys.executable, "-m", "pipeline", "batch", *map(str, inputs), "-o", str(out), "--db", url,
           "--ray", address, "--workers", "1"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env=os.environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip


def test_a_killed_driver_started_again_drafts_only_the_rest(
    ray_cluster: str, postgres_url: str, tmp_path: Path
) -> None:
    inputs = transcripts(tmp_path / "in", 12)
    out = tmp_path / "out"
    first = _driver(inputs, out, postgres_url, ray_cluster)
    deadline = time.time() + 90
    while len(list(out.glob("*.memo.docx"))) < 2 and time.time() < deadline and first.poll() is None:
        time.sleep(0.05)
    first.kill()
    first.communicate(timeout=30)
    time.sleep(2)  # its actor goes with it
    # The store decides what is done. An actor killed after writing a memo but before
    # recording its run leaves a memo that is not done: that one is drafted again.
    store = Store(postgres_url)
    recorded = set(done_runs(store))
    store.close()
    memo_of = {
        hashlib.sha256(p.read_bytes()).hexdigest(): out / p.name.replace(".transcript.json", ".memo.docx")
        for p in inputs
    }
    before = {memo_of[sha]: memo_of[sha].stat().st_mtime_ns for sha in recorded}
    assert len(list(out.glob("*.memo.docx"))) >= 2 and 1 <= len(before) < 12, "not stopped half-way"
    second = _driver(inputs, out, postgres_url, ray_cluster)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    assert f"{12 - len(before)} drafted, {len(before)} skipped, 0 failed" in output, output
    for memo, mtime in before.items():  # done once: not written again
        assert memo.stat().st_mtime_ns == mtime, memo
    store = Store(postgres_url)
    assert sorted(done_runs(store).values()) == [1] * 12
    store.close()


def test_two_drivers_on_one_week_never_draft_a_recording_twice(
    ray_cluster: str, postgres_url: str, tmp_path: Path
) -> None:
    inputs = transcripts(tmp_path / "in", 8)
    out = tmp_path / "out"
    Store(postgres_url).close()  # created before the race (the race of creating it is test_store's)
    drivers = [_driver(inputs, out, postgres_url, ray_cluster) for _ in range(2)]
    outputs = [d.communicate(timeout=150)[0] for d in drivers]
    assert [d.returncode for d in drivers] == [0, 0], outputs
    drafted = [line.split()[1] for text in outputs for line in text.splitlines() if line.startswith("done ")]
    assert sorted(drafted) == sorted(str((out / f"meeting{i}.memo.docx").resolve()) for i in range(8))
    store = Store(postgres_url)
    assert sorted(done_runs(store).values()) == [1] * 8
    store.close()


def test_a_watcher_hands_a_settled_recording_to_the_cluster(
    ray_cluster: str, postgres_url: str, tmp_path: Path
) -> None:
    from pipeline.runs.watch import Watcher, watch_options

    inbox = tmp_path / "inbox"
    (path,) = transcripts(inbox, 1)
    store = Store(postgres_url)
    wopts = watch_options(BatchOptions(), inbox)
    dispatcher = cluster.Dispatcher(cluster.ClusterOptions(wopts.batch, ray_cluster), store, preload=False)
    try:
        item = Watcher(inbox, wopts, store, drafter=dispatcher.draft).process(path)
    finally:
        dispatcher.close()
    assert item.status == "done", item.error
    assert item.memo == (inbox / "memos" / "meeting0.memo.docx").resolve() and item.memo.is_file()
    assert item.source == path
    store.close()


def test_an_actor_that_cannot_load_its_model_is_one_error_not_a_failed_week(
    ray_cluster: str, tmp_path: Path
) -> None:
    from dataclasses import replace

    from pipeline.asr.transcribe import TranscribeOptions
    from pipeline.errors import ClusterError

    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    opts = options(tmp_path / "out", ray_cluster, workers=1)
    draft = replace(opts.batch.draft, transcribe=TranscribeOptions(model="no-such-model"))
    with pytest.raises(ClusterError, match=r"an actor could not start on the cluster: .*no-such-model"):
        cluster.Dispatcher(replace(opts, batch=replace(opts.batch, draft=draft)), store)
    store.close()
