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

from ..script import to_script
from ..types import (
    MEMO_SECTIONS,
    Bullet,
    Category,
    MemoContent,
    Notes,
    Segment,
    SegmentNote,
    Sides,
    Transcript,
)
from . import backoff, header, voice
from .classify import SentenceLabels, label_sentences, parting_cues, rules_version
from .cleanup import clean_text
from .sides import infer_rep

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
_STATEMENT_END = ("。", "！", ".", "!")
# The goodbyes are only looked for in the last part of a meeting.
_FAREWELL_FROM = 0.6
# Business speech (seconds) after a goodbye cue that shows the meeting went on past it.
_GONE_ON_S = 90.0
# The closing part, where the parting question is looked for, is at least this many last
# segments (transcripts without times) and the last this many seconds of speech.
_PARTING_WINDOW = 6
# The goodbyes often start with a wrap-up no cue names ("I should let you get back to your
# day"), so the parting question may come this many segments, or this many seconds of speech,
# before the first goodbye cue, whichever reaches further back (from audio a turn is cut into
# sentences: "Oh, wait, sorry. / One last thing… / The Barista. / Does it split…?").
_BEFORE_GOODBYE = 3
_BEFORE_GOODBYE_S = 30.0
_CLOSING_S = 60.0
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


# How the learned back-off (``backoff``) joins the rules, chosen by cross-validation on the
# labelled meetings (bench/train_notes.py --cv): the model's section replaces the rules'
# where the rules had no cue of their own, or where the model is this sure.
OVERRIDE_P = 0.0
# A flag is set at this probability. Strengths are under-called on meetings the model has
# not seen (by file halves on 65 meetings: precision 0.98, recall 0.76 at 0.5); at 0.3 F1
# rose 0.858 -> 0.877 as written, 0.848 -> 0.872 ASR-like, 0.849 -> 0.853 without speakers.
FLAG_P = {"question": 0.5, "suggestion": 0.5, "strength": 0.3}
_DEFAULT = object()


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
            # Unless it raises one more point on the way out: "对了，我送你下去顺便问一下，那款有没有
            # 做过淋雨测试" is a goodbye, a parting cue and a question in one breath.
            return not (self.labels.has("parting_cue") and self.labels.has("question"))
        # Advice is never small talk, whatever weather or coffee words it mentions.
        return s.get("none", 0.0) > business and not self.labels.has("suggestion")


def simplified(text: str) -> str:
    """Chinese text in Simplified characters, as the rules match it."""
    return to_script(text, "hans")


def split_sentences(text: str, language: str) -> list[str]:
    """Split one segment into sentences, keeping their end punctuation.

    Chinese also splits before a parting cue after a comma: a recogniser often writes the
    goodbye and the question asked on the way out as one sentence ("路上小心哦，啊对那个
    试用包，寄到哪里"), and the goodbye must not swallow the question.
    """
    parts = [s for s in (p.strip() for p in _SPLIT[language].split(text)) if s]
    if language != "zh":
        return parts
    return [q for p in parts for q in (x.strip() for x in _parting_split().split(p)) if q]


@functools.lru_cache(maxsize=1)
def _parting_split() -> re.Pattern[str]:
    cues = {c for cue in parting_cues("zh") for c in (cue, to_script(cue, "hant"))}
    alternatives = "|".join(sorted(map(re.escape, cues), key=len, reverse=True))
    return re.compile(rf"(?<=[，,])\s*(?=(?:啊|阿|哦|喔|欸|诶|誒)?(?:{alternatives}))")


def _analyse(texts: list[str], language: str) -> list[list[_Sentence]]:
    """Split and label the sentences of many segments in one pass.

    One OpenCC conversion and one spaCy doc for all of them: the rules' regexes
    then scan the transcript once instead of once per segment.
    """
    parts = [split_sentences(t, language) for t in texts]
    flat = [p for ps in parts for p in ps]
    if language == "zh":
        # OpenCC keeps the line breaks between sentences.
        keys = simplified("\n".join(flat)).split("\n")
        if len(keys) != len(flat):
            keys = [simplified(p) for p in flat]
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


