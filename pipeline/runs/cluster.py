"""A week (or a drop folder) drafted on a Ray cluster: the same draft path, on actors.

One actor per worker, each holding the speech model loaded once and a connection to the
run store; an actor's ``num_cpus`` is CTranslate2's ``cpu_threads``, so Ray places as many
actors on a node as it has cores for (an actor without ``num_cpus`` would run
single-threaded: Ray sets ``OMP_NUM_THREADS=1`` for it). Recordings travel by path, never
as audio: every node must see the recordings and the output folder at the same paths
(shared storage), and the store must be one every node reaches (PostgreSQL).

The store is the queue's truth (``claims``): a driver claims each recording before it
hands it to an actor, so two drivers on one week never draft a recording twice, a driver
killed and started again takes over its dead claims and drafts only the rest, and an
actor that dies gives its recording back to the queue once; a second death marks the
run failed with the reason. Each actor runs ``recorded.run_one`` (the recorded-run
sequence) and records the outcome itself, so a memo written is recorded even when its
driver is gone.

Ray is imported only here, and only when used: ``memo --help`` stays fast and a missing
``cluster`` extra is a one-line error.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..draft import DraftOptions
from ..errors import ClusterError
from ..outputs import is_transcript
from . import recorded
from .batch import BatchOptions, BatchReport, Event, Finished, Planned, in_order, plan, probe_duration
from .claims import LEASE_S, MAX_ATTEMPTS, Claim, Claims, new_owner
from .recorded import Item, RunSettings
from .store import Recording, Store, utcnow

logger = logging.getLogger(__name__)

LOCAL = "local"
"""``--ray`` without an address: a Ray instance started (and stopped) by this process."""

INSTALL = "Ray is not installed; install it with: pip install 'meeting-memo[cluster]'"


@dataclass(frozen=True)
class ClusterOptions:
    """Settings of a batch on Ray.

    Attributes:
        batch: how each recording is drafted (``workers``: actors; 0 fills the cluster).
        address: a running cluster (``HOST:PORT`` of its head), or ``local``.
        threads: CTranslate2 threads per actor, and so its ``num_cpus``; 0: the settings'
            ``cpu_threads``, else 1.
        lease_s: how long a claim lasts unless its driver renews it.
    """

    batch: BatchOptions = dataclasses.field(default_factory=BatchOptions)
    address: str = LOCAL
    threads: int = 0
    lease_s: float = LEASE_S


def _ray() -> Any:
    try:
        import ray
    except ModuleNotFoundError as e:
        raise ClusterError(INSTALL) from e
    return ray


def connect(address: str = LOCAL) -> Any:
    """Join the cluster at ``address`` (or start a local Ray instance); the ``ray`` module.

    Raises:
        ClusterError: Ray is missing or the cluster cannot be reached.
    """
    ray = _ray()
    _reachable(address)
    if ray.is_initialized():  # joined before, in this process (watchers, tests)
        return ray
    # Actors run the driver's code: the folder holding this ``pipeline`` package goes first
    # on their path (a source checkout beside an installed copy; the same path on every node).
    code = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (code, os.environ.get("PYTHONPATH", "")) if p)
    try:
        ray.init(
            address=address,  # "local": a new instance, even where a cluster runs
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": path}},
        )
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = "a local Ray instance" if address == LOCAL else f"the Ray cluster at {address}"
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise ClusterError(
            f"cannot join {where} ({first}); start its head with `ray start --head` and give "
            "--ray HOST:PORT as it prints"
        ) from e
    return ray


def _reachable(address: str) -> None:
    """Fail in seconds on a head that is not there (``ray.init`` retries for a minute)."""
    host, _, port = address.rpartition(":")
    if address in (LOCAL, "auto") or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as e:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address} ({e.strerror or e}); start its head with "
            "`ray start --head` and give --ray HOST:PORT as it prints"
        ) from e


# -- the actor --------------------------------------------------------------------------------


class Drafter:
    """One worker on the cluster (a Ray actor): the model loaded once, drafts by path.

    Args:
        store_url: the run store every node reaches.
        preload: load this model now (the first recording is not slower; a bad model fails
            here); ``None`` when only transcripts are drafted.
    """

    def __init__(self, store_url: str, preload: DraftOptions | None = None) -> None:
        logging.basicConfig(level=logging.WARNING)
        self.store = Store(store_url)
        if preload is not None:
            from ..asr.transcribe import model_for

            t = preload.transcribe
            model_for(t)

    def pid(self) -> int:
        """This actor's process id (tests kill it)."""
        return os.getpid()

    def draft(self, rec: Recording, run_id: int, options: DraftOptions) -> Item:
        """Draft a started run with the recorded-run sequence; what became of it (paths only)."""
        _result, item = recorded.run_one(self.store, rec, run_id, options)
        return item


