"""Rule matching: the ``memo_classifier`` spaCy component and its rule files.

Rules are data (``pipeline/notes/rules/<lang>/patterns.jsonl`` plus the farewell cues in
``pipeline/notes/data/farewells.json``). Each rule has an ``id``, a ``label`` and a
``pattern``: a string goes to the ``PhraseMatcher`` (matched on lower case), a
token list to the ``Matcher``, and ``{"regex": "..."}`` is matched on the text,
which Chinese needs because ``spacy.blank("zh")`` splits every character.
An optional ``weight`` (default 1) says how strongly a hit counts, and an optional
``aspect`` (one of ``ASPECTS``) what kind of cue it is within its label; the notes stage
reads behaviour from these fields only. The ``id`` only names a rule, so renaming one
never changes a result.

Chinese text is matched in Simplified characters; the caller converts it.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from ..errors import RuleError

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
RULES_DIR = PACKAGE_DIR / "rules"
DATA_DIR = PACKAGE_DIR / "data"
LANGUAGES = ("zh", "en")

# Category labels, then the flags and cues the notes stage combines with context.
CATEGORY_LABELS = ("parties", "market", "product", "concerns", "none")
LABELS = (
    *CATEGORY_LABELS,
    "question",  # an interrogative cue
    "not_question",  # tag, rhetorical or chit-chat question: cancels overlapping cues
    "suggestion",  # advice addressed to the other side
    "strength",  # a positive fact about one's own company
    "reputation",  # praise of the other company heard from third parties
    "farewell",  # the goodbyes have started
    "parting_cue",  # "oh, one more thing", "对了": content after a goodbye
    "backchannel",  # acknowledgement words that carry no content by themselves
    "rep_cue",  # the manufacturer presenting itself: its factory, brand, price to you, support
    "dist_cue",  # the distributor on its own network and terms, or asking about the maker's
)

# What kind of cue a rule is within its label. The notes stage keys behaviour on some:
# strength cues of ``assets`` and ``coverage`` describe a company's own means; a
# suggestion cue of ``propose`` is advice even inside a question ("have you thought of…").
ASPECTS = (
    "ack", "advice", "assets", "brands", "channels", "chitchat", "competition", "contract",
    "coverage", "demand", "greeting", "heard", "history", "hospitality", "indirect", "industry",
    "inversion", "line", "logistics", "mark", "network", "particle", "payment", "price",
    "promotion", "propose", "record", "returns", "seasonality", "size", "tag", "targets",
    "territory", "thanks", "travel", "wh",
    "factory", "brand", "support", "self", "address", "terms", "ask", "invite",
)  # fmt: skip

if not Doc.has_extension("memo_hits"):
    Doc.set_extension("memo_hits", default=None)


@dataclass(frozen=True)
class Rule:
    """One matching rule as read from a rule file."""

    id: str
    label: str
    pattern: str | list[dict[str, Any]]
    kind: str  # "phrase", "tokens" or "regex"
    weight: float = 1.0
    aspect: str | None = None


@dataclass(frozen=True)
class Hit:
    """One rule match: which rule, what it says, where (character offsets)."""

    rule_id: str
    label: str
    start: int
    end: int
    weight: float
    aspect: str | None = None


def regex_flags(language: str) -> int:
    """Flags of a language's regex rules. Case folding only where there is case: an
    IGNORECASE regex loses re's fast literal search, which is most of the cost for Chinese
    (Latin inside zh rules uses ``(?i:...)``)."""
    return re.MULTILINE | (re.IGNORECASE if language != "zh" else 0)


@functools.cache
def compiled(pattern: str, flags: int) -> re.Pattern[str]:
    """A regex rule compiled once per process: checking the rules compiles it, the matcher
    reuses it (re's own cache holds 512 patterns, fewer than a language's rules)."""
    return re.compile(pattern, flags)


def _rule_from_obj(obj: Any, where: str, flags: int = 0) -> Rule:
    if not isinstance(obj, dict):
        raise RuleError(f"{where}: expected a JSON object")
    missing = [k for k in ("id", "label", "pattern") if k not in obj]
    if missing:
        raise RuleError(f"{where}: missing key(s) {missing}; each rule needs id, label, pattern")
    label = obj["label"]
    if label not in LABELS:
        raise RuleError(f"{where}: unknown label {label!r}; expected one of: {', '.join(LABELS)}")
    pattern = obj["pattern"]
    if isinstance(pattern, str):
        kind = "phrase"
        if not pattern.strip():
            raise RuleError(f"{where}: empty phrase pattern")
    elif isinstance(pattern, list) and all(isinstance(t, dict) for t in pattern) and pattern:
        kind = "tokens"
    elif isinstance(pattern, dict) and isinstance(pattern.get("regex"), str):
        kind = "regex"
        try:
            compiled(pattern["regex"], flags)
        except re.error as e:
            raise RuleError(f"{where}: bad regex {pattern['regex']!r}: {e}") from e
        pattern = pattern["regex"]
    else:
        raise RuleError(f"{where}: pattern must be a string, a token list or {{'regex': ...}}")
    weight = float(obj.get("weight", 1.0))
    aspect = obj.get("aspect")
    if aspect is not None and aspect not in ASPECTS:
        raise RuleError(f"{where}: unknown aspect {aspect!r}; expected one of: {', '.join(ASPECTS)}")
    return Rule(id=str(obj["id"]), label=label, pattern=pattern, kind=kind, weight=weight, aspect=aspect)


def _farewell_rules(language: str) -> list[Rule]:
    """Farewell and parting cues from ``data/farewells.json`` as phrase rules."""
    data = json.loads((DATA_DIR / "farewells.json").read_text(encoding="utf-8"))
    rules = []
    for label in ("farewell", "parting_cue"):
        for n, phrase in enumerate(data[language][label], 1):
            rules.append(Rule(f"{label}.{language}.{n:02d}", label, phrase, "phrase", 1.0))
    return rules


@functools.lru_cache(maxsize=2)
def parting_cues(language: str) -> tuple[str, ...]:
    """The parting cues of ``data/farewells.json`` ("对了", "one more thing"), Chinese in Simplified."""
    data = json.loads((DATA_DIR / "farewells.json").read_text(encoding="utf-8"))
    return tuple(str(p) for p in data[language]["parting_cue"])


def load_rules(language: str) -> tuple[Rule, ...]:
    """Load and validate every rule for one language.

    Args:
        language: ``"zh"`` or ``"en"``.

    Returns:
        The rules in file order, farewell cues last.

    Raises:
        RuleError: a line is not valid JSON, an id repeats, a label is unknown
            or a pattern does not compile.
    """
    if language not in LANGUAGES:
        raise RuleError(f"unknown language {language!r}; expected one of: {', '.join(LANGUAGES)}")
    path = RULES_DIR / language / "patterns.jsonl"
    rules: list[Rule] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise RuleError(f"{where}: not valid JSON ({e})") from e
        rules.append(_rule_from_obj(obj, where, regex_flags(language)))
    rules.extend(_farewell_rules(language))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{path}: duplicate rule id {rule.id!r}; ids must be unique")
        seen.add(rule.id)
    if not rules:
        logger.warning("no rules loaded for %s; every segment will be 'none'", language)
    return tuple(rules)


class MemoClassifier:
    """Finds every rule hit in a doc and stores them in ``doc._.memo_hits``."""

    def __init__(self, nlp: Language, rules: tuple[Rule, ...]) -> None:
        self.rules = {r.id: r for r in rules}
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.tokens = Matcher(nlp.vocab, validate=True)
        self.regexes: list[tuple[Rule, re.Pattern[str]]] = []
        flags = regex_flags(nlp.lang or "")
        for rule in rules:
            if rule.kind == "phrase":
                assert isinstance(rule.pattern, str)
                self.phrases.add(rule.id, [nlp.make_doc(rule.pattern)])
            elif rule.kind == "tokens":
                assert isinstance(rule.pattern, list)
                self.tokens.add(rule.id, [rule.pattern])
            else:
                assert isinstance(rule.pattern, str)
                self.regexes.append((rule, compiled(rule.pattern, flags)))
        self.vocab = nlp.vocab

    def __call__(self, doc: Doc) -> Doc:
        hits: list[Hit] = []
        for matcher in (self.phrases, self.tokens):
            if len(matcher) == 0:  # an empty Matcher warns on every call
                continue
            for match_id, start, end in matcher(doc):
                rule = self.rules[self.vocab.strings[match_id]]
                span = doc[start:end]
                hits.append(
                    Hit(rule.id, rule.label, span.start_char, span.end_char, rule.weight, rule.aspect)
                )
        # Doc.text rebuilds the string token by token (one per character in Chinese).
        text = doc.user_data.get("text") or doc.text
        for rule, rx in self.regexes:
            for m in rx.finditer(text):
                hits.append(Hit(rule.id, rule.label, m.start(), m.end(), rule.weight, rule.aspect))
        doc._.memo_hits = hits
        return doc


@Language.factory("memo_classifier", default_config={"language": "zh"})
def make_memo_classifier(nlp: Language, name: str, language: str) -> MemoClassifier:
    """spaCy factory: a ``MemoClassifier`` with the rules of ``language``."""
    return MemoClassifier(nlp, load_rules(language))


@functools.lru_cache(maxsize=8)
def get_nlp(language: str) -> Language:
    """The blank spaCy pipeline with the memo rules, built once per process.

    Args:
        language: ``"zh"`` or ``"en"``.
    """
    if language not in LANGUAGES:
        raise RuleError(f"unknown language {language!r}; expected one of: {', '.join(LANGUAGES)}")
    nlp = spacy.blank(language)
    nlp.add_pipe("memo_classifier", config={"language": language})
    return nlp


def match(language: str, text: str) -> list[Hit]:
    """All rule hits in one sentence (Simplified characters for Chinese)."""
    nlp = get_nlp(language)
    doc = nlp.make_doc(text)
    doc.user_data["text"] = text
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    hits: list[Hit] = doc._.memo_hits
    return hits


@dataclass(frozen=True)
class SentenceLabels:
    """What the rules say about one sentence, before discourse context."""

    scores: dict[str, float]  # category -> summed weight of its hits
    rules: dict[str, tuple[str, ...]]  # label -> ids of the rules that hit
    content_len: int  # characters (zh) or words (en) not explained by back-channels
    aspects: dict[str, str] = field(default_factory=dict)  # rule id -> its aspect, where it has one

    def has(self, label: str) -> bool:
        """Whether any rule with this label hit (after cancellations)."""
        return bool(self.rules.get(label))

    def ids_of(self, label: str, *aspects: str) -> tuple[str, ...]:
        """Ids of the ``label`` rules that hit and have one of ``aspects``."""
        return tuple(r for r in self.rules.get(label, ()) if self.aspects.get(r) in aspects)


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _content_len(language: str, text: str, hits: list[Hit]) -> int:
    covered = [False] * len(text)
    for h in hits:
        if h.label in ("backchannel", "none", "farewell"):
            for i in range(h.start, h.end):
                covered[i] = True
    rest = "".join(" " if c else ch for ch, c in zip(text, covered, strict=False))
    if language == "zh":
        return len(re.findall(r"[\u4e00-\u9fff0-9A-Za-z]", rest))
    return len(re.findall(r"[A-Za-z0-9']+", rest))


def _summarise(language: str, text: str, hits: list[Hit]) -> SentenceLabels:
    blockers = [h for h in hits if h.label == "not_question"]
    if blockers:
        hits = [h for h in hits if h.label != "question" or not any(_overlaps(h, b) for b in blockers)]
    scores: dict[str, float] = {}
    rules: dict[str, list[str]] = {}
    aspects: dict[str, str] = {}
    for h in hits:
        scores[h.label] = scores.get(h.label, 0.0) + h.weight
        rules.setdefault(h.label, []).append(h.rule_id)
        if h.aspect is not None:
            aspects[h.rule_id] = h.aspect
    return SentenceLabels(
        scores=scores,
        rules={k: tuple(dict.fromkeys(v)) for k, v in rules.items()},
        content_len=_content_len(language, text, hits),
        aspects=aspects,
    )


CHUNK_CHARS = 100_000
"""Sentences are matched in spaCy docs of at most about this many characters.

