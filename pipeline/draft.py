"""One recording (or transcript) in, the four outputs out: memo, transcript, notes, subtitles.

All outputs are prepared in memory and then written atomically, the memo last, so a
failure leaves either the whole set or nothing new. The recording itself is only
ever read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .asr.options import Progress, TranscribeOptions
from .contract import load_transcript
from .errors import InputError, MemoError
from .memo.render import MemoDetails, build_context, render_memo, template_key, template_path
from .memo.srt import to_srt
from .notes.build import NotesOptions, build_notes
from .outputs import is_transcript, output_paths, write_json, write_text, write_with
from .types import Notes, Transcript

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftOptions:
    """Settings of ``memo draft``.

    Attributes:
        transcribe: transcription settings (model, language, script…).
        notes: notes settings (which speaker is the rep).
        details: memo header fields the recording cannot tell.
        outdir: where outputs go; ``None`` puts them beside each input.
        template_dir: a folder of restyled ``memo.<lang>.docx`` templates.
        speakers: label who spoke (rep / distributor side) after transcribing a recording;
            needs the ``speakers`` extra and does nothing (logged once) without it.
    """

    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    notes: NotesOptions = field(default_factory=NotesOptions)
    details: MemoDetails = field(default_factory=MemoDetails)
    outdir: Path | None = None
    template_dir: Path | None = None
    speakers: bool = True


@dataclass(frozen=True)
class DraftResult:
    """What ``draft`` wrote for one input, with figures for the summary."""

    source: Path
    memo: Path
    transcript: Path
    notes: Path
    srt: Path
    duration_s: float
    seconds: float
    bullets: dict[str, int]
    questions: int
    parting_question: bool
    removed: int
    transcript_data: Transcript
    notes_data: Notes


@dataclass(frozen=True)
class DraftFailure:
    """An input that could not be drafted, and why (one line)."""

    source: Path
    error: str


def check_outputs_free(source: Path, outdir: Path | None) -> None:
    """Refuse a recording whose outputs would replace those of another recording.

    ``meeting.mp3`` and ``meeting.m4a`` share the name ``meeting``: drafting the second
    would overwrite the first one's memo. Drafting the same recording again is fine.

    Raises:
        InputError: the transcript there was made from a recording of another name.
    """
    existing = output_paths(source, outdir)["transcript"]
    if is_transcript(source) or not existing.exists():
        return
    try:
        other = Path(json.loads(existing.read_text("utf-8"))["source"]["path"]).name
    except (OSError, ValueError, KeyError, TypeError):
        return  # not ours to judge; the draft will replace it as before
    if other != source.name:
        raise name_clash(source, other, f"in {existing.parent}")


def name_clash(source: Path, other: str, where: str) -> InputError:
    """The error for two recordings of one name (``meeting.mp3``, ``meeting.m4a``): one memo."""
    return InputError(
        f"{source}: its memo would replace the one drafted from {other} {where}; "
        "rename one of the recordings or draft into another folder (-o)"
    )


def wait_until_complete(path: Path, settle_s: float = 1.0) -> None:
    """Refuse a file that is still being copied (size or mtime still changing).

    Only a recently modified file is watched, so finished recordings cost nothing.

    Raises:
        InputError: the file is still growing after ``settle_s``.
    """
    try:
        first = path.stat()
    except OSError:
        return  # missing files get their own message from the audio stage
    if time.time() - first.st_mtime > 2 * settle_s:
        return
    time.sleep(settle_s)
    second = path.stat()
    if (second.st_size, second.st_mtime_ns) != (first.st_size, first.st_mtime_ns):
        raise InputError(
            f"{path}: is still being written (size changing); run again when the copy is finished"
        )


def meeting_date(source: Path, given: str = "") -> str:
    """The memo's date: the one given, else the recording's modification day, else today."""
    if given:
        return given
    try:
        return dt.date.fromtimestamp(source.stat().st_mtime).isoformat()
    except OSError:
        return dt.date.today().isoformat()


def with_date(source: Path, details: MemoDetails) -> MemoDetails:
    """``details`` with the meeting date filled in (see ``meeting_date``)."""
    return dataclasses.replace(details, date=meeting_date(source, details.date))


def write_outputs(
    transcript: Transcript,
    notes: Notes,
    details: MemoDetails,
    paths: dict[str, Path],
    template_dir: Path | None = None,
    write_transcript: bool = True,
) -> None:
    """Render the memo, then write transcript, notes, subtitles and memo atomically, memo last.

    The memo is rendered in memory first, so a template problem writes nothing.
    """
    context = build_context(transcript, notes, details)
    memo_bytes = io.BytesIO()
    render_memo(context, template_path(template_key(notes, transcript.script), template_dir), memo_bytes)
    if write_transcript:
        write_json(paths["transcript"], transcript.to_dict())
    write_json(paths["notes"], notes.to_dict())
    write_text(paths["srt"], to_srt(transcript))
    write_with(paths["memo"], lambda f: f.writelines([memo_bytes.getvalue()]))


def draft_transcript(
    transcript: Transcript, source: Path, options: DraftOptions, write_transcript: bool = True
) -> tuple[Notes, dict[str, Path]]:
    """Notes, subtitles and memo from a transcript; all written atomically, memo last."""
    notes = build_notes(transcript, options.notes)
    paths = output_paths(source, options.outdir)
    details = with_date(source, options.details)
    write_outputs(transcript, notes, details, paths, options.template_dir, write_transcript)
    return notes, paths


def draft(path: Path, options: DraftOptions | None = None, progress: Progress | None = None) -> DraftResult:
    """Draft the memo of one recording, or of a transcript JSON (``*.json``).

    Raises:
        MemoError: a subclass saying what is wrong with this input and how to fix it.
    """
    options = options or DraftOptions()
    path = Path(path)
    started = time.perf_counter()
    from_json = is_transcript(path)
    if from_json:
        transcript = load_transcript(path)
    else:
        wait_until_complete(path)
        check_outputs_free(path, options.outdir)
        # Imported here: drafting a transcript JSON never decodes (numpy and the decoder's
        # helpers are a tenth of a second of start-up).
        from .asr.transcribe import transcribe

        transcript = transcribe(path, options.transcribe, progress)  # refuses truncated files too
        if options.speakers:
            from .speakers import label_for_draft

            transcript, rep_label = label_for_draft(path, transcript, options.details.rep or None)
            notes_options = dataclasses.replace(options.notes, rep_speaker=rep_label)
            options = dataclasses.replace(options, notes=notes_options)
    # A transcript given as input stays as it is: it may be the rep's corrected copy.
    notes, paths = draft_transcript(transcript, path, options, write_transcript=not from_json)
    memo = notes.memo
    return DraftResult(
        source=path,
        memo=paths["memo"],
        transcript=path if from_json else paths["transcript"],
        notes=paths["notes"],
        srt=paths["srt"],
        duration_s=transcript.duration_s,
        seconds=time.perf_counter() - started,
        bullets=memo.section_counts(),
        questions=memo.open_questions,
        parting_question=memo.parting_question is not None,
        removed=len(transcript.removed),
        transcript_data=transcript,
        notes_data=notes,
    )


DraftFn = Callable[[Path, DraftOptions, "Progress | None"], DraftResult]
"""Anything that drafts like ``draft`` (tests inject fakes)."""


def safe_draft(
    draft_fn: DraftFn, path: Path, options: DraftOptions, progress: Progress | None = None
) -> DraftResult | DraftFailure:
    """``draft_fn``, with any failure turned into a one-line ``DraftFailure``.

    A bug or a library failure must not stop the other files either; its traceback
    is logged at debug level (``--debug``).
    """
    try:
        return draft_fn(path, options, progress)
    except MemoError as e:
        logger.debug("draft failed for %s", path, exc_info=True)
        return DraftFailure(Path(path), str(e))
    except Exception as e:
        logger.debug("unexpected failure drafting %s", path, exc_info=True)
        return DraftFailure(
            Path(path),
            f"{path}: unexpected error ({type(e).__name__}: {e}); rerun with --debug and report it",
        )


def draft_many(
    paths: Iterable[Path],
    options: DraftOptions | None = None,
    progress_for: Callable[[Path], Progress | None] | None = None,
) -> Iterator[DraftResult | DraftFailure]:
    """Draft each input in turn; a failed input is reported and the rest go on."""
    opts = options or DraftOptions()
    for path in paths:
        yield safe_draft(draft, Path(path), opts, progress_for(path) if progress_for else None)
