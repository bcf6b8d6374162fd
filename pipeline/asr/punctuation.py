"""Mandarin punctuation inside long turns: marks at pauses and sentence-final particles.

Whisper base often writes a long Mandarin turn with few marks, or none; the memo needs
readable sentences and the notes label one sentence at a time. A run of Han characters
without a mark gets one:

1. after a sentence-final particle (嗎 → ？, 呢/吧 → 。 or ？…; ``data/punctuation.json``),
   where a comma Whisper wrote after an asking particle also becomes ？;
2. at a pause between words (``pause_s``; a long one, ``stop_s``, ends the sentence);
3. where a run is still longer than ``max_run`` Han characters, at its longest pause
   (the largest gap between words; with no gaps, before a word that often opens a
   clause, nearest the middle), until no run is longer.

A mark is never written inside a word Whisper decoded, a run of Latin letters or digits,
a Chinese number (三百五十, 十四點五), after 第, before a particle or measure word, or
inside a glossary name. Inserted sentence ends (。？) cut the segment into sentences at
that word boundary, so each segment stays one sentence (``resegment``'s promise); the
pieces keep their words, so segments stay sorted and never overlap.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from ..script import is_han
from ..types import Segment, Word
from .textmap import MARKS, char_map

SENTENCE_MARKS = frozenset("。？！")


@dataclass(frozen=True)
class PunctuationOptions:
    """Where marks go.

    Attributes:
        max_run: the most Han characters a run without a mark may have.
        pause_s: a silence this long between two words is a clause boundary (，).
        stop_s: a silence this long ends a sentence (。 or ？).
        min_piece: the fewest Han characters a mark may leave on either side of it
            (within its run), so no clause is cut into scraps.
        sentences: cut a segment into two where a sentence end (。？) is inserted.
    """

    max_run: int = 25
    pause_s: float = 0.3
    stop_s: float = 0.6
    min_piece: int = 4
    sentences: bool = True


@dataclass(frozen=True)
class Particle:
    """A sentence-final particle rule (``data/punctuation.json`` ``particles``)."""

    id: str
    chars: frozenset[str]
    mark: str
    question_if_cue: bool = False
    question_if_at_most: int = 0
    question_after: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rules:
    """The punctuation data, validated."""

    particles: tuple[Particle, ...]
    question_cues: tuple[str, ...]
    no_break_before: frozenset[str]
    clause_starts: tuple[str, ...]
    numerals: frozenset[str]

    def particle(self, ch: str) -> Particle | None:
        """The rule for a particle character, if it is one."""
        return next((p for p in self.particles if ch in p.chars), None)

    def is_question(self, clause: str) -> bool:
        """True when the clause holds a question cue (什麼, 有沒有…)."""
        return any(cue in clause for cue in self.question_cues)


def _ids(entries: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    ids = [e.get("id") for e in entries]
    if any(not isinstance(i, str) or not i for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"punctuation.json: every {what} entry needs a unique string id")
    return entries


@functools.lru_cache(maxsize=1)
def load_rules() -> Rules:
    """The rules shipped in ``pipeline/asr/data/punctuation.json``, checked on load.

    Raises:
        ValueError: an entry lacks a unique id or a particle's mark is not ，。？.
    """
    raw = json.loads(resources.files("pipeline.asr.data").joinpath("punctuation.json").read_text("utf-8"))
    particles = []
    for e in _ids(raw["particles"], "particles"):
        if e["mark"] not in ("，", "。", "？"):
            raise ValueError(f"punctuation.json: particle {e['id']!r}: mark must be one of: ，。？")
        particles.append(
            Particle(
                id=e["id"],
                chars=frozenset(e["chars"]),
                mark=e["mark"],
                question_if_cue=bool(e.get("question_if_cue", False)),
                question_if_at_most=int(e.get("question_if_at_most", 0)),
                question_after=frozenset(e.get("question_after", ())),
                not_after=frozenset(e.get("not_after", ())),
            )
        )
    return Rules(
        particles=tuple(particles),
        question_cues=tuple(w for e in _ids(raw["question_cues"], "question_cues") for w in e["words"]),
        no_break_before=frozenset(
            "".join(e["chars"] for e in _ids(raw["no_break_before"], "no_break_before"))
        ),
        clause_starts=tuple(w for e in _ids(raw["clause_starts"], "clause_starts") for w in e["words"]),
        numerals=frozenset("".join(e["chars"] for e in _ids(raw["numerals"], "numerals"))),
    )


def _runs(text: str, marks: dict[int, str]) -> list[tuple[int, int]]:
    """Spans of ``text`` holding no mark, original or inserted (inserted before index p)."""
    spans, start = [], 0
    for p, ch in enumerate(text):
        if p in marks and p > start:
            spans.append((start, p))
            start = p
        if ch in MARKS:
            if p > start:
                spans.append((start, p))
            start = p + 1
    if len(text) > start:
        spans.append((start, len(text)))
    return spans


def _han(text: str, a: int, b: int) -> int:
    return sum(1 for ch in text[a:b] if is_han(ch))


def longest_run(text: str) -> int:
    """Han characters in the longest stretch of ``text`` without a punctuation mark."""
    return max((_han(text, a, b) for a, b in _runs(text, {})), default=0)


def _protected(text: str, names: Iterable[str]) -> set[int]:
    """Positions strictly inside a glossary name: no mark goes there."""
    inside: set[int] = set()
    for name in names:
        if len(name) < 2:
            continue
        at = text.find(name)
        while at >= 0:
            inside.update(range(at + 1, at + len(name)))
            at = text.find(name, at + 1)
    return inside


def _mark_for(clause: str, rules: Rules, sentence_end: bool) -> str:
    if not sentence_end:
        return "，"
    return "？" if rules.is_question(clause) else "。"


def _particle_mark(p: Particle, clause: str, before: str, rules: Rules) -> str:
    if p.mark == "？":
        return "？"
    question = (
        (p.question_if_cue and rules.is_question(clause))
        or (p.question_if_at_most > 0 and sum(map(is_han, clause)) <= p.question_if_at_most)
        or before in p.question_after
    )
    return "？" if question else p.mark


def punctuate_text(
    text: str,
    gaps: dict[int, float] | None,
    names: Sequence[str] = (),
    options: PunctuationOptions | None = None,
) -> tuple[str, dict[int, str]]:
    """Marks for the long runs of one segment's text.

    Args:
        text: the segment's text (already in its script, full-width marks).
        gaps: the pause (s) at each position that ends a decoded word; only those
            positions may take a mark. ``None`` when the words are unknown: then any
            position between two Han characters may, with no pause known.
        names: glossary names, never split.
        options: thresholds; the defaults when ``None``.

    Returns:
        The punctuated text, and the marks inserted, keyed by their position in ``text``.
    """
    opts = options or PunctuationOptions()
    rules = load_rules()
    inside = _protected(text, names)
    allowed: dict[int, float] = {}
    candidates = gaps if gaps is not None else {p: 0.0 for p in range(1, len(text))}
    for p, gap in candidates.items():
        if not (0 < p < len(text)) or p in inside:
            continue
        left, right = text[p - 1], text[p]
        if not (is_han(left) and is_han(right)):
            continue  # also keeps Latin words and digits (14.5) whole
        if left in rules.numerals or right in rules.no_break_before:
            continue
        allowed[p] = gap
    marks: dict[int, str] = {}

    def run_at(p: int) -> tuple[int, int]:
        return next((a, b) for a, b in _runs(text, marks) if a < p < b)

    def fits(p: int, least: int) -> bool:
        a, b = run_at(p)
        return _han(text, a, p) >= least and _han(text, p, b) >= least

    # 1. Sentence-final particles with more text after them.
    for p in sorted(allowed):
        rule = rules.particle(text[p - 1])
        if rule is None or (p >= 2 and text[p - 2] in rule.not_after) or not fits(p, 2):
            continue
        a, _ = run_at(p)
        marks[p] = _particle_mark(rule, text[a:p], text[p - 2] if p >= 2 else "", rules)
    # 2. Pauses.
    for p in sorted(allowed):
        # A pause long enough to end a sentence is one even before a short word ("那個，").
        least = 1 if allowed[p] >= opts.stop_s else opts.min_piece
        if p not in marks and allowed[p] >= opts.pause_s and fits(p, least):
            a, _ = run_at(p)
            marks[p] = _mark_for(text[a:p], rules, allowed[p] >= opts.stop_s)
    # 3. Runs still too long: cut at the longest pause until none is.
    while True:
        long_runs = [(a, b) for a, b in _runs(text, marks) if _han(text, a, b) > opts.max_run]
        cut = None
        for a, b in long_runs:
            cut = _best_cut(text, a, b, allowed, rules, opts)
            if cut is not None:
                break
        if cut is None:
            break
        marks[cut] = "，"
    out = "".join(marks.get(p, "") + ch for p, ch in enumerate(text))
    return out, marks


def _best_cut(
    text: str, a: int, b: int, allowed: dict[int, float], rules: Rules, opts: PunctuationOptions
) -> int | None:
    """The position in run ``text[a:b]`` to cut: the longest pause, then a clause opener,
    then nearest the middle; pieces of ``min_piece`` characters if the run allows it."""
    total = _han(text, a, b)
    inner = [p for p in allowed if a < p < b]
    for least in (opts.min_piece, 1):
        fit = [p for p in inner if _han(text, a, p) >= least and _han(text, p, b) >= least]
        if fit:
            return max(
                fit,
                key=lambda p: (
                    round(allowed[p], 2),
                    any(text.startswith(w, p) for w in rules.clause_starts),
                    -abs(_han(text, a, p) - total / 2),
                ),
            )
    return None


def _split(seg: Segment, text: str, cuts: list[tuple[int, int]], words: list[Word]) -> list[Segment]:
    """Cut a segment into sentences.

    Args:
        seg: the segment as decoded.
        text: its punctuated text.
        cuts: (index in ``text`` just after a sentence end, index of the word it ends).
        words: its words, marks attached.
    """
    pieces: list[Segment] = []
    text_from = word_from = 0
    for at, last in sorted(cuts):
        piece_text = text[text_from:at].strip()
        if piece_text and last >= word_from:
            pieces.append(_piece(seg, piece_text, words[word_from : last + 1]))
            text_from, word_from = at, last + 1
    rest = text[text_from:].strip()
    if rest and word_from < len(words):
        pieces.append(_piece(seg, rest, words[word_from:]))
    elif pieces:  # no word after the last cut: the last piece keeps any trailing text
        pieces[-1] = replace(pieces[-1], text=(pieces[-1].text + rest).strip())
    return pieces or [replace(seg, text=text, words=tuple(words))]


def _upgrade(text: str, rules: Rules) -> tuple[str, list[int]]:
    """A comma after a particle that asks becomes ？ ("可以給我們獨家嗎，還有…").

    Returns the text and the positions changed (same length: positions are kept).
    """
    chars, changed = list(text), []
    for q in range(2, len(text) - 1):
        if text[q] not in "，," or not is_han(text[q + 1]):
            continue
        rule = rules.particle(text[q - 1])
        if rule is None or text[q - 2] in rule.not_after:
            continue
        start = max((text.rfind(m, 0, q) for m in MARKS), default=-1) + 1
        if _particle_mark(rule, text[start:q], text[q - 2], rules) == "？":
            chars[q] = "？"
            changed.append(q)
    return "".join(chars), changed


def _piece(source: Segment, text: str, words: list[Word]) -> Segment:
    return replace(
        source,
        start=words[0].start,
        end=max(words[-1].end, words[0].start),
        text=text,
        words=tuple(words),
    )


def punctuate_segments(
    segments: Sequence[Segment], names: Sequence[str] = (), options: PunctuationOptions | None = None
) -> tuple[list[Segment], list[int]]:
    """Punctuate the long runs of Mandarin segments; cut at inserted sentence ends.

    Args:
        segments: Mandarin segments, in order, in their final script.
        names: glossary names (in the same script), never split.
        options: thresholds; the defaults when ``None``.

    Returns:
        The new segments (ids not yet renumbered) and, for each, the index of the
        segment of ``segments`` it came from.
    """
    opts = options or PunctuationOptions()
    rules = load_rules()
    out: list[Segment] = []
    origin: list[int] = []
    for i, seg in enumerate(segments):
        cmap = char_map(seg)
        upgraded, changed = _upgrade(seg.text, rules)
        text, marks = punctuate_text(upgraded, cmap.gap_after if cmap else None, names, opts)
        text = _close(text, rules)
        if cmap is not None and (marks or changed):
            words = list(seg.words)
            for p, m in [*marks.items(), *((q, "？") for q in changed)]:
                if p in cmap.word_end:
                    j = cmap.word_end[p]
                    words[j] = replace(words[j], word=words[j].word.rstrip(",，") + m)
            # Where each sentence end lands in ``text``: a mark inserted at p stands
            # before seg.text[p]; an upgraded comma at q is seg.text[q] itself.
            cuts = [
                (p + sum(1 for k in marks if k <= p), cmap.word_end[p])
                for p, m in marks.items()
                if m in SENTENCE_MARKS and p in cmap.word_end
            ] + [
                (q + 1 + sum(1 for k in marks if k <= q), cmap.word_end[q])
                for q in changed
                if q in cmap.word_end
            ]
            if opts.sentences and cuts:
                pieces = [replace(s, text=_close(s.text, rules)) for s in _split(seg, text, cuts, words)]
            else:
                pieces = [replace(seg, text=text, words=tuple(words))]
        else:
            pieces = [replace(seg, text=text)]
        out += pieces
        origin += [i] * len(pieces)
    return out, origin


def _close(text: str, rules: Rules) -> str:
    """A closing 。 after a particle that asks becomes ？ ("你們呢。" -> "你們呢？")."""
    if len(text) < 2 or text[-1] != "。":
        return text
    rule = rules.particle(text[-2])
    if rule is None or (len(text) >= 3 and text[-3] in rule.not_after):
        return text
    start = max((text.rfind(m, 0, len(text) - 1) for m in MARKS), default=-1) + 1
    mark = _particle_mark(rule, text[start:-1], text[-3] if len(text) >= 3 else "", rules)
    return text[:-1] + ("。" if mark == "，" else mark)