class Pool:
    """The actors of one driver; a dead one is replaced by a new one."""

    def __init__(self, ray: Any, size: int, threads: int, store_url: str, preload: DraftOptions | None):
        self.ray = ray
        self.threads = threads
        self.args = (store_url, preload)
        # max_restarts=0: a dead actor's recording is retried by the driver, which counts it.
        self.cls = ray.remote(Drafter).options(num_cpus=threads, max_restarts=0)
        self.idle: list[Any] = [self.cls.remote(*self.args) for _ in range(size)]
        self.actors: list[Any] = list(self.idle)

    def replace(self, dead: Any) -> None:
        """Forget ``dead``; a new actor takes its place."""
        self.actors = [a for a in self.actors if a is not dead]
        fresh = self.cls.remote(*self.args)
        self.actors.append(fresh)
        self.idle.append(fresh)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)


def _threads(ray: Any, options: ClusterOptions) -> tuple[int, int]:
    """(actors, threads each), fitted to the cluster's nodes."""
    threads = options.threads or options.batch.draft.transcribe.cpu_threads or 1
    cpus = [int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
    if not cpus or max(cpus) < threads:
        raise ClusterError(
            f"no node of the cluster has {threads} CPUs for one actor (nodes: {cpus or 'none'}); "
            "give fewer threads"
        )
    actors = options.batch.workers or sum(c // threads for c in cpus)
    return max(1, actors), threads


# -- the driver --------------------------------------------------------------------------------


@dataclass
class _Job:
    given: Path  # the input as given, for the report
    rec: Recording  # its paths absolute: an actor's working folder is not the driver's
    claim: Claim | None = None
    run_id: int | None = None
    attempts: int = 0

    @classmethod
    def of(cls, rec: Recording) -> _Job:
        where = dataclasses.replace(
            rec, path=rec.path.resolve(), transcript=rec.transcript.resolve() if rec.transcript else None
        )
        return cls(rec.source, where)


def _absolute(options: DraftOptions) -> DraftOptions:
    outdir = options.outdir.resolve() if options.outdir else None
    templates = options.template_dir.resolve() if options.template_dir else None
    return dataclasses.replace(options, outdir=outdir, template_dir=templates)


class Dispatcher:
    """Claims recordings, hands them to actors, retries a dead actor's recording once.

    Used by ``run_cluster_batch`` (a week) and by ``memo watch --ray`` (one settled
    recording at a time, with ``draft``).
    """

    def __init__(self, options: ClusterOptions, store: Store, preload: bool = True) -> None:
        self.options = options
        self.store = store
        self.ray = connect(options.address)
        actors, threads = _threads(self.ray, options)
        tr = dataclasses.replace(options.batch.draft.transcribe, cpu_threads=threads)
        self.draft_options = _absolute(dataclasses.replace(options.batch.draft, transcribe=tr))
        self.key = RunSettings.of(self.draft_options).key
        self.claims = Claims(store, new_owner(), options.lease_s, utcnow())
        self.pool = Pool(self.ray, actors, threads, store.url, self.draft_options if preload else None)
        self._first_ready()
        logger.info("%d actors of %d threads on the cluster", actors, threads)
        self._renewed = time.monotonic()

    def _first_ready(self) -> None:
        """Wait for one actor to be up: one that cannot start (no store there, no model) would
        fail every recording twice; it is one line now instead.

        Raises:
            ClusterError: the first actor to answer could not start.
        """
        from ray.exceptions import RayActorError

        calls = [actor.pid.remote() for actor in self.pool.actors]
        ready, _ = self.ray.wait(calls, num_returns=1)
        try:
            self.ray.get(ready[0])
        except RayActorError as e:
            self.close()
            cause = getattr(e, "error_msg", "") or str(e)
            why = next((ln for ln in reversed(cause.splitlines()) if "Error" in ln), _first_line(e))
            raise ClusterError(f"an actor could not start on the cluster: {why.strip()}") from e

    @property
    def actors(self) -> list[Any]:
        return self.pool.actors

    def run(self, recs: Iterable[Recording], since: float | None = None) -> Iterator[Item]:
        """Draft ``recs`` on the actors; each one's ``Item`` as it finishes (any order)."""
        queue: deque[_Job] = deque(_Job.of(rec) for rec in recs)
        inflight: dict[Any, tuple[_Job, Any]] = {}
        since = time.time() if since is None else since
        try:
            while queue or inflight:
                while queue and self.pool.idle:
                    job = queue.popleft()
                    skipped = self._hand_over(job, since, inflight)
                    if skipped is not None:
                        yield skipped
                if not inflight:
                    continue
                ready, _ = self.ray.wait(list(inflight), num_returns=1, timeout=1.0)
                self._renew()
                for ref in ready:
                    job, actor = inflight.pop(ref)
                    item = self._outcome(ref, job, actor, queue)
                    if item is not None:
                        yield item
        except BaseException:
            # Interrupted: nothing half-drafted is recorded; the claims go back at once.
            recorded.mark_interrupted(self.store, [j.run_id for j, _a in inflight.values() if j.run_id])
            self.claims.release_all()
            raise

    def draft(self, rec: Recording) -> Item:
        """Draft one recording on the cluster and wait for it (``memo watch --ray``)."""
        (item,) = self.run([rec])
        return item

    def close(self) -> None:
        """Stop the actors."""
        self.pool.close()

    def _hand_over(self, job: _Job, since: float, inflight: dict[Any, tuple[_Job, Any]]) -> Item | None:
        if job.claim is None:
            got = self.claims.take(job.rec.sha256, self.key)
            if isinstance(got, str):
                return self._skipped(job, got)
            job.claim = got
        if job.run_id is None:
            command = self.options.batch.command
            job.run_id = recorded.start(self.store, job.rec, self.draft_options, command, since)
        else:  # a retry: what the dead actor left half-written goes
            recorded.remove_stale_parts(job.rec.source, self.draft_options, time.time())
        job.attempts = self.claims.hand_over(job.claim, job.run_id)
        actor = self.pool.idle.pop()
        inflight[actor.draft.remote(job.rec, job.run_id, self.draft_options)] = (job, actor)
        return None

    def _outcome(self, ref: Any, job: _Job, actor: Any, queue: deque[_Job]) -> Item | None:
        from ray.exceptions import (
            NodeDiedError,
            OutOfMemoryError,
            RayActorError,
            RayTaskError,
            WorkerCrashedError,
        )

        assert job.claim is not None and job.run_id is not None
        try:
            item: Item = self.ray.get(ref)
        except (RayActorError, WorkerCrashedError, NodeDiedError, OutOfMemoryError) as e:  # its process died
            self.pool.replace(actor)
            why = _first_line(e)
            if job.attempts < MAX_ATTEMPTS:
                logger.warning("the actor drafting %s died (%s); trying again", job.rec.source, why)
                queue.appendleft(job)
                return None
            error = f"{job.rec.source}: the actor drafting it died {job.attempts} times ({why})"
            self.store.fail_run(job.run_id, error, 0.0)
            self.claims.finish(job.claim, "failed", error)
            return Item(job.given, "failed", job.rec.sha256, error=error, run_id=job.run_id)
        except RayTaskError as e:  # the actor lives, but its store failed it
            self.pool.idle.append(actor)
            error = f"{job.rec.source}: {_first_line(e.cause) if e.cause else _first_line(e)}"
            self.store.fail_run(job.run_id, error, 0.0)
            self.claims.finish(job.claim, "failed", error)
            return Item(job.given, "failed", job.rec.sha256, error=error, run_id=job.run_id)
        self.pool.idle.append(actor)
        self.claims.finish(job.claim, "done" if item.status == "done" else "failed", item.error or None)
        return dataclasses.replace(item, source=job.given)

    def _skipped(self, job: _Job, why: str) -> Item:
        done = self.store.latest_run(job.rec.sha256, self.key, "done")
        memo = Path(done.memo_path) if done is not None and done.memo_path else None
        return Item(job.given, "skipped", job.rec.sha256, memo=memo, note=why,
                    run_id=done.id if done is not None else None)  # fmt: skip

    def _renew(self) -> None:
        if time.monotonic() - self._renewed >= self.options.lease_s / 3:
            self.claims.renew()
            self._renewed = time.monotonic()


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else e.__class__.__name__


def run_cluster_batch(
    inputs: Iterable[Path],
    options: ClusterOptions,
    store: Store,
    on_event: Callable[[Event], None] | None = None,
) -> BatchReport:
    """``run_batch`` on a Ray cluster: the same checks, events and report.

    Args:
        inputs: recordings (or transcript JSON files), already expanded, on storage every
            node sees at the same path.
        options: the batch and the cluster.
        store: the run store (PostgreSQL when actors on several machines write).
        on_event: called with ``Planned`` and ``Finished`` events (no per-segment progress).

    Raises:
        ClusterError: Ray is missing, or the cluster cannot be reached or used.
    """
    emit = on_event or (lambda _e: None)
    started = time.time()
    paths = list(inputs)
    durations = {p: probe_duration(p) for p in paths}
    emit(Planned(len(paths), sum(durations.values())))
    items, recs = plan(paths, options.batch, store, emit, durations)
    if recs:
        audio = any(not is_transcript(r.source) for r in recs)
        dispatcher = Dispatcher(options, store, preload=audio)
        try:
            for item in dispatcher.run(recs, started):
                if not item.duration_s:  # failed or skipped: the header's length, for the roll-up
                    item = dataclasses.replace(item, duration_s=durations.get(item.source, 0.0))
                items.append(item)
                emit(Finished(item))
        finally:
            dispatcher.close()
    return BatchReport(in_order(items, paths), time.time() - started)
