"""A team's week of recordings: draft each once, resumably, on N processes, recorded in the store.

A recording is known by its content (sha256), not its name: with the same settings, a
recording already drafted (its memo still there) is skipped, also when renamed or copied
again. A batch killed at any point and started again finishes the rest; a memo written
just before the kill, but not yet recorded, is recognised from its outputs and recorded
instead of drafted again. Each input's failure is recorded with its reason and the
batch goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import glob
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..asr.probe import declared_duration
from ..draft import DraftFailure, DraftFn, DraftOptions, draft, meeting_date, name_clash, safe_draft
from ..errors import InputError
from ..outputs import is_transcript, output_paths
from . import recorded
from .recorded import Item, Status, is_recording
from .store import MeetingRow, Recording, Store

logger = logging.getLogger(__name__)

__all__ = ["Advanced", "BatchOptions", "BatchReport", "Event", "Finished", "Item", "Planned", "Status",
           "expand_inputs", "is_recording", "probe_duration", "rollup_rows", "run_batch"]  # fmt: skip


@dataclass(frozen=True)
class BatchOptions:
    """Settings of ``memo batch`` (and of each file ``memo watch`` drafts).

    Attributes:
        draft: how each file is drafted.
        workers: processes drafting at once, each loading the model once.
        force: draft again even recordings already drafted with these settings.
        command: recorded with each run (``batch`` or ``watch``).
    """

    draft: DraftOptions = field(default_factory=DraftOptions)
    workers: int = 1
    force: bool = False
    command: str = "batch"


@dataclass(frozen=True)
class Planned:
    """Event: the batch knows its inputs and their total audio length."""

    files: int
    audio_s: float


@dataclass(frozen=True)
class Advanced:
    """Event: ``done_s`` of ``total_s`` seconds of one input's audio transcribed."""

    source: Path
    done_s: float
    total_s: float


@dataclass(frozen=True)
class Finished:
    """Event: one input is done, skipped or failed."""

    item: Item


Event = Planned | Advanced | Finished


@dataclass(frozen=True)
class BatchReport:
    """Every input's outcome and the batch's figures."""

    items: tuple[Item, ...]
    seconds: float

    @property
    def failed(self) -> int:
        return sum(i.status == "failed" for i in self.items)

    @property
    def drafted_audio_s(self) -> float:
        return sum(i.duration_s for i in self.items if i.status == "done")


# -- inputs and settings --------------------------------------------------------------------


def expand_inputs(args: Iterable[str | Path]) -> list[Path]:
    """Paths, folders (their recordings) and glob patterns to a list of inputs, each once.

    A path that is not there is kept, so it fails with its reason while the others are
    drafted.

    Raises:
        InputError: a pattern matches no file, or nothing given is there to draft (a typo,
            more likely than a week without meetings); nothing has been written yet.
    """
    args = list(args)
    found: list[Path] = []
    for arg in args:
        text = str(arg)
        if glob.has_magic(text):
            matches = [Path(p) for p in sorted(glob.glob(os.path.expanduser(text), recursive=True))]
            files = [p for p in matches if p.is_file()]
            if not files:
                raise InputError(f"{text}: matches no file; check the pattern")
            found.extend(files)
        elif Path(text).is_dir():
            found.extend(p for p in sorted(Path(text).iterdir()) if is_recording(p))
        else:
            found.append(Path(text))
    if not any(p.exists() for p in found):
        raise _nothing_there(args)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _nothing_there(args: list[str | Path]) -> InputError:
    if len(args) > 1:
        return InputError(f"none of the {len(args)} inputs is there ({args[0]}, …); check the paths")
    if Path(args[0]).is_dir():
        return InputError(f"{args[0]}: holds no recording; check the folder")
    return InputError(f"{args[0]}: no such file; check the path")


def probe_duration(path: Path) -> float:
    """Length of a recording from its header (ffmpeg, no decoding); 0.0 when unknown."""
    return 0.0 if is_transcript(path) else declared_duration(path) or 0.0


# -- worker processes -----------------------------------------------------------------------

_queue: Any = None


def _init_worker(queue: Any, level: int) -> None:
    global _queue
    _queue = queue
    logging.basicConfig(level=level)


def _work(path: Path, options: DraftOptions) -> Any:
    last = [0.0]

    def progress(done: float, total: float) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done >= total:
            last[0] = now
            _queue.put((str(path), done, total))

    return safe_draft(draft, path, options, progress)


WORKER_BYTES = 1_500_000_000
"""Memory one worker may need: the model, speaker labels and a long recording (bench item 3:
peak 1.2 GB drafting 10 minutes); workers beyond what memory holds are not started."""