def _sides(
    transcript: Transcript,
    options: NotesOptions,
    analysed: list[list[_Sentence]],
    model: backoff.Model | None,
) -> tuple[NotesOptions, Sides | None]:
    """Whose side each speaker is on: the rep's label as given, else inferred from the words.

    Speakers ``S1``, ``S2``… (no enrollment) have no ``rep``: the rep is then the speaker
    whose words are the maker's (``sides.infer_rep``), when sure enough; else sides stay
    unknown. ``None`` when the transcript has no speaker labels at all.
    """
    speakers = [s.speaker for s in transcript.segments]
    present = {s for s in speakers if s is not None}
    if not present:
        return replace(options, rep_speaker=None), None
    if options.rep_speaker in present:
        return options, Sides(options.rep_speaker, "given")
    logits = None
    if model is not None:
        unknown = ["unknown"] * len(speakers)
        farewell_at = _farewell_start(transcript.segments, analysed, transcript.language)
        blind = _rule_pass(transcript.segments, analysed, unknown, transcript.language, farewell_at)
        logits = model.rep_logits(_inputs(blind, analysed, unknown), transcript.language)
    guess = infer_rep(speakers, [[s.labels for s in ss] for ss in analysed], logits)
    if guess.rep is None:
        return replace(options, rep_speaker=None), Sides(None, "unknown", guess.confidence)
    return replace(options, rep_speaker=guess.rep), Sides(guess.rep, "inferred", guess.confidence)


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
    if _is_reaction(sents, language):
        return "none", ["ctx.reaction"]
    if answer_to in scores:
        return answer_to, ["ctx.answer"]
    if topic in scores:
        return topic, ["ctx.topic"]
    return "none", ["ctx.no-cue"]


def _is_question(sents: list[_Sentence], language: str, closing: bool = False) -> list[str]:
    """Rule ids of the question cues in real (non-chatter, non-backchannel) sentences.

    A question the speaker follows with two or more statements of their own asks nothing:
    they answer it themselves ("Who pays for stock they haven't seen? Nobody. …") or it was
    rhetorical (dev meetings: 17 such turns are questions, 61 are not). Not in the
    ``closing`` part of the meeting: the last thing asked on the way out comes with its
    reasons ("…do you do the long fittings? For the tall boys. I run out every year.").
    """
    real = [s for s in sents if not s.is_chatter and s.labels.content_len >= _MIN_QUESTION[language]]
    asks = [k for k, s in enumerate(real) if s.labels.has("question")]
    if asks and len(real) - asks[-1] > 2 and not closing:
        return []
    return [r for s in real for r in s.labels.rules.get("question", ())]


def _is_reaction(sents: list[_Sentence], language: str) -> bool:
    """A reaction ("That many? Impressive.", "這麼多？厲害。"): echo questions and exclamations.

    Each sentence is short, and the only thing that asks is the question mark: with no
    question word and no business cue it asks nothing the other side must answer.
    """
    asked = False
    for s in sents:
        cues = set(s.labels.rules.get("question", ()))
        if cues:
            only_mark = cues <= set(s.labels.ids_of("question", "mark"))
            if not only_mark or s.labels.content_len > _TERSE[language]:
                return False
            asked = True
        elif s.labels.content_len >= _MIN_CONTENT[language]:
            return False
    return asked


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


def _asks_on_the_way_out(sents: list[_Sentence], language: str) -> bool:
    """A real question with business-sized content: more than a back-channel or a courtesy."""
    content = sum(s.labels.content_len for s in sents if not s.is_chatter)
    return content >= 2 * _MIN_CONTENT[language] and bool(_is_question(sents, language, True))


def _is_parting_cue(sents: list[_Sentence], language: str) -> bool:
    return any(s.labels.has("parting_cue") for s in sents) and bool(_is_question(sents, language, True))


def _farewell_start(segs: tuple[Segment, ...], analysed: list[list[_Sentence]], language: str) -> int:
    """Where the goodbyes start: the first goodbye cue in the last part of the meeting that
    the meeting does not go on past. "那就这样" also settles a point ("可以，那就这样，第二个
    月货到付款"), and a phone call is excused with "sorry, I must just take this": when more
    than ``_GONE_ON_S`` of business speech follows a cue before the next one, the meeting
    went on, and the goodbyes start at a later cue (or, with none left, are not heard).
    """
    first = int(len(analysed) * _FAREWELL_FROM)
    cues = [i for i in range(first, len(analysed)) if any(s.labels.has("farewell") for s in analysed[i])]
    for k, cue in enumerate(cues):
        until = cues[k + 1] if k + 1 < len(cues) else len(analysed)
        business = sum(
            segs[j].end - segs[j].start
            for j in range(cue + 1, until)
            if any(not s.is_chatter and s.labels.content_len >= _MIN_CONTENT[language] for s in analysed[j])
        )
        if business <= _GONE_ON_S:
            return cue
    return len(analysed)


