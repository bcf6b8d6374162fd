"""End-to-end memo bench: rendered meetings → ``draft`` → scored against the script's timeline.

Usage::

    cd /work/main && HF_HUB_OFFLINE=1 .venv/bin/python -m bench.memo [--keep DIR] [--fresh] [--details]
        [--only ID ...] [--dir FOLDER] [--sequential | --batched] [--glossary]

``--details`` lists, under each meeting, the bullets behind its misses (a question or quote
not said by the distributor side with the sides of its segments, mixed bullets, a Han run
over 25).

Each ``bench/memo/<id>.mp3`` (a two- or three-voice meeting rendered from the labelled
script ``<id>.json``; ``<id>.timeline.json`` gives each turn's start, end and speaker
``rep`` / ``dist`` / ``dist2``; see ``bench/memo/README.md``) is drafted with the library as
a new user would: ``pipeline.draft.draft`` with default settings, speaker labels on, the
transcript script (``hant`` / ``hans``) set from the meeting, no memo details given, and
``MEMO_DATA_DIR`` pointing at an empty temporary folder so that no rep voice is enrolled.

Transcripts are cached in ``--keep`` (default ``$TMPDIR/meeting-memo-bench/memo``): when
``<id>.transcript.json`` there was made from the same recording by the same transcription
and speaker code (sha256 of the audio and of ``pipeline/asr`` + ``pipeline/speakers``), the
rerun drafts from it and only the notes and memo are redone. The speaker labels live in that
transcript; the rep label the library chose on the first draft (it is not stored in the
transcript) is kept beside it in ``<id>.bench.json`` and passed back as the notes' rep
speaker. ``--fresh`` ignores the cache.

Every transcript segment gets a side (``rep`` or ``dist``; ``dist2`` counts as ``dist``)
from the timeline turn it overlaps most in time (the nearest turn when it overlaps none).
A bullet's segments are the ids the notes JSON lists for it. Columns:

- ``audio``: minutes of audio.
- ``rep``: rep side identified — ``yes`` when the label the pipeline treats as the rep is
  the speaker label that overlaps the script's rep turns most, and more than half of that
  label's time lies on rep turns. Where the label comes from: the notes' ``sides`` object
  (``{"rep": "S2", "how": "inferred", "confidence": …}``), else a ``rep_speaker`` or
  ``sides`` field in the notes or transcript JSON, else the label the library passed to the
  notes (``rep`` after an enrollment). ``no`` with the reason otherwise (printed below).
- ``diar``: diagnostic, not a target — share of transcribed speech time whose speaker label,
  mapped to the side that label is heard on most, matches the timeline's side (how well the
  voices alone separate the sides).
- ``q dist``: section 7 — questions (memo ``questions`` and ``parting_question``) whose
  segments (the ``question_segments`` of a ``qa`` bullet) are all said by the distributor
  side, over all questions.
- ``quote dist``: sections 5/6 — quotes (memo ``strengths`` and ``suggestions``) whose
  segments are all said by the distributor side, over all quotes.
- ``mixed``: memo section bullets (parties, market, product, concerns) whose segments come
  from both sides; bullets with ``"kind": "qa"`` may have two parts and are not counted.
- ``qa mix``: diagnostic, not a target — ``qa`` bullets whose question part
  (``question_segments``) or answer part (``answer_segments``) alone comes from both sides.
- ``han run``: the longest run of Han characters without a punctuation mark in any memo
  bullet text (other characters such as digits or spaces do not end a run).
- ``header``: header fields found / said — when the notes JSON has a ``header`` object, its
  distributor company and people are matched (fuzzily, Simplified, company suffixes
  dropped) against the script's ``distributor`` and its distributor-side participants;
  ``co`` says whether the company was found. A person counts as found by full name, part of
  it, or (Chinese) surname with a title (程总, 老王). Without a header: ``0/N``. The header's
  territory is printed below the table, not scored (the scripts have no city field).

- ``draft s``: wall seconds of the draft (transcription, speakers, notes, memo; only notes
  and memo when drafted from a cached transcript).

The overall row pools the meetings (``han run``: the maximum); the targets are printed
beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
MEETINGS = ROOT / "bench" / "memo"
KNOWN = MEETINGS / "glossary.json"  # the names a rep knows before the meeting, per meeting
DEFAULT_KEEP = Path(tempfile.gettempdir()) / "meeting-memo-bench" / "memo"
SECTIONS = ("parties", "market", "product", "concerns")
TARGETS = (
    "targets: rep identified in every meeting, q dist ≥ 95 %, quote dist ≥ 95 %, 0 mixed, "
    "han run ≤ 25, company found in ≥ 5 of 6 (of those where it was said)"
)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_COMPANY_SUFFIX = re.compile(
    r"(股份)?有限(责任)?公司|有限公司|公司|商行|行$|\(pty\)|\bpty\b|\bltd\b|\binc\b|\bllc\b|"
    r"\bco\b|\bcorp(oration)?\b|\bgmbh\b|\bs\.?a\b|\ba/s\b",
    re.I,
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Titles after a surname, in Simplified (names are compared after OpenCC t2s).
_TITLES = frozenset(
    {
        *("总", "董", "总经理", "董事长", "副总", "经理", "老板", "工", "先生", "小姐", "女士"),
        *("姐", "哥", "主任", "处长", "科长", "厂长", "部长", "老师", "会计"),
    }
)


# --- the inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One scripted turn as rendered: its time span and its side."""

    start: float
    end: float
    speaker: str  # rep / dist / dist2

    @property
    def side(self) -> str:
        return "rep" if self.speaker == "rep" else "dist"


