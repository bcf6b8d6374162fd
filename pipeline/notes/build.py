"""Notes stage: label every transcript segment and gather the memo content.

Each segment is split into sentences, each sentence is matched against the rules
(``classify.label_sentence``), and the segment gets the label of its business
sentences. Discourse context fills the gaps the rules leave: a short answer takes
the category of the question it answers, a segment with no cue continues the
current topic, and after the goodbyes start nothing is inherited, so only
segments with their own content (the parting question) get a category.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import opencc

from ..types import (
    MEMO_SECTIONS,
    Bullet,
    Category,
    MemoContent,
    Notes,
    Segment,
    SegmentNote,
    Transcript,
)
from .classify import SentenceLabels, label_sentences, rules_version
from .cleanup import clean_text

logger = logging.getLogger(__name__)

_SPLIT = {
    "zh": re.compile(r"(?<=[。！？!?；;])"),
    "en": re.compile(r"(?<=[.!?])\s+"),
}
# Below this much content (zh characters / en words) a cue-less sentence is a back-channel.
_MIN_CONTENT = {"zh": 5, "en": 3}
_MIN_QUESTION = {"zh": 3, "en": 2}
# A segment this short (zh characters / en words) that only names a topic asks about it.
_TERSE = {"zh": 4, "en": 3}
_FIGURE = {
    "zh": re.compile(r"[0-9]|[零〇一二两三四五六七八九十百千万]{2,}"),
    "en": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty"
        r"|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|half|percent)\b",
        re.I,
    ),
}
_JOIN = {"zh": "", "en": " "}  # how sentences are put back together
# The goodbyes are only looked for in the last part of a meeting.
_FAREWELL_FROM = 0.6
# Without a goodbye cue, the parting question is looked for in this many last segments.
_PARTING_WINDOW = 6
_TOPIC_PRIOR = 0.4
# An answer keeps the question's category unless its own cues clearly outweigh it (dev sets: 0.6 < 1.0 < 1.5).
_ANSWER_PRIOR = 1.5
# A distributor describing its own warehouses or network is talking about itself.
_OWN_COMPANY_BOOST = 1.0
_MIN_STRENGTH = 1.5
_SELF = {
    "zh": re.compile(r"我们|咱们|我这边"),
    "en": re.compile(r"\b(?:we|we're|we've|our|us)\b", re.I),
}


@dataclass(frozen=True)
class NotesOptions:
    """Settings of the notes stage.

    Attributes:
        rep_speaker: the speaker label of the manufacturer's rep; every other
            label is the distributor side, and segments whose speaker is None
            are of unknown side (treated as possibly the distributor).
    """

    rep_speaker: str | None = "rep"


@dataclass(frozen=True)
class _Sentence:
    text: str  # as spoken, in the transcript's script
    clean: str  # without fillers, in the transcript's script
    key: str  # what the rules saw: Simplified for Chinese
    labels: SentenceLabels

    @property
    def is_chatter(self) -> bool:
        """Farewells and small talk: their business words do not count."""
        s = self.labels.scores
        business = sum(s.get(c, 0.0) for c in MEMO_SECTIONS)
        if self.labels.has("farewell"):
            return True
        # Advice is never small talk, whatever weather or coffee words it mentions.
        return s.get("none", 0.0) > business and not self.labels.has("suggestion")


@functools.lru_cache(maxsize=8)
def _t2s() -> opencc.OpenCC:
    # One converter per process: building it reads OpenCC's dictionaries.
    return opencc.OpenCC("t2s")


def split_sentences(text: str, language: str) -> list[str]:
    """Split one segment into sentences, keeping their end punctuation."""
    return [s for s in (p.strip() for p in _SPLIT[language].split(text)) if s]


def _analyse(texts: list[str], language: str) -> list[list[_Sentence]]:
    """Split and label the sentences of many segments in one pass.

    One OpenCC conversion and one spaCy doc for all of them: the rules' regexes
    then scan the transcript once instead of once per segment.
    """
    parts = [split_sentences(t, language) for t in texts]
    flat = [p for ps in parts for p in ps]
    if language == "zh":
        # OpenCC keeps the line breaks between sentences.
        keys = _t2s().convert("\n".join(flat)).split("\n")
        if len(keys) != len(flat):
            keys = [_t2s().convert(p) for p in flat]
    else:
        keys = flat
    labels = label_sentences(language, keys) if flat else []
    out: list[list[_Sentence]] = []
    k = 0
    for ps in parts:
        out.append(
            [_Sentence(t, clean_text(t, language), keys[k + j], labels[k + j]) for j, t in enumerate(ps)]
        )
        k += len(ps)
    return out


def _known_sides(transcript: Transcript, options: NotesOptions) -> NotesOptions:
    """Sides are unknown when no segment is the rep's (speakers S1, S2… without an enrollment)."""
    if options.rep_speaker is not None and all(s.speaker != options.rep_speaker for s in transcript.segments):
        return replace(options, rep_speaker=None)
    return options


