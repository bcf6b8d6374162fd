"""What the audit pages show, as plain values for the templates (no HTML is built here).

Transcripts are untrusted text: everything returned here is rendered by Jinja2 with
autoescaping, so a ``<script>`` in a transcript shows as text.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..asr.audio import AUDIO_SUFFIXES
from ..config import FollowupSettings
from ..memo.render import clock
from ..outputs import is_transcript
from ..runs.ledger import STEPS, Entry, next_due
from ..runs.store import LOW_CONFIDENCE
from ..types import MEMO_SECTIONS, Segment, Transcript
from .store import REVIEW_STATES, AuditMeeting

NEEDS_REVIEW_LOW_CONF = 0.10
"""A meeting with more than this share of low-confidence words needs a review."""

SECTION_TITLES = {
    "parties": "Parties",
    "market": "Market",
    "product": "Product",
    "concerns": "Concerns",
    "questions": "Open questions",
    "suggestions": "Suggestions",
    "strengths": "Strengths",
}


MESSAGES = {
    "saved": "Saved. Re-draft the memo to apply it.",
    "unchanged": "Nothing changed.",
    **{state: f"Marked {state}." for state in REVIEW_STATES},
    "redrafted": "Memo re-drafted from the corrected transcript; the history names the new run.",
    "password": "Password changed; your other sessions are signed out.",
}
"""The status banner's texts. A page is sent one by key (``?msg=saved``): any text in the URL
could be put there by another site's link, so an unknown key shows nothing."""


def message(key: str | None) -> str:
    """The banner text of ``key`` ("" for none or an unknown key)."""
    return MESSAGES.get(key or "", "")


def recording(meeting: AuditMeeting) -> tuple[Path | None, str]:
    """The recording to play, or ``None`` and why there is none.

    A memo drafted from a transcript JSON records the JSON as its source: that is text, not
    audio, and is never served as the recording.
    """
    path = Path(meeting.audio_path)
    if is_transcript(path):
        return None, f"No audio: this memo was drafted from a transcript ({path.name}), not a recording."
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        return None, f"No audio: {path.name} is not a recording the page can play."
    if not path.is_file():
        return None, f"No audio: the recording ({path.name}) is no longer where it was drafted from."
    return path, ""


def review_reasons(meeting: AuditMeeting, threshold: float = NEEDS_REVIEW_LOW_CONF) -> list[str]:
    """Why a meeting needs a supervisor's look (empty: nothing stands out)."""
    reasons = []
    if meeting.low_conf_share is not None and meeting.low_conf_share > threshold:
        reasons.append(f"{meeting.low_conf_share:.0%} low-confidence words")
    if meeting.removed:
        reasons.append(f"{meeting.removed} passage(s) removed as hallucination")
    if not meeting.parting_question:
        reasons.append("no parting question found")
    empty = [name for name in MEMO_SECTIONS if not meeting.bullets.get(name)]
    if empty:
        reasons.append("no bullets in " + ", ".join(empty))
    return reasons


def corrected_transcript(data: dict[str, Any], rows: list[Any]) -> Transcript:
    """The transcript with the supervisors' text corrections (segment rows) applied.

    A corrected segment loses its word timings: they described the words as heard.
    """
    transcript = Transcript.from_dict(data)
    texts = {int(r.seg_id): r.text for r in rows}
    segs: list[Segment] = []
    for seg in transcript.segments:
        text = texts.get(seg.id, seg.text)
        segs.append(seg if text == seg.text else replace(seg, text=text, words=()))
    return replace(transcript, segments=tuple(segs))


def _removed_mask(text: str, clean: str | None, language: str) -> list[bool]:
    """For each character of ``text``: did the filler cleanup drop it?"""
    if not clean:
        return [False] * len(text)
    a, b = (text.lower(), clean.lower()) if language == "en" else (text, clean)
    mask = [False] * len(text)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if op == "delete":
            for i in range(i1, i2):
                mask[i] = not text[i].isspace() and text[i] not in ",，、"
    return mask


