"""The recorded run: one recording drafted with its run in the store, the one sequence that
``memo draft``, ``memo batch`` and ``memo watch`` share.

The sequence: check (done before? recoverable? readable?) → remove stale parts → start the
run → draft → mark it interrupted if stopped half-way → record the outcome.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import outputs
from ..asr.audio import AUDIO_SUFFIXES, check_readable, file_sha256
from ..asr.options import Progress
from ..contract import load_transcript
from ..draft import DraftFailure, DraftFn, DraftOptions, DraftResult, draft, meeting_date, safe_draft
from ..errors import MemoError
from ..notes.classify import rules_version
from ..outputs import is_transcript, output_paths
from ..types import Transcript
from .store import Recording, RunRecord, Store, settings_key

logger = logging.getLogger(__name__)

Status = Literal["done", "skipped", "failed"]
INTERRUPTED = "interrupted before it finished"


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
class RunSettings:
    """The settings that shape a memo, as recorded with a run and hashed into its key.

    Threads and device change speed, not the memo, so they are left out; the output folder
    too, so a recording drafted once is not drafted again for being given another ``-o``.
    ``to_dict`` is what the store keeps (its key must stay stable across releases);
    ``from_dict`` is how the audit page reads it back, with defaults for older rows.
    """

    transcribe: dict[str, Any]
    rep_speaker: str | None = "rep"
    rep: str = ""
    company: str = ""
    distributor: str = ""
    templates: str | None = None

    @classmethod
    def of(cls, options: DraftOptions) -> RunSettings:
        tr = dataclasses.asdict(options.transcribe)
        for key in ("cpu_threads", "device"):
            tr.pop(key, None)
        tr["glossary"] = list(options.transcribe.glossary)
        d = options.details
        return cls(
            transcribe=tr,
            rep_speaker=options.notes.rep_speaker,
            rep=d.rep,
            company=d.company,
            distributor=d.distributor,
            templates=str(options.template_dir) if options.template_dir else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "transcribe": self.transcribe,
            "notes": {"rep_speaker": self.rep_speaker},
            "details": {"rep": self.rep, "company": self.company, "distributor": self.distributor},
            "templates": self.templates,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RunSettings:
        data = data or {}
        notes = data.get("notes") or {}
        details = data.get("details") or {}
        return cls(
            transcribe=dict(data.get("transcribe") or {}),
            rep_speaker=notes.get("rep_speaker", "rep"),
            rep=str(details.get("rep", "")),
            company=str(details.get("company", "")),
            distributor=str(details.get("distributor", "")),
            templates=data.get("templates"),
        )

    @property
    def key(self) -> str:
        return settings_key(self.to_dict())


def is_recording(path: Path) -> bool:
    """A visible file with a recording's suffix."""
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in AUDIO_SUFFIXES


def run_details(path: Path, options: DraftOptions) -> dict[str, str]:
    """The header fields recorded with a run (the roll-up reads them back)."""
    d = options.details
    return {"rep": d.rep, "company": d.company, "distributor": d.distributor,
            "date": meeting_date(path, d.date)}  # fmt: skip


def _recover(store: Store, run: RunRecord, rec: Recording, options: DraftOptions) -> Item | None:
    """Record a run that wrote all its outputs but was killed before the store knew."""
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
    store.finish_run(run.id, transcript, notes, paths, 0.0, run_details(rec.path, options))
    logger.info("recorded %s, written by an interrupted run", memo)
    return Item(
        rec.path, "done", rec.sha256, transcript.duration_s, 0.0, memo, note="recovered", run_id=run.id
    )


def check(store: Store, path: Path, options: DraftOptions, force: bool = False) -> Item | Recording:
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
    d = options.details
    rec = Recording(sha, path, size, d.rep, d.distributor, meeting_date(path, d.date))
    if force:
        return rec
    key = RunSettings.of(options).key
    done = store.latest_run(sha, key, "done")
    if done is not None and done.memo_path and Path(done.memo_path).is_file():
        same = Path(done.source_path).resolve() == path.resolve()
        note = "already drafted" if same else f"same recording as {done.source_path}"
        return Item(path, "skipped", sha, memo=Path(done.memo_path), note=note, run_id=done.id)
    last = store.latest_run(sha, key)
    if last is not None and last.status in ("running", "interrupted"):
        recovered = _recover(store, last, rec, options)
        if recovered is not None:
            return recovered
    return rec


