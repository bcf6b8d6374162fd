"""Frozen records passed between the stages.

Each record maps one-to-one onto the shared JSON contracts
(``transcript.schema.json`` and ``notes.schema.json``); ``to_dict``/``from_dict``
are the only places that know the JSON field names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Category = Literal["parties", "market", "product", "concerns", "none"]
CATEGORIES: tuple[Category, ...] = ("parties", "market", "product", "concerns", "none")
MEMO_SECTIONS: tuple[Category, ...] = ("parties", "market", "product", "concerns")
Language = Literal["zh", "en"]
Script = Literal["hant", "hans"]

TRANSCRIPT_SCHEMA_ID = "meeting-transcript/1"
NOTES_SCHEMA_ID = "meeting-notes/1"


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing and confidence."""

    start: float
    end: float
    word: str
    probability: float | None = None


@dataclass(frozen=True)
class Segment:
    """One transcript segment, as the contract's ``segments[]`` item."""

    id: int
    start: float
    end: float
    text: str
    speaker: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["words"] = [asdict(w) for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        words = tuple(
            Word(
                start=float(w["start"]),
                end=float(w["end"]),
                word=str(w["word"]),
                probability=w.get("probability"),
            )
            for w in d.get("words") or ()
        )
        return cls(
            id=int(d["id"]),
            start=float(d["start"]),
            end=float(d["end"]),
            text=str(d["text"]),
            speaker=d.get("speaker"),
            avg_logprob=d.get("avg_logprob"),
            no_speech_prob=d.get("no_speech_prob"),
            words=words,
        )


@dataclass(frozen=True)
class RemovedSegment:
    """Text the transcriber produced but the filters removed, kept for the audit view."""

    start: float
    end: float
    text: str
    reason: str


@dataclass(frozen=True)
class Correction:
    """A word the glossary corrected after decoding (a near-miss of a company name).

    Attributes:
        segment: id of the segment that holds the corrected text.
        original: the text as decoded.
        corrected: the glossary name written in its place.
        start: time of the first corrected word (s), or the segment's start.
        rule: which test matched (``pinyin-equal``, ``pinyin-near``, ``spelling``…).
        score: how close the match was, 0–1 (1 = same sound or spelling).
    """

    segment: int
    original: str
    corrected: str
    start: float
    rule: str
    score: float


@dataclass(frozen=True)
class Source:
    """The recording a transcript came from."""

    path: str
    sha256: str
    duration_s: float


@dataclass(frozen=True)
class ModelInfo:
    """The speech model and engine that produced a transcript."""

    name: str
    compute_type: str
    engine_version: str


@dataclass(frozen=True)
class Transcript:
    """A whole transcript (``meeting-transcript/1``)."""

    language: Language
    segments: tuple[Segment, ...]
    script: Script | None = None
    source: Source | None = None
    model: ModelInfo | None = None
    removed: tuple[RemovedSegment, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    corrections: tuple[Correction, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema": TRANSCRIPT_SCHEMA_ID,
            "language": self.language,
            "script": self.script,
        }
        if self.source is not None:
            d["source"] = asdict(self.source)
        if self.model is not None:
            d["model"] = asdict(self.model)
        d["segments"] = [s.to_dict() for s in self.segments]
        d["removed"] = [asdict(r) for r in self.removed]
        d["settings"] = dict(self.settings)
        d["corrections"] = [asdict(c) for c in self.corrections]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        src = d.get("source")
        mdl = d.get("model")
        return cls(
            language=d["language"],
            script=d.get("script"),
            segments=tuple(Segment.from_dict(s) for s in d["segments"]),
            source=Source(
                path=str(src.get("path", "")),
                sha256=str(src.get("sha256", "")),
                duration_s=float(src.get("duration_s", 0.0)),
            )
            if src
            else None,
            model=ModelInfo(
                name=str(mdl.get("name", "")),
                compute_type=str(mdl.get("compute_type", "")),
                engine_version=str(mdl.get("engine_version", "")),
            )
            if mdl
            else None,
            removed=tuple(
                RemovedSegment(
                    start=float(r["start"]),
                    end=float(r["end"]),
                    text=str(r["text"]),
                    reason=str(r["reason"]),
                )
                for r in d.get("removed") or ()
            ),
            settings=dict(d.get("settings") or {}),
            corrections=tuple(
                Correction(
                    segment=int(c["segment"]),
                    original=str(c["original"]),
                    corrected=str(c["corrected"]),
                    start=float(c["start"]),
                    rule=str(c["rule"]),
                    score=float(c["score"]),
                )
                for c in d.get("corrections") or ()
            ),
        )

    @property
    def duration_s(self) -> float:
        """Length of the recording, or of the speech when the source is unknown."""
        if self.source is not None:
            return self.source.duration_s
        return max((s.end for s in self.segments), default=0.0)


@dataclass(frozen=True)
class SegmentNote:
    """The labels of one transcript segment (``meeting-notes/1`` ``segments[]``)."""

    id: int
    clean_text: str
    category: Category
    question: bool = False
    suggestion: bool = False
    strength: bool = False
    parting_question: bool = False
    rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rules"] = list(self.rules)
        return d


@dataclass(frozen=True)
class Bullet:
    """One memo line: cleaned wording and the segments it comes from."""

    text: str
    segments: tuple[int, ...]
    start: float
    kind: str = "point"  # "point": one side's words; "qa": a question and its answer
    question_segments: tuple[int, ...] = ()  # qa only: the asking side's segments
    answer_segments: tuple[int, ...] = ()  # qa only: the answering side's segments
    rewrites: tuple[str, ...] = ()  # ids of the memo-voice rules that changed the wording

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "segments": list(self.segments), "start": self.start}
        d["kind"] = self.kind
        if self.kind == "qa":
            d["question_segments"] = list(self.question_segments)
            d["answer_segments"] = list(self.answer_segments)
        if self.rewrites:
            d["rewrites"] = list(self.rewrites)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bullet:
        return cls(
            text=str(d["text"]),
            segments=tuple(int(i) for i in d["segments"]),
            start=float(d.get("start", 0.0)),
            kind=str(d.get("kind", "point")),
            question_segments=tuple(int(i) for i in d.get("question_segments", ())),
            answer_segments=tuple(int(i) for i in d.get("answer_segments", ())),
            rewrites=tuple(str(r) for r in d.get("rewrites", ())),
        )


@dataclass(frozen=True)
class MemoContent:
    """What the memo says, grouped by section (``meeting-notes/1`` ``memo``)."""

    parties: tuple[Bullet, ...] = ()
    market: tuple[Bullet, ...] = ()
    product: tuple[Bullet, ...] = ()
    concerns: tuple[Bullet, ...] = ()
    questions: tuple[Bullet, ...] = ()
    parting_question: Bullet | None = None
    suggestions: tuple[Bullet, ...] = ()
    strengths: tuple[Bullet, ...] = ()

    def section(self, name: str) -> tuple[Bullet, ...]:
        """The bullets of one of the four category sections."""
        value = getattr(self, name)
        assert isinstance(value, tuple)
        return value

    def section_counts(self) -> dict[str, int]:
        """Bullets per category section: the roll-up's and the summary's figure."""
        return {name: len(self.section(name)) for name in MEMO_SECTIONS}

    @property
    def open_questions(self) -> int:
        """Questions the rep has to answer, the parting question included."""
        return len(self.questions) + (1 if self.parting_question else 0)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for name in (
            "parties",
            "market",
            "product",
            "concerns",
            "questions",
            "suggestions",
            "strengths",
        ):
            d[name] = [b.to_dict() for b in getattr(self, name)]
        d["parting_question"] = self.parting_question.to_dict() if self.parting_question else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MemoContent:
        def many(key: str) -> tuple[Bullet, ...]:
            return tuple(Bullet.from_dict(b) for b in d.get(key) or ())

        pq = d.get("parting_question")
        return cls(
            parties=many("parties"),
            market=many("market"),
            product=many("product"),
            concerns=many("concerns"),
            questions=many("questions"),
            parting_question=Bullet.from_dict(pq) if pq else None,
            suggestions=many("suggestions"),
            strengths=many("strengths"),
        )


@dataclass(frozen=True)
class Sides:
    """Which speaker label is the rep, and how that was known.

    ``how``: ``given`` (the rep's label was in the transcript: an enrolled voice, or
    ``--rep-speaker``), ``inferred`` (from what each speaker said, with ``confidence``), or
    ``unknown`` (speakers kept as they are; the memo says so).
    """

    rep: str | None
    how: str
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"rep": self.rep, "how": self.how}
        if self.confidence is not None:
            d["confidence"] = round(self.confidence, 3)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Sides | None:
        if not d:
            return None
        return cls(d.get("rep"), str(d.get("how", "unknown")), d.get("confidence"))


@dataclass(frozen=True)
class Notes:
    """Labels for every segment plus the memo content (``meeting-notes/1``)."""

    language: Language
    segments: tuple[SegmentNote, ...]
    memo: MemoContent
    rules_version: str = ""
    sides: Sides | None = None  # None: the transcript has no speaker labels
    header: dict[str, Any] | None = None  # header fields heard in the meeting (notes.header)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema": NOTES_SCHEMA_ID,
            "language": self.language,
            "rules_version": self.rules_version,
            "segments": [s.to_dict() for s in self.segments],
            "memo": self.memo.to_dict(),
        }
        if self.sides is not None:
            d["sides"] = self.sides.to_dict()
        if self.header is not None:
            d["header"] = self.header
        return d