@dataclass(frozen=True)
class Meeting:
    """One rendered meeting of ``bench/memo``."""

    id: str
    audio: Path
    script: dict[str, Any]
    turns: tuple[Turn, ...]

    @property
    def duration_s(self) -> float:
        return max((t.end for t in self.turns), default=0.0)


def meetings(folder: Path = MEETINGS) -> list[Meeting]:
    """The meetings in ``folder``: each ``<id>.mp3`` with its ``<id>.json`` and timeline."""
    found = []
    for audio in sorted(folder.glob("*.mp3")):
        script = json.loads(audio.with_suffix(".json").read_text("utf-8"))
        timeline = json.loads((folder / f"{audio.stem}.timeline.json").read_text("utf-8"))
        turns = tuple(Turn(float(t["start"]), float(t["end"]), str(t["speaker"])) for t in timeline)
        found.append(Meeting(audio.stem, audio, script, turns))
    return found


def side_of(start: float, end: float, turns: Iterable[Turn]) -> str:
    """The side of the turn overlapping ``[start, end]`` most (nearest turn if none overlaps)."""
    best, best_key = "dist", (-1.0, float("-inf"))
    for t in turns:
        overlap = min(end, t.end) - max(start, t.start)
        key = (max(overlap, 0.0), overlap)  # no overlap: the least negative gap wins
        if key > best_key:
            best, best_key = t.side, key
    return best


# --- drafting -----------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Drafted:
    """What one draft left in the keep folder, read back as JSON."""

    transcript: dict[str, Any]
    notes: dict[str, Any]
    rep_label: str | None
    seconds: float
    cached: bool


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """sha256 over the transcription and speaker-labelling code: a change re-transcribes."""
    h = hashlib.sha256()
    for folder in ("asr", "speakers"):
        for path in sorted((ROOT / "pipeline" / folder).rglob("*.py")):
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def known(meeting_id: str) -> dict[str, Any]:
    """``{"distributor": short name as said, "known": [names]}`` from ``glossary.json``, or {}."""
    table = json.loads(KNOWN.read_text("utf-8")) if KNOWN.exists() else {}
    entry = table.get(meeting_id)
    return entry if isinstance(entry, dict) else {}