def build_notes(
    transcript: Transcript, options: NotesOptions = NotesOptions(), model: Any = _DEFAULT
) -> Notes:
    """Label every segment of a transcript and gather the memo content.

    Args:
        transcript: the transcript; its language picks the rule set.
        options: whose side each speaker is on.
        model: the learned back-off (``backoff.Model``); default the shipped one, ``None``
            for the rules alone.

    Returns:
        One ``SegmentNote`` per segment (same ids, same order) and the memo content.
    """
    language = transcript.language
    segs = transcript.segments
    if model is _DEFAULT:
        model = backoff.shipped()
    analysed = _analyse([s.text for s in segs], language)
    options, known = _sides(transcript, options, analysed, model)
    sides = [_side(s, options) for s in segs]
    farewell_at = _farewell_start(segs, analysed, language)
    notes = _rule_pass(segs, analysed, sides, language, farewell_at)
    if model is not None:
        notes = _with_backoff(model, notes, analysed, sides, language)
    start = _closing_start(segs, farewell_at)
    wide = min(start, max(_last_stretch(segs), _before(segs, start)))
    notes = _mark_parting(notes, analysed, sides, start, wide, language)
    return Notes(
        language=language,
        segments=tuple(notes),
        memo=_build_memo(segs, notes, analysed, sides, language, transcript.script),
        rules_version=rules_version(),
        sides=known,
        header=header.extract(segs, sides, language, transcript.script, _glossary(transcript)).to_dict(),
    )


def backoff_inputs(
    transcript: Transcript, options: NotesOptions = NotesOptions()
) -> list[backoff.SegmentInput]:
    """What the back-off model sees of each segment (the rules' pass over the transcript).

    The training script (``bench/train_notes.py``) calls this, so the model learns from the
    very features it is given at run time.
    """
    segs = transcript.segments
    analysed = _analyse([s.text for s in segs], transcript.language)
    options, _known = _sides(transcript, options, analysed, None)
    sides = [_side(s, options) for s in segs]
    farewell_at = _farewell_start(segs, analysed, transcript.language)
    notes = _rule_pass(segs, analysed, sides, transcript.language, farewell_at)
    return _inputs(notes, analysed, sides)


def _inputs(
    notes: list[SegmentNote], analysed: list[list[_Sentence]], sides: list[str]
) -> list[backoff.SegmentInput]:
    out = []
    for note, sents, side in zip(notes, analysed, sides, strict=True):
        scores: dict[str, float] = {}
        aspects: list[str] = []
        for s in sents:
            for label, value in s.labels.scores.items():
                scores[label] = scores.get(label, 0.0) + value
            aspects.extend(s.labels.aspects.values())
        out.append(
            backoff.SegmentInput(
                key=" ".join(s.key for s in sents),
                scores=scores,
                aspects=tuple(sorted(set(aspects))),
                category=note.category,
                question=note.question,
                suggestion=note.suggestion,
                strength=note.strength,
                side=side,
            )
        )
    return out


def _glossary(transcript: Transcript) -> tuple[str, ...]:
    """The names the rep gave before the meeting, as the transcript's settings keep them."""
    names = (transcript.settings or {}).get("glossary") or ()
    return tuple(str(n) for n in names if isinstance(n, str))