def _side(segment: Segment, options: NotesOptions) -> str:
    if segment.speaker is None or options.rep_speaker is None:
        return "unknown"
    return "rep" if segment.speaker == options.rep_speaker else "dist"


def _own_company(sents: list[_Sentence], side: str, language: str) -> float:
    """Weight of asset and coverage cues in a distributor's statements about itself.

    Questions do not count: "发到我们冷库？" asks about delivery, not about the warehouse.
    """
    if side == "rep":
        return 0.0
    # Advice names assets too ("先把网点铺开") without describing the company: it does not count.
    statements = [
        s
        for s in sents
        if not s.is_chatter and not s.labels.has("question") and not s.labels.has("suggestion")
    ]
    if not _SELF[language].search(" ".join(s.key for s in statements)):
        return 0.0
    return sum(1.5 for s in statements for _ in s.labels.ids_of("strength", "assets", "coverage"))


def _categorise(
    sents: list[_Sentence],
    language: str,
    topic: Category | None,
    answer_to: Category | None,
    own_company: float,
) -> tuple[Category, list[str]]:
    """The segment's category and the rule ids that decided it.

    Ties go to the context (the question being answered, then the current topic):
    a cue that only matches the context's score is no reason to change topic.
    """
    scores = dict.fromkeys(MEMO_SECTIONS, 0.0)
    business = [s for s in sents if not s.is_chatter]
    for s in business:
        for c in MEMO_SECTIONS:
            scores[c] += s.labels.scores.get(c, 0.0)
    # Before the first business point, a weak cue is not enough to leave the small talk.
    opening = topic is None and answer_to is None
    if max(scores.values()) >= (1.0 if opening else 1e-9):
        raw_best = max(MEMO_SECTIONS, key=lambda c: scores[c])
        if own_company >= _MIN_STRENGTH:
            scores["parties"] += _OWN_COMPANY_BOOST
        if topic in scores:
            scores[topic] += _TOPIC_PRIOR
        if answer_to in scores:
            scores[answer_to] += _ANSWER_PRIOR
        best: Category = max(MEMO_SECTIONS, key=lambda c: (scores[c], c == answer_to, c == topic))
        rules = [r for s in business for r in s.labels.rules.get(best, ())]
        if best != raw_best:
            rules.append(
                "ctx.own-company"
                if best == "parties" and own_company >= _MIN_STRENGTH
                else "ctx.answer"
                if best == answer_to
                else "ctx.topic"
            )
        return best, rules
    chatter = [r for s in sents for k in ("none", "farewell") for r in s.labels.rules.get(k, ())]
    if chatter:
        return "none", chatter
    # A short real question ("批价多少？", "Payment terms?") asks about the topic at hand.
    short = sum(s.labels.content_len for s in sents) < _MIN_CONTENT[language]
    if short and not _is_question(sents, language):
        return "none", ["ctx.backchannel"]
    if answer_to in scores:
        return answer_to, ["ctx.answer"]
    if topic in scores:
        return topic, ["ctx.topic"]
    return "none", ["ctx.no-cue"]


def _is_question(sents: list[_Sentence], language: str) -> list[str]:
    """Rule ids of the question cues in real (non-chatter, non-backchannel) sentences."""
    ids: list[str] = []
    for s in sents:
        if s.is_chatter or s.labels.content_len < _MIN_QUESTION[language]:
            continue
        ids.extend(s.labels.rules.get("question", ()))
    return ids


def _is_terse_topic(sents: list[_Sentence], language: str) -> bool:
    """A bare topic put to the other side: "Payment terms." / "Shipping." / "账期。".

    Only a few words, all of them a business topic, no figure (a figure makes it an
    offer: "Net thirty.") and no exclamation.
    """
    business = [s for s in sents if not s.is_chatter]
    if not business or len(business) != len(sents):
        return False
    text = " ".join(s.text for s in business)
    size = sum(s.labels.content_len for s in business)
    has_cue = any(s.labels.scores.get(c, 0.0) > 0 for s in business for c in MEMO_SECTIONS)
    return 0 < size <= _TERSE[language] and has_cue and "!" not in text and not _FIGURE[language].search(text)