def cache_key(meeting: Meeting, glossary: tuple[str, ...] = (), batch_size: int = -1) -> dict[str, str]:
    """What a cached transcript must have been made from to be reused."""
    key = {
        "audio_sha256": sha256(meeting.audio),
        "code_sha256": code_hash(),
        "decoding": _decoding(batch_size),
    }
    return {**key, "glossary": "|".join(glossary)} if glossary else key


def _decoding(batch_size: int) -> str:
    return "default" if batch_size < 0 else "batched" if batch_size else "sequential"


def _cached(
    meeting: Meeting, keep: Path, glossary: tuple[str, ...], batch_size: int
) -> tuple[Path, dict[str, Any]] | None:
    """The cached transcript and its bench record, when still valid for ``meeting``."""
    path, record = keep / f"{meeting.id}.transcript.json", keep / f"{meeting.id}.bench.json"
    if not (path.exists() and record.exists()):
        return None
    try:
        saved = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    key = cache_key(meeting, glossary, batch_size)
    return (path, saved) if all(saved.get(k) == v for k, v in key.items()) else None


class _RepLabelSpy:
    """Wraps ``pipeline.speakers.label_for_draft`` to note the rep label it gives the notes."""

    def __init__(self) -> None:
        self.label: str | None = None

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        import pipeline.speakers as speakers

        original = speakers.label_for_draft

        def spy(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            self.label = result[1]
            return result

        speakers.label_for_draft = spy
        try:
            yield
        finally:
            speakers.label_for_draft = original


def draft_meeting(
    meeting: Meeting, keep: Path, fresh: bool, glossary: tuple[str, ...] = (), batch_size: int = -1
) -> Drafted:
    """Draft one meeting into ``keep`` (from its cached transcript when there is one), decoding
    with ``glossary`` (the names the rep knows beforehand) when given, ``batch_size`` chunks at
    a time: ``memo draft``'s default per language when below 0, sequentially when 0."""
    from pipeline.asr.transcribe import TranscribeOptions
    from pipeline.draft import DraftOptions, draft
    from pipeline.notes.build import NotesOptions
    from pipeline.types import Script

    script: Script = "hans" if meeting.script.get("script") == "hans" else "hant"
    transcribe = TranscribeOptions(script=script, glossary=glossary, batch_size=batch_size)
    options = DraftOptions(transcribe=transcribe, outdir=keep, speakers=True)
    cached = None if fresh else _cached(meeting, keep, glossary, batch_size)
    started = time.perf_counter()
    if cached is not None:
        path, saved = cached
        rep_label = saved.get("rep")
        options = dataclasses.replace(options, notes=NotesOptions(rep_speaker=rep_label))
        result = draft(path, options)
    else:
        spy = _RepLabelSpy()
        with spy.watching():
            result = draft(meeting.audio, options)
        rep_label = spy.label
        record = {"rep": rep_label, **cache_key(meeting, glossary, batch_size)}
        (keep / f"{meeting.id}.bench.json").write_text(json.dumps(record, indent=1), "utf-8")
    seconds = time.perf_counter() - started
    return Drafted(
        transcript=json.loads(result.transcript.read_text("utf-8")),
        notes=json.loads(result.notes.read_text("utf-8")),
        rep_label=rep_label,
        seconds=seconds,
        cached=cached is not None,
    )


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Score:
    """The bench figures of one meeting (or, summed, of all)."""

    id: str
    audio_s: float = 0.0
    rep_ok: int = 0
    rep_note: str = ""
    header_note: str = ""
    diar_ok_s: float = 0.0
    diar_all_s: float = 0.0
    q_dist: int = 0
    q_all: int = 0
    quote_dist: int = 0
    quote_all: int = 0
    mixed: int = 0
    qa_mixed: int = 0
    han_run: int = 0
    header_found: int = 0
    header_said: int = 0
    company_found: int = 0
    company_said: int = 0
    parting_ok: int = 0
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)


def _pct(n: int | float, d: int | float) -> str:
    return f"{100.0 * n / d:.0f} %" if d else "–"


