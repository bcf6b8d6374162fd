"""A memo again from the corrected transcript, recorded as a new run of the same recording.

Text corrections change what the rules see; a supervisor's category correction is
kept over the rules' label (rule id ``audit.override``), so the memo bullets follow it.
The outputs go beside the first memo as ``NAME.reviewed.*``; the first memo stays.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from ..draft import write_outputs
from ..memo.render import MemoDetails
from ..notes.build import NotesOptions, build_notes, memo_from_labels
from ..notes.classify import rules_version
from ..outputs import output_paths
from ..runs.store import Recording
from ..types import Bullet, Notes, Transcript
from .store import AuditMeeting, AuditStore
from .views import corrected_transcript

OVERRIDE_RULE = "audit.override"


def notes_with_overrides(
    transcript: Transcript, overrides: dict[int, str], options: NotesOptions | None = None
) -> Notes:
    """``build_notes``, then each overridden segment moved to the supervisor's category."""
    options = options or NotesOptions()
    notes = build_notes(transcript, options)
    labels = list(notes.segments)
    changed = False
    for i, note in enumerate(labels):
        category = overrides.get(note.id)
        if category is not None and category != note.category:
            labels[i] = replace(note, category=category, rules=(*note.rules, OVERRIDE_RULE))  # type: ignore[arg-type]
            changed = True
    if not changed:
        return notes
    # The memo is gathered again by the notes stage's own rules (merging, wording).
    segs = transcript.segments
    memo = memo_from_labels(transcript, labels, options)
    # A segment moved into a section but all small talk to the rules still gets its bullet.
    for note, seg in zip(labels, segs, strict=True):
        if OVERRIDE_RULE not in note.rules or note.category == "none" or not note.clean_text:
            continue
        section = memo.section(note.category)
        if not any(seg.id in b.segments for b in section):
            bullets = sorted((*section, Bullet(note.clean_text, (seg.id,), seg.start)), key=lambda b: b.start)
            memo = replace(memo, **{note.category: tuple(bullets)})  # type: ignore[arg-type]
    return replace(notes, segments=tuple(labels), memo=memo)


def redraft(audit: AuditStore, meeting: AuditMeeting, user: str) -> int:
    """Draft the memo again from the corrected transcript; returns the new run's id.

    Raises:
        MemoError: the memo template is missing or an output cannot be written.
    """
    started = time.perf_counter()
    rows = audit.segment_rows(meeting.transcript_id)
    transcript = corrected_transcript(audit.transcript_data(meeting.transcript_id), rows)
    overrides = audit.category_overrides(meeting.recording_id)
    settings = meeting.settings
    notes = notes_with_overrides(transcript, overrides, NotesOptions(rep_speaker=settings.rep_speaker))

    first_memo = Path(meeting.memo_path)
    stem = first_memo.name.removesuffix(".memo.docx").removesuffix(".reviewed")
    paths = output_paths(first_memo, stem=f"{stem}.reviewed")
    details = MemoDetails(
        rep=meeting.rep, company=settings.company, distributor=meeting.distributor, date=meeting.date
    )
    write_outputs(transcript, notes, details, paths, Path(settings.templates) if settings.templates else None)

    audio = Path(meeting.audio_path)
    rec = Recording(
        sha256=meeting.sha256,
        path=audio,
        size=audio.stat().st_size if audio.is_file() else 0,
        rep=meeting.rep,
        distributor=meeting.distributor,
        meeting_date=meeting.date,
    )
    recorded_settings = {**settings.to_dict(), "audit": {"redraft_of": meeting.run_id, "by": user}}
    store = audit.store
    run_id = store.start_run(
        rec, command="audit", settings=recorded_settings, memo_path=paths["memo"],
        rules_version=rules_version(),
    )  # fmt: skip
    store.finish_run(
        run_id,
        transcript,
        notes.to_dict(),
        paths,
        time.perf_counter() - started,
        {"rep": meeting.rep, "distributor": meeting.distributor, "date": meeting.date},
    )
    audit.log_redraft(meeting, run_id, user)
    return run_id