def default_workers() -> int:
    """Workers for a local batch: one per core, each decoding with one thread, as many as the
    available memory holds.

    CTranslate2 gains less from a second thread than a second process gains from a second
    core (and ffmpeg, VAD, speakers and notes run on one thread): on 2 quiet cores, 2 workers
    x 1 thread drafted 13.7 audio hours per hour against 7.7 for 1 worker x 2 threads
    (``python -m bench.batch``, 6 recordings, 14.4 min).
    """
    cores = os.cpu_count() or 1
    try:
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return cores
    return max(1, min(cores, free // WORKER_BYTES))


def _threads_each(options: DraftOptions, workers: int) -> DraftOptions:
    if workers <= 1 or options.transcribe.cpu_threads:
        return options
    threads = max(1, (os.cpu_count() or 1) // workers)
    return dataclasses.replace(
        options, transcribe=dataclasses.replace(options.transcribe, cpu_threads=threads)
    )


# -- the batch --------------------------------------------------------------------------------


def run_batch(
    inputs: Iterable[Path],
    options: BatchOptions,
    store: Store,
    on_event: Callable[[Event], None] | None = None,
    draft_fn: DraftFn | None = None,
) -> BatchReport:
    """Draft every input not drafted before with these settings; record each run.

    Args:
        inputs: recordings (or transcript JSON files), already expanded.
        options: batch settings.
        store: the run store.
        on_event: called with ``Planned``, ``Advanced`` and ``Finished`` events (progress bars).
        draft_fn: replaces ``draft`` (tests); only with ``workers == 1``.
    """
    emit = on_event or (lambda _e: None)
    started = time.time()
    paths = list(inputs)
    durations = {p: probe_duration(p) for p in paths}
    emit(Planned(len(paths), sum(durations.values())))
    items, recs = plan(paths, options, store, emit, durations)
    todo = [(rec, recorded.start(store, rec, options.draft, options.command, started)) for rec in recs]
    try:
        for item in _draft_all(todo, options, store, emit, draft_fn):
            if not item.duration_s:  # failed: the header's length, for the progress and roll-up
                item = dataclasses.replace(item, duration_s=durations.get(item.source, 0.0))
            items.append(item)
            emit(Finished(item))
    except BaseException:
        done_ids = {i.run_id for i in items}
        recorded.mark_interrupted(store, [run_id for _rec, run_id in todo if run_id not in done_ids])
        raise
    return BatchReport(in_order(items, paths), time.time() - started)


def in_order(items: list[Item], paths: list[Path]) -> tuple[Item, ...]:
    """The items in the order their inputs were given."""
    order = {p: n for n, p in enumerate(paths)}
    return tuple(sorted(items, key=lambda i: order.get(i.source, len(order))))


def plan(
    paths: list[Path],
    options: BatchOptions,
    store: Store,
    emit: Callable[[Event], None],
    durations: dict[Path, float],
) -> tuple[list[Item], list[Recording]]:
    """Check every input: the items that need no drafting (emitted as ``Finished``), and the
    recordings to draft, each content once and each memo name once."""
    items: list[Item] = []
    todo: list[Recording] = []
    seen: dict[str, Path] = {}
    memos: dict[Path, Path] = {}
    for path in paths:
        checked = recorded.check(store, path, options.draft, options.force)
        if isinstance(checked, Recording) and checked.sha256 in seen:
            checked = Item(path, "skipped", checked.sha256, note=f"same recording as {seen[checked.sha256]}")
        if isinstance(checked, Item):
            checked = dataclasses.replace(checked, duration_s=checked.duration_s or durations.get(path, 0.0))
            items.append(checked)
            emit(Finished(checked))
            continue
        memo = output_paths(path, options.draft.outdir)["memo"]
        if memo in memos:  # meeting.mp3 and meeting.m4a: one memo would replace the other
            error = str(name_clash(path, memos[memo].name, "in this batch"))
            item = Item(path, "failed", checked.sha256, error=error)
            items.append(item)
            emit(Finished(item))
            continue
        memos[memo] = path
        seen[checked.sha256] = path
        todo.append(checked)
    return items, todo


def _draft_all(
    todo: list[tuple[Recording, int]],
    options: BatchOptions,
    store: Store,
    emit: Callable[[Event], None],
    draft_fn: DraftFn | None,
) -> Iterator[Item]:
    dopts = _threads_each(options.draft, options.workers)
    if options.workers <= 1 or len(todo) <= 1 or draft_fn is not None:
        for rec, run_id in todo:

            def progress(done: float, total: float, src: Path = rec.source) -> None:
                emit(Advanced(src, done, total))

            _result, item = recorded.run_one(store, rec, run_id, dopts, progress, draft_fn or draft)
            yield item
        return
    ctx = mp.get_context("spawn")  # a fresh interpreter: no model or thread state from the parent
    level = logging.getLogger().getEffectiveLevel()
    workers = min(options.workers, len(todo))
    with (
        ctx.Manager() as manager,
        cf.ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(queue := manager.Queue(), level)
        ) as pool,
    ):
        futures = {pool.submit(_work, rec.source, dopts): (rec, run_id) for rec, run_id in todo}
        pending = set(futures)
        try:
            while pending:
                finished, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                _drain(queue, emit)
                for future in finished:
                    rec, run_id = futures[future]
                    try:
                        result = future.result()
                    except Exception as e:  # a worker died (out of memory, killed)
                        result = DraftFailure(rec.source, f"{rec.source}: the worker process failed ({e})")
                    yield recorded.record(store, run_id, result, dopts)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _drain(queue: Any, emit: Callable[[Event], None]) -> None:
    while True:
        try:
            src, done, total = queue.get_nowait()
        except Exception:  # queue.Empty, from the manager process
            return
        emit(Advanced(Path(src), done, total))


def rollup_rows(report: BatchReport, store: Store, options: DraftOptions) -> list[MeetingRow]:
    """One roll-up line per input: the memo's figures, or the failure and its reason."""
    rows = []
    for item in report.items:
        row = store.meeting_row(item.run_id) if item.run_id is not None and item.status != "failed" else None
        if row is not None:
            rows.append(dataclasses.replace(row, status=item.status, source=str(item.source)))
            continue
        d = options.details
        rows.append(
            MeetingRow(
                date=meeting_date(item.source, d.date) if item.source.exists() else "",
                rep=d.rep, distributor=d.distributor, language="", duration_s=item.duration_s,
                bullets={}, open_questions=0, parting_question="", low_conf_share=None,
                status=item.status, source=str(item.source), memo=str(item.memo or ""),
                error=item.error or item.note,
            )
        )  # fmt: skip
    return rows
