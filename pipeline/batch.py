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
import datetime as dt
import glob
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import outputs
from .audio import AUDIO_SUFFIXES, check_readable, file_sha256
from .draft import (
    DraftFailure,
    DraftFn,
    DraftOptions,
    DraftResult,
    draft,
    is_transcript,
    output_paths,
    safe_draft,
)
from .errors import MemoError
from .probe import declared_duration
from .store import MeetingRow, Recording, RunRecord, Store, settings_key
from .transcribe import Progress

logger = logging.getLogger(__name__)

Status = Literal["done", "skipped", "failed"]


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
class Item:
    """What became of one input."""

    source: Path
    status: Status
    sha256: str = ""
    duration_s: float = 0.0
    seconds: float = 0.0
    memo: Path | None = None
    error: str = ""
    note: str = ""
    run_id: int | None = None


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

    A pattern matching nothing is kept as it is, so it fails with a one-line reason.
    """
    found: list[Path] = []
    for arg in args:
        text = str(arg)
        if glob.has_magic(text):
            matches = [Path(p) for p in sorted(glob.glob(os.path.expanduser(text), recursive=True))]
            found.extend(p for p in matches if p.is_file()) if matches else found.append(Path(text))
        elif Path(text).is_dir():
            found.extend(p for p in sorted(Path(text).iterdir()) if is_recording(p))
        else:
            found.append(Path(text))
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def is_recording(path: Path) -> bool:
    """A visible file with a recording's suffix."""
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in AUDIO_SUFFIXES


def run_settings(options: DraftOptions) -> dict[str, Any]:
    """The settings that shape a memo, as recorded with a run and hashed into its key.

    Threads and device change speed, not the memo, so they are left out; the output folder
    too, so a recording drafted once is not drafted again for being given another ``-o``.
    """
    tr = dataclasses.asdict(options.transcribe)
    for key in ("cpu_threads", "device"):
        tr.pop(key, None)
    tr["glossary"] = list(options.transcribe.glossary)
    return {
        "transcribe": tr,
        "notes": dataclasses.asdict(options.notes),
        "details": {k: v for k, v in dataclasses.asdict(options.details).items() if k != "date"},
        "templates": str(options.template_dir) if options.template_dir else None,
    }


def probe_duration(path: Path) -> float:
    """Length of a recording from its header (ffmpeg, no decoding); 0.0 when unknown."""
    return 0.0 if is_transcript(path) else declared_duration(path) or 0.0


def meeting_date(path: Path, options: DraftOptions) -> str:
    """The memo's date: the one given, else the recording's modification day."""
    if options.details.date:
        return options.details.date
    try:
        return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    except OSError:
        return dt.date.today().isoformat()


def details_of(path: Path, options: DraftOptions) -> dict[str, str]:
    d = options.details
    return {
        "rep": d.rep,
        "company": d.company,
        "distributor": d.distributor,
        "date": meeting_date(path, options),
    }


# -- one file, shared with the watcher ------------------------------------------------------


def remove_stale_parts(source: Path, options: DraftOptions, older_than: float) -> None:
    """Delete temporary outputs a killed run left for this input (never the recording).

    ``older_than`` is a time (epoch seconds): parts written before it are stale.
    """
    age = max(0.0, time.time() - older_than)
    for path in output_paths(source, options.outdir).values():
        outputs.remove_stale_parts(path, older_than_s=age)


def _recover(store: Store, run: RunRecord, rec: Recording, options: DraftOptions) -> Item | None:
    """Record a run that wrote all its outputs but was killed before the store knew."""
    from .contract import load_transcript

    if not run.memo_path or is_transcript(rec.path):
        return None
    paths = output_paths(Path(run.source_path), options.outdir)
    memo = Path(run.memo_path)
    try:
        if not memo.is_file() or memo.stat().st_mtime < run.started_at.timestamp() - 1:
            return None
        transcript = load_transcript(paths["transcript"])
        notes = json.loads(paths["notes"].read_text("utf-8"))
    except (OSError, ValueError, MemoError):
        return None
    if transcript.source is None or transcript.source.sha256 != rec.sha256:
        return None
    store.finish_run(run.id, transcript, notes, paths, 0.0, details_of(rec.path, options))
    logger.info("recorded %s, written by an interrupted run", memo)
    return Item(
        rec.path, "done", rec.sha256, transcript.duration_s, 0.0, memo, note="recovered", run_id=run.id
    )


def check(store: Store, path: Path, options: BatchOptions) -> Item | Recording:
    """An ``Item`` when ``path`` needs no drafting (done before, recovered, or unreadable),
    else the ``Recording`` to draft."""
    try:
        check_readable(path)
        sha = file_sha256(path)
        size = path.stat().st_size
    except MemoError as e:
        return Item(path, "failed", error=str(e))
    except OSError as e:
        return Item(path, "failed", error=f"{path}: cannot be read ({e.strerror})")
    d = options.draft.details
    rec = Recording(sha, path, size, d.rep, d.distributor, meeting_date(path, options.draft))
    if options.force:
        return rec
    key = settings_key(run_settings(options.draft))
    done = store.latest_run(sha, key, "done")
    if done is not None and done.memo_path and Path(done.memo_path).is_file():
        same = Path(done.source_path).resolve() == path.resolve()
        note = "already drafted" if same else f"same recording as {done.source_path}"
        return Item(path, "skipped", sha, memo=Path(done.memo_path), note=note, run_id=done.id)
    last = store.latest_run(sha, key)
    if last is not None and last.status in ("running", "interrupted"):
        recovered = _recover(store, last, rec, options.draft)
        if recovered is not None:
            return recovered
    return rec