def _with_backoff(
    model: backoff.Model,
    notes: list[SegmentNote],
    analysed: list[list[_Sentence]],
    sides: list[str],
    language: str,
) -> list[SegmentNote]:
    """The rules' labels, revised where the back-off model disagrees (see ``OVERRIDE_P``)."""
    predictions = model.predict(_inputs(notes, analysed, sides), language)
    out = []
    for note, sents, side, pred in zip(notes, analysed, sides, predictions, strict=True):
        rules = list(note.rules)
        category = note.category
        own_cue = any(not r.startswith("ctx.") for r in note.rules)
        # Advice is never small talk: the model does not drop a point the rules found advice in.
        keeps_advice = pred.category == "none" and note.suggestion
        if pred.category != category and (not own_cue or pred.category_p >= OVERRIDE_P) and not keeps_advice:
            category = pred.category  # type: ignore[assignment]
            rules.append(f"model:{category}:{pred.category_p:.2f}")
        flags = {}
        for flag, p in (
            ("question", pred.question_p),
            ("suggestion", pred.suggestion_p),
            ("strength", pred.strength_p),
        ):
            value = p >= FLAG_P[flag] and category != "none"
            if flag == "suggestion":
                value = value and side != "rep"  # advice comes from the distributor side
            if flag == "strength" and side == "rep":
                # The rep reports the distributor's reputation heard from others; never its own company.
                value = value and any(s.labels.has("reputation") for s in sents)
            if value != getattr(note, flag):
                rules.append(f"model:{flag}={'yes' if value else 'no'}:{p:.2f}")
            flags[flag] = value
        if category != note.category or any(flags[k] != getattr(note, k) for k in flags):
            note = replace(
                note,
                category=category,
                rules=tuple(dict.fromkeys(rules)),
                question=flags["question"],
                suggestion=flags["suggestion"],
                strength=flags["strength"],
            )
        out.append(note)
    return out


def _rule_pass(
    segs: tuple[Segment, ...],
    analysed: list[list[_Sentence]],
    sides: list[str],
    language: str,
    farewell_at: int,
) -> list[SegmentNote]:
    """The rules' labels of every segment, with discourse context (topic, answers, goodbyes)."""
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
        note = _flags(seg, sents, sides[i], language, category, rules, own, closing=i >= farewell_at)
        notes.append(note)
        # After the goodbyes start, a point (the parting question) is answered but not carried on:
        # the closing thanks and goodbyes after it do not inherit its category.
        if category != "none" and i < farewell_at:
            topic = category
    return [
        replace(n, question=True, rules=(*n.rules, "ctx.terse-question"))
        if not n.question
        and n.category != "none"
        and i + 1 < len(notes)
        and sides[i + 1] != sides[i]
        and _is_terse_topic(analysed[i], language)
        else n
        for i, n in enumerate(notes)
    ]


def _flags(
    seg: Segment,
    sents: list[_Sentence],
    side: str,
    language: str,
    category: Category,
    rules: list[str],
    own_company: float,
    closing: bool = False,
) -> SegmentNote:
    cleaned = _JOIN[language].join(s.clean for s in sents if s.clean)
    if category == "none":
        return SegmentNote(id=seg.id, clean_text=cleaned, category="none", rules=tuple(rules))
    business = [s for s in sents if not s.is_chatter]
    q_ids = _is_question(sents, language, closing)
    sugg_ids: list[str] = []
    strength_ids: list[str] = []
    if side != "rep":
        for s in business:
            ids = s.labels.rules.get("suggestion", ())
            # A wh-word inside a statement ("work out what it costs, what it earns.") asks nothing.
            if s.labels.has("question") and not s.text.rstrip().endswith(_STATEMENT_END):
                # A question is advice only when it proposes something ("have you thought of…")
                # or invites the rep to see the market ("要不要礼拜六来展间站一天？").
                ids = s.labels.ids_of("suggestion", "propose", "invite")
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


def _closing_start(segs: tuple[Segment, ...], farewell_at: int) -> int:
    """Where the closing part of the meeting begins: the first goodbye, else the last stretch.

    A recording's goodbyes are spread over several segments, overlap, and may carry no cue
    word; without a cue the closing part is the last ``_CLOSING_S`` seconds of speech, and at
    least the last ``_PARTING_WINDOW`` segments.
    """
    if farewell_at < len(segs) or not segs:
        return farewell_at
    return _last_stretch(segs)


def _last_stretch(segs: tuple[Segment, ...]) -> int:
    """The first of the last ``_PARTING_WINDOW`` segments and last ``_CLOSING_S`` seconds."""
    if not segs:
        return 0
    end = segs[-1].end
    by_time = next((i for i, s in enumerate(segs) if s.start >= end - _CLOSING_S), len(segs))
    return min(by_time, max(0, len(segs) - _PARTING_WINDOW))