def longest_han_run(text: str) -> int:
    """Han characters in the longest stretch of ``text`` without a punctuation mark."""
    best = run = 0
    for ch in text:
        if unicodedata.category(ch).startswith("P"):
            run = 0
        elif _HAN.match(ch):
            run += 1
            best = max(best, run)
    return best


def rep_label_exposed(transcript: dict[str, Any], notes: dict[str, Any]) -> tuple[str | None, str]:
    """The rep label the outputs name, and where it was found.

    The notes' ``sides`` object (``{"rep": "S2", "how": "inferred", "confidence": 0.98}``) wins;
    then a ``rep_speaker`` field or a ``sides`` map label → side in the notes or transcript.
    """
    settings = transcript.get("settings") or {}
    holders = {
        "notes": notes,
        "notes memo": notes.get("memo") or {},
        "transcript": transcript,
        "transcript settings": settings,
        "transcript speakers": settings.get("speakers") or {},
    }
    for where, holder in holders.items():
        sides = holder.get("sides")
        if isinstance(sides, dict):
            label = sides.get("rep")
            if isinstance(label, str) and label:
                extra = ", ".join(f"{k} {v}" for k, v in sides.items() if k != "rep")
                return label, f"{where} sides ({extra})" if extra else f"{where} sides"
            reps = [k for k, v in sides.items() if v == "rep"]
            if len(reps) == 1:
                return reps[0], f"{where} sides"
        label = holder.get("rep_speaker")
        if isinstance(label, str) and label:
            return label, f"{where} rep_speaker"
    return None, ""


def score_rep(meeting: Meeting, drafted: Drafted, segments: list[dict[str, Any]], score: Score) -> None:
    """The ``rep`` and ``diar`` columns."""
    on_side: dict[str, dict[str, float]] = {}  # label → side → seconds
    for seg in segments:
        label = seg.get("speaker")
        if label is None:
            continue
        for t in meeting.turns:
            overlap = min(seg["end"], t.end) - max(seg["start"], t.start)
            if overlap > 0:
                sides = on_side.setdefault(label, {})
                sides[t.side] = sides.get(t.side, 0.0) + overlap
    for sides in on_side.values():
        score.diar_ok_s += max(sides.values())
        score.diar_all_s += sum(sides.values())
    labels = sorted(on_side)
    rep_label, where = rep_label_exposed(drafted.transcript, drafted.notes)
    if rep_label is None and drafted.rep_label:
        rep_label, where = drafted.rep_label, "label_for_draft"
    if not labels:
        score.rep_note = "no speaker labels in the transcript"
        return
    if rep_label is None:
        exposed = drafted.notes.get("sides")
        why = f"notes sides {json.dumps(exposed)}" if exposed else "no rep_speaker/sides field"
        score.rep_note = (
            f"no rep label: speakers {'/'.join(labels)}, no enrollment, and neither the draft nor "
            f"the notes/transcript JSON names the rep ({why})"
        )
        return
    best = max(labels, key=lambda k: on_side[k].get("rep", 0.0))
    mine = on_side.get(rep_label, {})
    purity = mine.get("rep", 0.0) / (sum(mine.values()) or 1.0)
    if rep_label == best and purity > 0.5:
        score.rep_ok = 1
        score.rep_note = f"rep = {rep_label} from {where}; {purity:.0%} of its time on rep turns"
    else:
        score.rep_note = (
            f"rep = {rep_label} from {where} is wrong: the rep turns are mostly {best}; "
            f"{purity:.0%} of {rep_label}'s time is on rep turns"
        )