def remove_stale_parts(source: Path, options: DraftOptions, older_than: float) -> None:
    """Delete temporary outputs a killed run left for this input (never the recording).

    ``older_than`` is a time (epoch seconds): parts written before it are stale.
    """
    age = max(0.0, time.time() - older_than)
    for path in output_paths(source, options.outdir).values():
        outputs.remove_stale_parts(path, older_than_s=age)


def start(
    store: Store, rec: Recording, options: DraftOptions, command: str, since: float, model: str | None = None
) -> int:
    """Clear a killed run's leftovers and record that drafting ``rec`` has begun; the run id.

    ``model`` is the speech model behind the transcript when it is not the one of ``options``
    (a transcript JSON drafted in the recording's place).
    """
    remove_stale_parts(rec.source, options, since)
    return store.start_run(
        rec,
        command=command,
        settings=RunSettings.of(options).to_dict(),
        memo_path=output_paths(rec.source, options.outdir)["memo"],
        model=options.transcribe.model if model is None else model,
        rules_version=rules_version(),
    )


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
        run_details(result.source, options),
    )
    sha = result.transcript_data.source.sha256 if result.transcript_data.source else ""
    return Item(result.source, "done", sha, result.duration_s, result.seconds, result.memo, run_id=run_id)


def mark_interrupted(store: Store, run_ids: list[int]) -> None:
    """Runs stopped half-way (Ctrl-C, SIGTERM): nothing of them was written; redo them next time."""
    for run_id in run_ids:
        store.fail_run(run_id, INTERRUPTED, 0.0, status="interrupted")


def run_one(
    store: Store,
    rec: Recording,
    run_id: int,
    options: DraftOptions,
    progress: Progress | None = None,
    draft_fn: DraftFn = draft,
) -> tuple[DraftResult | DraftFailure, Item]:
    """Draft a started run in this process and record its outcome."""
    try:
        result = safe_draft(draft_fn, rec.source, options, progress)
    except BaseException:
        mark_interrupted(store, [run_id])
        raise
    return result, record(store, run_id, result, options)


def transcript_recording(path: Path, transcript: Transcript, options: DraftOptions) -> Recording:
    """The recording a transcript JSON stands for, when it is drafted in the recording's place.

    The recording may be elsewhere, or gone: it is known by the sha256 the transcript names,
    so a memo drafted again from a corrected transcript joins that recording's runs (the
    audit page shows the newest); a transcript that names none is known by its own sha256.

    Raises:
        OSError: the transcript file cannot be read.
    """
    d = options.details
    date = meeting_date(path, d.date)
    source = transcript.source
    if source is not None and source.sha256:
        where = Path(source.path) if source.path else path
        return Recording(source.sha256, where, None, d.rep, d.distributor, date, transcript=path)
    size = path.stat().st_size
    return Recording(file_sha256(path), path, size, d.rep, d.distributor, date, transcript=path)


def draft_recorded(
    store: Store, path: Path, options: DraftOptions, progress: Progress | None = None, command: str = "draft"
) -> DraftResult | DraftFailure:
    """Draft one recording or transcript JSON (as ``memo draft`` does: always) and record the run.

    An input that cannot be read is not recorded: there is nothing to know it by.
    """
    model = None
    if is_transcript(path):
        try:
            transcript = load_transcript(path)
            checked: Item | Recording = transcript_recording(path, transcript, options)
        except MemoError as e:
            return DraftFailure(path, str(e))
        except OSError as e:
            return DraftFailure(path, f"{path}: cannot be read ({e.strerror})")
        model = transcript.model.name if transcript.model else ""
    elif is_recording(path):
        checked = check(store, path, options, force=True)
    else:
        return safe_draft(draft, path, options, progress)
    if isinstance(checked, Item):  # unreadable: say why, as draft would
        return DraftFailure(path, checked.error)
    run_id = start(store, checked, options, command, time.time(), model)
    result, _item = run_one(store, checked, run_id, options, progress)
    return result