@dataclass(frozen=True)
class _Closing:
    """The closing part of a meeting, as the parting-question finders see it."""

    notes: list[SegmentNote]
    analysed: list[list[_Sentence]]
    sides: list[str]
    start: int  # the first segment of the closing part
    wide: int  # how far back before it a wrap-up with no cue may start
    language: str

    @functools.cached_property
    def dist(self) -> list[int]:
        """The closing part's segments not said by the rep, last first."""
        return [i for i in range(len(self.notes) - 1, self.start - 1, -1) if self.sides[i] != "rep"]

    @functools.cached_property
    def business(self) -> list[int]:
        """Of ``dist``, those with a business section."""
        return [i for i in self.dist if self.notes[i].category != "none"]

    def reply(self, i: int) -> int | None:
        """The rep's segment that answers distributor segment ``i`` (the distributor may say one
        more sentence first), or None; only where sides are known."""
        if self.sides[i] != "dist":
            return None
        for k in range(i + 1, min(i + 3, len(self.notes))):
            if self.sides[k] == "rep":
                return k
            if self.sides[k] != "dist":
                return None
        return None

    def has(self, i: int, label: str) -> bool:
        """Whether a sentence of segment ``i`` has a rule of ``label``."""
        return any(s.labels.has(label) for s in self.analysed[i])


# Each finder gives the parting question's segment and, where its section must change, the
# section it takes; None when it finds none.
_Found = tuple[int, Category | None] | None


def _asked(c: _Closing) -> _Found:
    """The distributor side's last business question in the closing part.

    From audio, a question the labels missed counts when the rep answers it with business of
    its own (sides known): the recogniser drops the question mark ("等一下，下个月的展会，样机
    来不来得及寄过来。"), and a goodbye in the same breath makes it read as small talk. It
    takes the answer's section.
    """
    for i in c.dist:
        note = c.notes[i]
        if note.category != "none" and note.question:
            return i, None
        reply = c.reply(i)
        if reply is None or c.notes[reply].category == "none":
            continue
        if _asks_on_the_way_out(c.analysed[i], c.language):
            return i, None if note.category != "none" else c.notes[reply].category
    return None


def _raised_by_cue(c: _Closing) -> _Found:
    """A distributor's "one more thing…" with business content (an indirect question)."""
    return next(((i, None) for i in c.business if c.has(i, "parting_cue")), None)


def _after_cue_said_alone(c: _Closing) -> _Found:
    """From audio the cue is often a sentence of its own ("Oh, one last thing, sorry. / The
    surf rods, are the reel seats stainless…"): the same distributor-side speaker's next point
    is what it raises (only where sides are known: without them any two turns would pair)."""
    n, s = c.notes, c.sides
    return next(
        ((i, None) for i in c.business
         if i > 0 and s[i] == "dist" and s[i - 1] == "dist" and n[i - 1].category == "none"
         and c.has(i - 1, "parting_cue")),
        None,
    )  # fmt: skip


def _asked_in_wrap_up(c: _Closing) -> _Found:
    """Before the first cue, a business question that follows small talk, a remark with no
    business word of its own ("今天聊下来心里有个底了，我们就保持联络…", its section only
    inherited) or the distributor's own wrap-up: the goodbyes often start with a wrap-up no
    cue names."""
    n, s = c.notes, c.sides
    return next(
        ((i, None) for i in range(c.start - 1, max(c.wide, 1) - 1, -1)
         if s[i] != "rep" and n[i].category != "none" and n[i].question
         and (n[i - 1].category == "none" or n[i - 1].rules == ("ctx.topic",) or _wraps_up(n, s, i))),
        None,
    )  # fmt: skip


def _asked_as_small_talk(c: _Closing) -> _Found:
    """A distributor's question the labels called small talk but that has content of its own:
    it takes the meeting's last business section (a parting point is never ``none``)."""
    topic = next((n.category for n in reversed(c.notes[: c.start]) if n.category != "none"), None)
    if topic is None:
        return None
    return next(
        ((i, topic) for i in c.dist
         if any(s.text.rstrip().endswith(("?", "？")) and s.labels.content_len >= _MIN_CONTENT[c.language]
                and not any(s.labels.has(k) for k in ("farewell", "not_question", "none"))
                for s in c.analysed[i])),
        None,
    )  # fmt: skip