One doc for many sentences is what makes matching fast, and a meeting of an hour or two
still fits in one; but spaCy refuses a doc longer than ``nlp.max_length`` (1,000,000
characters: about 17 hours of English), and a doc's memory grows with its length.
"""

CONTEXT_CHARS = 200
"""Characters of the neighbouring sentences put around each doc of a long transcript, so
its first and last sentences are matched as in one doc: a regex may look across the line
break (``\\?\\s*$`` backs off only when the next line is not empty)."""

Piece = tuple[int, int, str]
"""(sentence index, offset in the sentence, text): one line of a doc."""


def _pieces(sentences: list[str], longest: int) -> list[Piece]:
    """Each sentence as one line, or cut into lines of ``longest`` characters when longer.

    Only a "sentence" spaCy would refuse is cut (unpunctuated text, not what the rules were
    written for); a hit across a cut is lost.
    """
    return [
        (k, off, sentence[off : off + longest])
        for k, sentence in enumerate(sentences)
        for off in range(0, max(len(sentence), 1), longest)
    ]


def _chunks(pieces: list[Piece], budget: int) -> Iterator[tuple[int, int]]:
    """Index ranges of ``pieces`` holding at most ``budget`` characters (a longer piece alone)."""
    first, size = 0, 0
    for i, (_k, _off, text) in enumerate(pieces):
        if i > first and size + len(text) + 1 > budget:
            yield first, i
            first, size = i, 0
        size += len(text) + 1
    if pieces:
        yield first, len(pieces)


def label_sentences(language: str, sentences: list[str]) -> list[SentenceLabels]:
    """Match sentences (of one segment or a whole transcript); sum the hits per label and sentence.

    The sentences go through spaCy as one doc, one line each (regexes run in multi-line
    mode, so ``^``/``$`` anchor at sentence edges), which is much faster than a doc per
    sentence; a transcript longer than ``CHUNK_CHARS`` is cut between sentences into
    several docs, each with some of its neighbours around it, so the labels are the same.
    A hit never spans two sentences: one that crosses a line break (a negated character
    class can) is dropped. A ``not_question`` hit (tag, rhetorical or chit-chat question)
    removes the question cues it overlaps, so "你说是吧？" or ", right?" do not count.

    Args:
        language: ``"zh"`` or ``"en"``.
        sentences: the sentences, without line breaks; Chinese already in Simplified.
    """
    sentences = [s.replace("\n", " ") for s in sentences]
    per_sentence: list[list[Hit]] = [[] for _ in sentences]
    pieces = _pieces(sentences, get_nlp(language).max_length // 2)
    for first, end in _chunks(pieces, CHUNK_CHARS):
        own = pieces[first:end]
        head = pieces[first - 1][2][-CONTEXT_CHARS:] + "\n" if first > 0 else ""
        tail = "\n" + pieces[end][2][:CONTEXT_CHARS] if end < len(pieces) else ""
        text = head + "\n".join(p[2] for p in own) + tail
        starts = list(itertools.accumulate((len(p[2]) + 1 for p in own[:-1]), initial=len(head)))
        for h in match(language, text):
            # Hits in the neighbours are counted in their own doc.
            if h.start < len(head) or h.start > len(text) - len(tail) or "\n" in text[h.start : h.end]:
                continue
            j = bisect.bisect_right(starts, h.start) - 1
            k, off, _text = own[j]
            start, stop = h.start - starts[j] + off, h.end - starts[j] + off
            per_sentence[k].append(Hit(h.rule_id, h.label, start, stop, h.weight, h.aspect))
    return [_summarise(language, t, hits) for t, hits in zip(sentences, per_sentence, strict=True)]


def label_sentence(language: str, text: str) -> SentenceLabels:
    """Match one sentence; see ``label_sentences``."""
    return label_sentences(language, [text])[0]


@functools.lru_cache(maxsize=8)
def rules_version() -> str:
    """A short hash of every rule and data file, recorded with the notes."""
    digest = hashlib.sha256()
    files = sorted(RULES_DIR.rglob("*.jsonl")) + sorted(DATA_DIR.glob("*.json"))
    for path in files:
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