def _is_parting_cue(sents: list[_Sentence], language: str) -> bool:
    return any(s.labels.has("parting_cue") for s in sents) and bool(_is_question(sents, language))


def _farewell_start(analysed: list[list[_Sentence]]) -> int:
    first = int(len(analysed) * _FAREWELL_FROM)
    for i in range(first, len(analysed)):
        if any(s.labels.has("farewell") for s in analysed[i]):
            return i
    return len(analysed)


def build_notes(transcript: Transcript, options: NotesOptions = NotesOptions()) -> Notes:
    """Label every segment of a transcript and gather the memo content.

    Args:
        transcript: the transcript; its language picks the rule set.
        options: whose side each speaker is on.

    Returns:
        One ``SegmentNote`` per segment (same ids, same order) and the memo content.
    """
    language = transcript.language
    segs = transcript.segments
    options = _known_sides(transcript, options)
    analysed = _analyse([s.text for s in segs], language)
    sides = [_side(s, options) for s in segs]
    farewell_at = _farewell_start(analysed)

    notes: list[SegmentNote] = []
    topic: Category | None = None
    last_topic: Category | None = None
    for i, (seg, sents) in enumerate(zip(segs, analysed, strict=False)):
        if i == farewell_at:
            last_topic, topic = topic, None  # goodbyes: only segments with their own content count
        prev = notes[-1] if notes else None
        answer_to: Category | None = None
        if prev is not None and prev.question and (sides[i - 1] != sides[i] or sides[i] == "unknown"):
            answer_to = prev.category
        own = _own_company(sents, sides[i], language)
        category, rules = _categorise(sents, language, topic, answer_to, own)
        if category == "none" and i >= farewell_at and _is_parting_cue(sents, language):
            # "Oh, one more thing…" on the way out: the point continues the meeting's last topic.
            category, rules = last_topic or "none", ["ctx.parting-cue"]
        note = _flags(seg, sents, sides[i], language, category, rules, own)
        notes.append(note)
        # After the goodbyes start, a point (the parting question) is answered but not carried on:
        # the closing thanks and goodbyes after it do not inherit its category.
        if category != "none" and i < farewell_at:
            topic = category
    notes = [
        replace(n, question=True, rules=(*n.rules, "ctx.terse-question"))
        if not n.question
        and n.category != "none"
        and i + 1 < len(notes)
        and sides[i + 1] != sides[i]
        and _is_terse_topic(analysed[i], language)
        else n
        for i, n in enumerate(notes)
    ]
    notes = _mark_parting(notes, analysed, sides, farewell_at)
    return Notes(
        language=language,
        segments=tuple(notes),
        memo=_build_memo(segs, notes, analysed, sides, language),
        rules_version=rules_version(),
    )


def _flags(
    seg: Segment,
    sents: list[_Sentence],
    side: str,
    language: str,
    category: Category,
    rules: list[str],
    own_company: float,
) -> SegmentNote:
    cleaned = _JOIN[language].join(s.clean for s in sents if s.clean)
    if category == "none":
        return SegmentNote(id=seg.id, clean_text=cleaned, category="none", rules=tuple(rules))
    business = [s for s in sents if not s.is_chatter]
    q_ids = _is_question(sents, language)
    sugg_ids: list[str] = []
    strength_ids: list[str] = []
    if side != "rep":
        for s in business:
            ids = s.labels.rules.get("suggestion", ())
            if s.labels.has("question"):
                # A question is advice only when it proposes something ("have you thought of…").
                ids = s.labels.ids_of("suggestion", "propose")
            sugg_ids.extend(ids)
        statements = [s for s in business if not s.labels.has("question")]
        weight = sum(s.labels.scores.get("strength", 0.0) for s in statements)
        key = " ".join(s.key for s in statements)
        if weight >= _MIN_STRENGTH and _SELF[language].search(key):
            strength_ids = [r for s in statements for r in s.labels.rules.get("strength", ())]
    if side != "dist":
        strength_ids = strength_ids or [r for s in business for r in s.labels.rules.get("reputation", ())]
    all_rules = rules + q_ids + sugg_ids + strength_ids
    return SegmentNote(
        id=seg.id,
        clean_text=cleaned,
        category=category,
        question=bool(q_ids),
        suggestion=bool(sugg_ids),
        strength=bool(strength_ids),
        rules=tuple(dict.fromkeys(all_rules)),
    )