def _point_after_goodbye(c: _Closing) -> _Found:
    """A recogniser often ends a spoken question with "." ("can you send me the list…", "when
    would the samples get here, roughly."): then the distributor's business point made after
    the goodbyes started is the parting question. Without sides, the last business point after
    the goodbyes started that the next speaker answers with business of its own (the question
    and its answer, before the last goodbyes)."""
    n, s = c.notes, c.sides
    said_bye = [c.has(k, "farewell") for k in range(len(n))]
    return next(
        ((i, None) for i in c.business
         if any(said_bye[c.start : i])
         and (s[i] == "dist" or (s[i] == "unknown" and i + 1 < len(n) and n[i + 1].category != "none"))),
        None,
    )  # fmt: skip


_PARTING_FINDERS = (
    _asked,
    _raised_by_cue,
    _after_cue_said_alone,
    _asked_in_wrap_up,
    _asked_as_small_talk,
    _point_after_goodbye,
)


def _before(segs: tuple[Segment, ...], start: int) -> int:
    """The earliest segment a wrap-up before the first goodbye cue at ``start`` may begin at."""
    if start >= len(segs):
        return start - _BEFORE_GOODBYE
    since = segs[start].start - _BEFORE_GOODBYE_S
    by_time = next((i for i in range(start) if segs[i].start >= since), start)
    return min(start - _BEFORE_GOODBYE, by_time)


def _mark_parting(
    notes: list[SegmentNote],
    analysed: list[list[_Sentence]],
    sides: list[str],
    start: int,
    wide: int,
    language: str,
) -> list[SegmentNote]:
    """Flag the distributor side's last substantive question in the closing part.

    Every first meeting ends with one, so the search widens rather than give up: the finders
    of ``_PARTING_FINDERS`` are tried in turn, the surest first, and the first that finds a
    segment decides (its rule ids say which: ``ctx.parting``, with ``ctx.parting-topic``
    where the segment took the meeting's last business section).
    """
    closing = _Closing(notes, analysed, sides, start, wide, language)
    for find in _PARTING_FINDERS:
        if (found := find(closing)) is not None:
            break
    else:
        return notes
    i, topic = found
    note = notes[i]
    if topic is not None:
        note = replace(note, category=topic, rules=(*note.rules, "ctx.parting-topic"))
    out = list(notes)
    out[i] = replace(note, question=True, parting_question=True, rules=(*note.rules, "ctx.parting"))
    return out


def _wraps_up(notes: list[SegmentNote], sides: list[str], i: int) -> bool:
    """The distributor's own remark before its question, with nothing asked in it ("That's been
    a useful hour. / What's the turnaround on…"): the wrap-up that opens the goodbyes.

    Without speakers both are of unknown side, and the pair is taken as one speaker's
    (119 dev meetings by file halves: parting 115 -> 117, no false one added).
    """
    return sides[i] != "rep" and sides[i - 1] == sides[i] and not notes[i - 1].question


_MAX_MERGE = 3
# A turn longer than this (business characters / words) is split into points, one bullet
# each, and a point is closed once it holds this much; a short turn stays one point. One
# speaker's next segments join its bullet only while the bullet stays within _MERGE_LEN.
_LONG_TURN = {"zh": 60, "en": 45}
_POINT_LEN = {"zh": 30, "en": 22}
_MERGE_LEN = {"zh": 60, "en": 30}
# A sentence moves its point to another section only on a cue this clear (its own rules'
# weight, and its margin over the section of the point before it).
_POINT_CUE, _POINT_MARGIN = 1.0, 0.5


def _size(text: str, language: str) -> int:
    """Characters (Chinese) or words (English): how long a bullet reads."""
    return len(re.findall(r"[\u4e00-\u9fff0-9A-Za-z]", text)) if language == "zh" else len(text.split())