def _lowconf_mask(text: str, words: list[dict[str, Any]]) -> list[bool]:
    """For each character of ``text``: is it part of a word heard with low confidence?"""
    mask = [False] * len(text)
    pos = 0
    for w in words:
        word = str(w.get("word", "")).strip()
        if not word:
            continue
        at = text.find(word, pos)
        if at < 0:
            continue  # the text no longer holds the word as heard (script conversion, correction)
        prob = w.get("probability")
        if prob is not None and prob < LOW_CONFIDENCE:
            for i in range(at, at + len(word)):
                mask[i] = True
        pos = at + len(word)
    return mask


def spans(text: str, clean: str | None, words: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """``text`` cut into runs of plain, low-confidence and removed-filler characters."""
    removed = _removed_mask(text, clean, language)
    low = _lowconf_mask(text, words)
    out: list[dict[str, Any]] = []
    for ch, r, lc in zip(text, removed, low, strict=True):
        if out and out[-1]["removed"] == r and out[-1]["low"] == lc:
            out[-1]["text"] += ch
        else:
            out.append({"text": ch, "removed": r, "low": lc})
    return out


def segment_views(
    meeting: AuditMeeting, data: dict[str, Any], notes: dict[str, Any], rows: list[Any]
) -> list[dict[str, Any]]:
    """The transcript as the meeting page lists it: segments and removed passages, by time."""
    original = {int(s["id"]): s for s in data.get("segments") or ()}
    labels = {int(s["id"]): s for s in notes.get("segments") or ()}
    items: list[dict[str, Any]] = []
    for row in rows:
        seg_id = int(row.seg_id)
        heard = original.get(seg_id, {})
        label = labels.get(seg_id, {})
        edited = row.text != heard.get("text", row.text)
        items.append(
            {
                "kind": "segment",
                "id": seg_id,
                "start": float(row.start),
                "end": float(row.end),
                "clock": clock(row.start),
                "speaker": row.speaker or "",
                "category": row.category or "none",
                "rules": list(label.get("rules") or ()),
                "flags": [
                    f for f in ("question", "suggestion", "strength", "parting_question") if label.get(f)
                ],
                "text": row.text,
                "spans": spans(
                    row.text,
                    None if edited else row.clean_text,
                    [] if edited else list(heard.get("words") or ()),
                    meeting.language,
                ),
                "low_conf_words": int(row.low_conf_words or 0),
                "edited": edited,
            }
        )
    for r in data.get("removed") or ():
        items.append(
            {
                "kind": "removed",
                "start": float(r["start"]),
                "end": float(r["end"]),
                "clock": clock(float(r["start"])),
                "text": str(r["text"]),
                "reason": str(r["reason"]),
            }
        )
    items.sort(key=lambda i: (i["start"], i["kind"] != "segment"))
    return items


def memo_sections(notes: dict[str, Any]) -> list[dict[str, Any]]:
    """The memo's bullets by section, each with the segment ids it comes from."""
    memo = notes.get("memo") or {}
    sections = []
    pq = memo.get("parting_question")
    if pq:
        sections.append({"key": "parting", "title": "Parting question", "bullets": [pq]})
    for key, title in SECTION_TITLES.items():
        bullets = list(memo.get(key) or ())
        if key == "questions" and pq:
            bullets = [b for b in bullets if b.get("segments") != pq.get("segments")]
        sections.append({"key": key, "title": title, "bullets": bullets})
    for section in sections:
        for b in section["bullets"]:
            b["clock"] = clock(float(b.get("start", 0.0)))
    return sections


def ledger_rows(entries: list[Entry], intervals: FollowupSettings, today: dt.date) -> list[dict[str, Any]]:
    """One row per distributor: the date of each step taken (by ``STEPS``), and the next step due."""
    rows = []
    for entry in entries:
        due = next_due(entry, intervals)
        taken = {s.step: s for s in entry.steps}
        rows.append(
            {
                "name": entry.name,
                "rep": entry.rep,
                "steps": [taken.get(step) for step in STEPS],
                "next": due.title if due else ("closed" if entry.decided else ""),
                "due": due.due.isoformat() if due else "",
                "overdue": bool(due and due.overdue_days(today) > 0),
            }
        )
    return rows