def _mark_parting(
    notes: list[SegmentNote],
    analysed: list[list[_Sentence]],
    sides: list[str],
    farewell_at: int,
) -> list[SegmentNote]:
    """Flag the distributor side's last real question after the goodbyes began.

    Every first meeting ends with one, so the search widens rather than give up:
    with no goodbye cue found, the last few segments stand in for the goodbyes; with
    no question cue there, a distributor's "one more thing…" with business content
    (an indirect question) is taken.
    """
    start = farewell_at if farewell_at < len(notes) else max(0, len(notes) - _PARTING_WINDOW)
    dist = [
        i for i in range(len(notes) - 1, start - 1, -1) if sides[i] != "rep" and notes[i].category != "none"
    ]
    picks = [i for i in dist if notes[i].question]
    picks = picks or [i for i in dist if any(s.labels.has("parting_cue") for s in analysed[i])]
    if not picks:
        return notes
    i = picks[0]
    out = list(notes)
    out[i] = replace(notes[i], question=True, parting_question=True, rules=(*notes[i].rules, "ctx.parting"))
    return out


_MAX_MERGE = 3


def _text_of(sents: list[_Sentence], language: str, questions_only: bool = False) -> str:
    """Cleaned wording of a segment's business sentences (or just its questions)."""
    keep = [s for s in sents if not s.is_chatter and s.labels.content_len > 0]
    if questions_only:
        keep = [s for s in keep if s.labels.has("question")] or keep
    parts = [s.clean for s in keep]
    return _JOIN[language].join(p for p in parts if p)


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


class _Section:
    """Bullets of one memo section, merging consecutive turns and duplicates."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.items: list[tuple[list[str], list[int], float]] = []
        self.seen: dict[str, int] = {}  # normalised text -> bullet index

    def add(self, text: str, seg: Segment, merge_with_last: bool) -> None:
        if not text:
            return
        key = _norm(text)
        if key in self.seen:
            ids = self.items[self.seen[key]][1]
            if seg.id not in ids:
                ids.append(seg.id)  # the same point said again
            return
        if merge_with_last and self.items and len(self.items[-1][1]) < _MAX_MERGE:
            self.items[-1][0].append(text)
            self.items[-1][1].append(seg.id)
        else:
            self.items.append(([text], [seg.id], seg.start))
        self.seen[key] = len(self.items) - 1

    def bullets(self) -> tuple[Bullet, ...]:
        return tuple(
            Bullet(text=_JOIN[self.language].join(parts), segments=tuple(ids), start=start)
            for parts, ids, start in self.items
        )


def memo_from_labels(
    transcript: Transcript, labels: list[SegmentNote], options: NotesOptions = NotesOptions()
) -> MemoContent:
    """Gather the memo from given labels (e.g. a supervisor's corrected categories).

    The wording, merging and side rules are the same as ``build_notes``'s own.
    """
    segs = transcript.segments
    options = _known_sides(transcript, options)
    analysed = _analyse([s.text for s in segs], transcript.language)
    sides = [_side(s, options) for s in segs]
    return _build_memo(segs, labels, analysed, sides, transcript.language)


def _build_memo(
    segs: tuple[Segment, ...],
    notes: list[SegmentNote],
    analysed: list[list[_Sentence]],
    sides: list[str],
    language: str,
) -> MemoContent:
    sections = {c: _Section(language) for c in MEMO_SECTIONS}
    extra = {k: _Section(language) for k in ("questions", "suggestions", "strengths")}
    parting: Bullet | None = None
    for i, (seg, note) in enumerate(zip(segs, notes, strict=True)):
        if note.category == "none":
            continue
        text = _text_of(analysed[i], language)
        prev = notes[i - 1] if i else None
        # One point spans a question and its answer, or one speaker's consecutive turns.
        same_point = (
            prev is not None
            and prev.category == note.category
            and (sides[i - 1] == sides[i] or (prev.question and not note.question))
        )
        sections[note.category].add(text, seg, same_point)
        dist_side = sides[i] != "rep"
        if note.question and dist_side:
            extra["questions"].add(_text_of(analysed[i], language, True), seg, False)
        if note.suggestion:
            extra["suggestions"].add(text, seg, False)
        if note.strength:
            extra["strengths"].add(text, seg, False)
        if note.parting_question:
            parting = Bullet(_text_of(analysed[i], language, True), (seg.id,), seg.start)
    return MemoContent(
        parties=sections["parties"].bullets(),
        market=sections["market"].bullets(),
        product=sections["product"].bullets(),
        concerns=sections["concerns"].bullets(),
        questions=extra["questions"].bullets(),
        parting_question=parting,
        suggestions=extra["suggestions"].bullets(),
        strengths=extra["strengths"].bullets(),
    )


def notes_to_json(notes: Notes) -> dict[str, Any]:
    """The notes as a ``meeting-notes/1`` JSON object."""
    return notes.to_dict()