def _points(
    sents: list[_Sentence], language: str, category: Category
) -> list[tuple[Category, list[_Sentence]]]:
    """A turn's business sentences as points: ``(section, sentences)``, in order.

    One bullet per point, so a long turn reads as several short ones; and a section per
    point, so a turn that moves from the warehouse to the payment terms puts each where it
    belongs. A sentence without a clear cue of its own stays in the point before it.
    """
    business = [s for s in sents if not s.is_chatter and s.labels.content_len > 0]
    if sum(s.labels.content_len for s in business) <= _LONG_TURN[language] or len(business) < 2:
        return [(category, sents)]
    points: list[tuple[Category, list[_Sentence]]] = []
    for s in business:
        scores = {c: s.labels.scores.get(c, 0.0) for c in MEMO_SECTIONS}
        current = points[-1][0] if points else category
        own: Category = max(MEMO_SECTIONS, key=lambda c: (scores[c], c == current))
        clear = scores[own] >= _POINT_CUE and scores[own] - scores[current] >= _POINT_MARGIN
        section = own if clear else current
        if (
            points
            and points[-1][0] == section
            and (sum(x.labels.content_len for x in points[-1][1]) < _POINT_LEN[language])
        ):
            points[-1][1].append(s)
        else:
            points.append((section, [s]))
    return points


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


@dataclass
class _Item:
    parts: list[str]
    ids: list[int]
    start: float
    speaker: str | None
    rewrites: list[str]
    answer: list[str] | None = None  # a qa item: the answering side's wording…
    answer_ids: list[int] | None = None  # …and segments
    labels: tuple[str, str] = ("", "")


class _Section:
    """Bullets of one memo section: one side's consecutive turns merged, Q&A paired, duplicates once."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.items: list[_Item] = []
        self.seen: dict[str, int] = {}  # normalised text -> bullet index

    def add(self, text: str, seg: Segment, merge_with_last: bool, rewrites: tuple[str, ...] = ()) -> None:
        if not text:
            return
        key = _norm(text)
        if key in self.seen:
            ids = self.items[self.seen[key]].ids
            if seg.id not in ids:
                ids.append(seg.id)  # the same point said again
            return
        last = self.items[-1] if self.items else None
        # The answer goes on in the same speaker's next turn: still the same Q&A item.
        if (
            merge_with_last and last is not None and last.answer is not None and last.answer_ids
            and last.answer_ids[-1] == seg.id - 1 and len(last.answer_ids) < _MAX_MERGE
        ):  # fmt: skip
            last.answer.append(text)
            last.answer_ids.append(seg.id)
            last.rewrites.extend(rewrites)
            self.seen[key] = len(self.items) - 1
            return
        merged = _JOIN[self.language].join([*(last.parts if last else []), text])
        if (
            merge_with_last and last is not None and last.answer is None and len(last.ids) < _MAX_MERGE
            and _size(merged, self.language) <= _MERGE_LEN[self.language]
        ):  # fmt: skip
            last.parts.append(text)
            last.ids.append(seg.id)
            last.rewrites.extend(rewrites)
        else:
            self.items.append(_Item([text], [seg.id], seg.start, seg.speaker, list(rewrites)))
        self.seen[key] = len(self.items) - 1

    def answer(
        self, questions: set[int], text: str, seg: Segment, labels: tuple[str, str], rewrites: tuple[str, ...]
    ) -> bool:
        """Pair ``text`` with the last bullet when that bullet is the other side's question."""
        last = self.items[-1] if self.items else None
        if not text or last is None or last.answer is not None or not questions & set(last.ids):
            return False
        last.answer, last.answer_ids, last.labels = [text], [seg.id], labels
        last.rewrites.extend(rewrites)
        return True

    def bullets(self) -> tuple[Bullet, ...]:
        join = _JOIN[self.language]
        out = []
        for item in self.items:
            rewrites = tuple(dict.fromkeys(item.rewrites))
            if item.answer is None:
                out.append(Bullet(join.join(item.parts), tuple(item.ids), item.start, rewrites=rewrites))
                continue
            ask, reply = item.labels
            text = f"{ask}{join.join(item.parts)}{reply}{join.join(item.answer)}"
            ids = tuple(item.ids + (item.answer_ids or []))
            out.append(
                Bullet(text, ids, item.start, "qa", tuple(item.ids), tuple(item.answer_ids or []), rewrites)
            )
        return tuple(out)