def record(store: Store, run_id: int, result: DraftResult | DraftFailure, options: DraftOptions) -> Item:
    """Store the outcome of one draft and say what became of it."""
    if isinstance(result, DraftFailure):
        store.fail_run(run_id, result.error, 0.0)
        return Item(result.source, "failed", error=result.error, run_id=run_id)
    paths = {"memo": result.memo, "transcript": result.transcript, "notes": result.notes, "srt": result.srt}
    store.finish_run(
        run_id,
        result.transcript_data,
        result.notes_data.to_dict(),
        paths,
        result.seconds,
        details_of(result.source, options),
    )
    sha = result.transcript_data.source.sha256 if result.transcript_data.source else ""
    return Item(result.source, "done", sha, result.duration_s, result.seconds, result.memo, run_id=run_id)


def draft_recorded(
    store: Store, path: Path, options: DraftOptions, progress: Progress | None = None, command: str = "draft"
) -> DraftResult | DraftFailure:
    """Draft one recording (as ``memo draft`` does: always) and record the run in the store.

    A transcript JSON given as input is drafted but not recorded: its recording may be
    elsewhere, and the store is keyed by the recording's content.
    """
    if not is_recording(path):
        return safe_draft(draft, path, options, progress)
    checked = check(store, path, BatchOptions(draft=options, force=True, command=command))
    if isinstance(checked, Item):  # unreadable: say why, as draft would
        return DraftFailure(path, checked.error)
    memo = output_paths(path, options.outdir)["memo"]
    run_id = store.start_run(
        checked, command=command, settings=run_settings(options), memo_path=memo,
        model=options.transcribe.model,
    )  # fmt: skip
    try:
        result = safe_draft(draft, path, options, progress)
    except BaseException:
        store.fail_run(run_id, "interrupted before it finished", 0.0, status="interrupted")
        raise
    record(store, run_id, result, options)
    return result


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
    items: list[Item] = []
    todo: list[tuple[Recording, int]] = []
    seen: dict[str, Path] = {}
    settings = run_settings(options.draft)
    memos: dict[Path, Path] = {}
    for path in paths:
        checked = check(store, path, options)
        if isinstance(checked, Recording) and checked.sha256 in seen:
            checked = Item(path, "skipped", checked.sha256, note=f"same recording as {seen[checked.sha256]}")
        if isinstance(checked, Item):
            checked = dataclasses.replace(checked, duration_s=checked.duration_s or durations.get(path, 0.0))
            items.append(checked)
            emit(Finished(checked))
            continue
        memo = output_paths(path, options.draft.outdir)["memo"]
        if memo in memos:  # meeting.mp3 and meeting.m4a: one memo would replace the other
            item = Item(path, "failed", checked.sha256, error=(
                f"{path}: its memo would replace the one of {memos[memo].name} in this batch; "
                "rename one of the recordings"))  # fmt: skip
            items.append(item)
            emit(Finished(item))
            continue
        memos[memo] = path
        seen[checked.sha256] = path
        remove_stale_parts(path, options.draft, started)
        run_id = store.start_run(
            checked, command=options.command, settings=settings, memo_path=memo,
            model=options.draft.transcribe.model,
        )  # fmt: skip
        todo.append((checked, run_id))
    try:
        for item in _draft_all(todo, options, store, emit, draft_fn):
            if not item.duration_s:  # failed: the header's length, for the progress and roll-up
                item = dataclasses.replace(item, duration_s=durations.get(item.source, 0.0))
            items.append(item)
            emit(Finished(item))
    except BaseException:
        done_ids = {i.run_id for i in items}
        for _rec, run_id in todo:
            if run_id not in done_ids:
                store.fail_run(run_id, "interrupted before it finished", 0.0, status="interrupted")
        raise
    order = {p: n for n, p in enumerate(paths)}
    items.sort(key=lambda i: order.get(i.source, len(order)))
    return BatchReport(tuple(items), time.time() - started)


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

            def progress(done: float, total: float, src: Path = rec.path) -> None:
                emit(Advanced(src, done, total))

            result = safe_draft(draft_fn or draft, rec.path, dopts, progress)
            yield record(store, run_id, result, dopts)
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
        futures = {pool.submit(_work, rec.path, dopts): (rec, run_id) for rec, run_id in todo}
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
                        result = DraftFailure(rec.path, f"{rec.path}: the worker process failed ({e})")
                    yield record(store, run_id, result, dopts)
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
                date=meeting_date(item.source, options) if item.source.exists() else "",
                rep=d.rep, distributor=d.distributor, language="", duration_s=item.duration_s,
                bullets={}, open_questions=0, parting_question="", low_conf_share=None,
                status=item.status, source=str(item.source), memo=str(item.memo or ""),
                error=item.error or item.note,
            )
        )  # fmt: skip
    return rows