def _bullets(memo: dict[str, Any], *names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        value = memo.get(name)
        if isinstance(value, dict):
            out.append(value)
        elif isinstance(value, list):
            out.extend(b for b in value if isinstance(b, dict))
    return out


def _bullet_sides(bullet: dict[str, Any], seg_side: dict[int, str], key: str = "segments") -> set[str]:
    """The sides of the segments a bullet lists under ``key``."""
    return {seg_side.get(int(i), "?") for i in bullet.get(key) or ()}


def _said_by(bullet: dict[str, Any], seg_side: dict[int, str]) -> str:
    """The sides of a bullet's segments in order, e.g. ``rep+dist``."""
    sides = [seg_side.get(int(i), "?") for i in bullet.get("segments") or ()]
    return "+".join(dict.fromkeys(sides)) or "no segments"


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def _norm_name(text: str, company: bool = False) -> str:
    text = _t2s().convert(text).casefold()
    if company:
        text = _COMPANY_SUFFIX.sub(" ", text)
    return _NON_WORD.sub("", text)


def _surname_title(said: str, candidate: str) -> bool:
    """A Chinese name said as surname and title (程总, 王董, 老王, 小龙 for 龙小梅)."""
    if not _HAN.match(said[:1]):
        return False
    surname = said[0]
    if candidate in (f"老{surname}", f"小{surname}"):
        return True
    return candidate.startswith(surname) and candidate[1:] in _TITLES


def fuzzy_found(said: str, candidates: Iterable[str], company: bool = False) -> bool:
    """Whether one of ``candidates`` names ``said``.

    Found: one contains the other (two characters at least), similarity ≥ 0.6, or (people)
    the surname with a title.
    """
    target = _norm_name(said, company)
    for cand in candidates:
        c = _norm_name(cand, company)
        if not c or not target:
            continue
        if not company and _surname_title(target, c):
            return True
        if (c in target or target in c) and min(len(c), len(target)) >= 2:
            return True
        if difflib.SequenceMatcher(None, c, target).ratio() >= 0.6:
            return True
    return False


def _strings_under(value: Any, keys: tuple[str, ...], inside: bool = False) -> list[str]:
    """Every string in ``value`` under a key containing one of ``keys``.

    A field given as ``{"value": ..., "segment": ..., "rule": ...}`` counts by its ``value``
    (or ``name`` / ``text``) only.
    """
    if isinstance(value, str):
        return [value] if inside else []
    if isinstance(value, dict):
        named = [value[k] for k in ("value", "name", "text") if isinstance(value.get(k), str)]
        if named:
            return named if inside else []
        out: list[str] = []
        for k, v in value.items():
            out += _strings_under(v, keys, inside or any(x in str(k).casefold() for x in keys))
        return out
    if isinstance(value, list):
        return [x for v in value for x in _strings_under(v, keys, inside)]
    return []


def score_header(meeting: Meeting, notes: dict[str, Any], score: Score) -> None:
    """The ``header`` columns: company and distributor-side people, found vs said."""
    people = [
        str(p.get("name", ""))
        for p in meeting.script.get("participants") or ()
        if p.get("id") != "rep" and p.get("name")
    ]
    company = str(meeting.script.get("distributor") or "")
    # The company counts as said only when its name is spoken in the meeting (its short
    # name, from glossary.json, in some turn); a name nobody said cannot be heard.
    short = str(known(meeting.id).get("distributor") or "")
    if short:
        spoken = " ".join(str(t.get("text", "")) for t in meeting.script.get("turns") or ())
        company = company if _norm_name(short) in _norm_name(spoken) else ""
    score.company_said = 1 if company else 0
    score.header_said = score.company_said + len(people)
    header = notes.get("header") or (notes.get("memo") or {}).get("header")
    if not isinstance(header, dict):
        score.header_note = "header: the notes JSON has no header object"
        return
    companies = _strings_under(header, ("compan", "distributor", "org"))
    names = _strings_under(header, ("people", "person", "participant", "name", "contact", "attendee"))
    if company and fuzzy_found(company, companies, company=True):
        score.company_found = 1
        score.header_found += 1
    found_people = [p for p in people if fuzzy_found(p, names)]
    score.header_found += len(found_people)
    territory = _strings_under(header, ("territor", "city", "place", "region"))
    score.header_note = (
        f"header: company {companies or '–'}, people {names or '–'}, territory {territory or '–'} "
        f"| script: {company}; {', '.join(people)}"
    )


def score_meeting(meeting: Meeting, drafted: Drafted) -> Score:
    """All the columns of one meeting."""
    score = Score(meeting.id, audio_s=meeting.duration_s, seconds=drafted.seconds)
    segments = list(drafted.transcript.get("segments") or ())
    seg_side = {int(s["id"]): side_of(s["start"], s["end"], meeting.turns) for s in segments}
    score_rep(meeting, drafted, segments, score)
    memo = drafted.notes.get("memo") or {}

    for bullet in _bullets(memo, "questions", "parting_question"):
        score.q_all += 1
        key = "question_segments" if bullet.get("question_segments") else "segments"
        if _bullet_sides(bullet, seg_side, key) == {"dist"}:
            score.q_dist += 1
        else:
            score.details.append(f"question by {_said_by(bullet, seg_side)}: {bullet.get('text', '')[:80]}")
    for bullet in _bullets(memo, "strengths", "suggestions"):
        score.quote_all += 1
        if _bullet_sides(bullet, seg_side) == {"dist"}:
            score.quote_dist += 1
        else:
            score.details.append(f"quote by {_said_by(bullet, seg_side)}: {bullet.get('text', '')[:80]}")
    for name in SECTIONS:
        for bullet in _bullets(memo, name):
            if bullet.get("kind") == "qa":
                parts = ("question_segments", "answer_segments")
                if any(len(_bullet_sides(bullet, seg_side, p) - {"?"}) > 1 for p in parts):
                    score.qa_mixed += 1
                    score.details.append(f"qa part mixed ({name}): {bullet.get('text', '')[:80]}")
            elif len(_bullet_sides(bullet, seg_side) - {"?"}) > 1:
                score.mixed += 1
                score.details.append(
                    f"mixed ({name}, {_said_by(bullet, seg_side)}): {bullet.get('text', '')[:80]}"
                )

    all_bullets = _bullets(memo, *SECTIONS, "questions", "parting_question", "strengths", "suggestions")
    worst = max(all_bullets, key=lambda b: longest_han_run(str(b.get("text", ""))), default=None)
    if worst is not None:
        score.han_run = longest_han_run(str(worst.get("text", "")))
        if score.han_run > 25:
            score.details.append(f"han run {score.han_run}: {str(worst.get('text', ''))[:120]}")
    score_header(meeting, drafted.notes, score)
    score_parting(meeting, memo, segments, score)
    return score


def score_parting(
    meeting: Meeting, memo: dict[str, Any], segments: list[dict[str, Any]], score: Score
) -> None:
    """Whether the memo's parting question came from the labelled parting turn: one of its
    segments overlaps that turn's rendered time span by at least half of the segment."""
    labelled = [i for i, t in enumerate(meeting.script.get("turns") or ()) if t.get("parting_question")]
    bullet = memo.get("parting_question") or None
    if not labelled:
        score.parting_ok = int(bullet is None)
        return
    turn = meeting.turns[labelled[-1]]
    spans = {int(s["id"]): (float(s["start"]), float(s["end"])) for s in segments}
    for sid in (bullet or {}).get("segments") or ():
        start, end = spans.get(int(sid), (0.0, 0.0))
        overlap = min(end, turn.end) - max(start, turn.start)
        if end > start and overlap >= 0.5 * (end - start):
            score.parting_ok = 1
            return
    said = str(meeting.script["turns"][labelled[-1]].get("text", ""))[:60]
    found = str((bullet or {}).get("text", "–"))[:60]
    score.details.append(f"parting: memo has {found!r}; labelled {said!r}")


# --- the table ----------------------------------------------------------------------------------

COLUMNS = (
    "meeting",
    "audio",
    "rep",
    "diar",
    "q dist",
    "quote dist",
    "mixed",
    "qa mix",
    "han run",
    "header",
    "co",
    "parting",
    "draft s",
)


def _row(s: Score, overall: bool = False, n: int = 1) -> list[str]:
    rep = f"{s.rep_ok}/{n}" if overall else ("yes" if s.rep_ok else "no")
    co = (
        f"{s.company_found}/{s.company_said} said"
        if overall
        else ("yes" if s.company_found else "no" if s.company_said else "not said")
    )
    return [
        s.id,
        f"{s.audio_s / 60:.1f} min",
        rep,
        _pct(s.diar_ok_s, s.diar_all_s),
        f"{s.q_dist}/{s.q_all} {_pct(s.q_dist, s.q_all)}",
        f"{s.quote_dist}/{s.quote_all} {_pct(s.quote_dist, s.quote_all)}",
        str(s.mixed),
        str(s.qa_mixed),
        str(s.han_run),
        f"{s.header_found}/{s.header_said}",
        co,
        f"{s.parting_ok}/{n}" if overall else ("yes" if s.parting_ok else "no"),
        f"{s.seconds:.0f}",
    ]


def total(scores: list[Score]) -> Score:
    """The pooled overall row (han run: the maximum)."""
    t = Score("overall")
    for s in scores:
        for f in dataclasses.fields(Score):
            value = getattr(s, f.name)
            if f.name == "han_run":
                t.han_run = max(t.han_run, s.han_run)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                setattr(t, f.name, getattr(t, f.name) + value)
    return t


def print_table(scores: list[Score], details: bool) -> None:
    rows = [list(COLUMNS)] + [_row(s) for s in scores]
    rows.append(_row(total(scores), overall=True, n=len(scores)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    for k, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if k == 0 or k == len(rows) - 2:
            print("  ".join("-" * w for w in widths))
    print(TARGETS)
    print()
    for s in scores:
        print(f"{s.id}: {s.rep_note}")
        print(f"    {s.header_note}")
        if details:
            for line in s.details:
                print(f"    {line}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.memo", description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, default=DEFAULT_KEEP, help="folder of drafts and cached transcripts")
    ap.add_argument("--fresh", action="store_true", help="transcribe again even when a transcript is cached")
    ap.add_argument("--details", action="store_true", help="list the bullets behind each failure")
    ap.add_argument("--only", nargs="*", default=None, help="meeting ids to run (default: all)")
    ap.add_argument(
        "--dir", type=Path, default=MEETINGS,
        help="folder of rendered meetings (<id>.mp3, <id>.json, <id>.timeline.json; default bench/memo)",
    )  # fmt: skip
    decoding = ap.add_mutually_exclusive_group()
    decoding.add_argument(
        "--sequential", action="store_true",
        help="decode sequentially (memo draft --sequential); transcripts cached apart, in <keep>/sequential",
    )  # fmt: skip
    decoding.add_argument(
        "--batched", action="store_true",
        help="decode in batches (memo draft --batched); transcripts cached apart, in <keep>/batched "
        "(default: as memo draft does, Mandarin in batches, English sequentially)",
    )  # fmt: skip
    ap.add_argument(
        "--glossary", action="store_true",
        help="decode with the names the rep knows beforehand (bench/memo/glossary.json), as make demo does",
    )  # fmt: skip
    args = ap.parse_args(argv)

    found = [m for m in meetings(args.dir) if not args.only or m.id in args.only]
    if not found:
        print(f"no meetings in {args.dir}", file=sys.stderr)
        return 1
    keep = args.keep / "glossary" if args.glossary else args.keep
    from pipeline.asr.options import BATCH_SIZE

    batch_size = BATCH_SIZE if args.batched else 0 if args.sequential else -1
    keep = keep if batch_size < 0 else keep / _decoding(batch_size)
    keep.mkdir(parents=True, exist_ok=True)
    scores = []
    with tempfile.TemporaryDirectory(prefix="memo-bench-data-") as data:
        os.environ["MEMO_DATA_DIR"] = data  # empty: no enrolled rep voice
        for meeting in found:
            names = tuple(known(meeting.id).get("known", ())) if args.glossary else ()
            drafted = draft_meeting(meeting, keep, args.fresh, names, batch_size)
            how = "from cached transcript" if drafted.cached else "from audio"
            print(f"{meeting.id}: drafted {how} in {drafted.seconds:.0f} s", file=sys.stderr)
            scores.append(score_meeting(meeting, drafted))
    print()
    print_table(scores, args.details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