def memo_from_labels(
    transcript: Transcript, labels: list[SegmentNote], options: NotesOptions = NotesOptions()
) -> MemoContent:
    """Gather the memo from given labels (e.g. a supervisor's corrected categories).

    The wording, merging and side rules are the same as ``build_notes``'s own.
    """
    segs = transcript.segments
    analysed = _analyse([s.text for s in segs], transcript.language)
    options, _known = _sides(transcript, options, analysed, backoff.shipped())
    sides = [_side(s, options) for s in segs]
    return _build_memo(segs, labels, analysed, sides, transcript.language, transcript.script)


def _memo_text(
    sents: list[_Sentence], language: str, side: str, script: str | None, cues: tuple[str, ...] = ()
) -> tuple[str, tuple[str, ...]]:
    """A segment's business sentences in memo voice (``voice``), and the rules that changed them.

    With ``cues``, only the sentences that carry one of those labels (the question, the
    advice, the strength itself), when any does: section 5-7 quote the point, not the turn.
    """
    keep = [s for s in sents if not s.is_chatter and s.labels.content_len > 0]
    if cues:
        keep = [s for s in keep if any(s.labels.has(c) for c in cues)] or keep
    used: list[str] = []
    parts = []
    for s in keep:
        said = voice.sentence(s.clean, language)
        used.extend(said.rules)
        if said.text:
            parts.append(said.text)
    text = voice.addressed(_JOIN[language].join(parts), language, side, script)
    return text.text, tuple(used) + text.rules


def _build_memo(
    segs: tuple[Segment, ...],
    notes: list[SegmentNote],
    analysed: list[list[_Sentence]],
    sides: list[str],
    language: str,
    script: str | None = None,
) -> MemoContent:
    sections = {c: _Section(language) for c in MEMO_SECTIONS}
    extra = {k: _Section(language) for k in ("questions", "suggestions", "strengths")}
    parting: Bullet | None = None
    questions = {n.id for n in notes if n.question}
    for i, (seg, note) in enumerate(zip(segs, notes, strict=True)):
        if note.category == "none":
            continue
        side = sides[i]
        points = _points(analysed[i], language, note.category)
        text, rewrites = _memo_text(points[0][1], language, side, script)
        # The point before: the last segment with content (a back-channel in between does not count).
        j = next((k for k in range(i - 1, max(-1, i - 3), -1) if notes[k].category != "none"), i - 1)
        prev = notes[j] if j >= 0 else None
        same_topic = prev is not None and prev.category == note.category
        # A bullet holds one side's words: one speaker's consecutive turns make one point…
        same_speaker = same_topic and j == i - 1 and sides[j] == side and segs[j].speaker == seg.speaker
        # …and an answer to the other side's question joins it as one Q&A item, both parts labelled.
        answers = (
            same_topic and prev is not None and not note.question
            and (sides[j] != side or seg.speaker != segs[j].speaker)
        )  # fmt: skip
        section = sections[note.category]
        labels = voice.qa_labels(language, sides[j] if j >= 0 else "unknown", script)
        if points[0][0] != note.category:
            answers = same_speaker = False
            section = sections[points[0][0]]
        if not (answers and section.answer(questions, text, seg, labels, rewrites)):
            section.add(text, seg, same_speaker and len(points) == 1, rewrites)
        for category, sents in points[1:]:
            more, more_rules = _memo_text(sents, language, side, script)
            sections[category].add(more, seg, False, more_rules)
        dist_side = side != "rep"
        if note.question and dist_side:
            q_text, q_rules = _memo_text(analysed[i], language, side, script, ("question",))
            extra["questions"].add(q_text, seg, False, q_rules)
        if note.suggestion:
            advice, advice_rules = _memo_text(analysed[i], language, side, script, ("suggestion",))
            extra["suggestions"].add(advice, seg, False, advice_rules)
        if note.strength and dist_side:  # section 5 quotes the distributor side only
            praise, praise_rules = _memo_text(analysed[i], language, side, script, ("strength", "reputation"))
            extra["strengths"].add(praise, seg, False, praise_rules)
        if note.parting_question:
            q_text, q_rules = _memo_text(analysed[i], language, side, script, ("question",))
            parting = Bullet(q_text, (seg.id,), seg.start, rewrites=q_rules)
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
