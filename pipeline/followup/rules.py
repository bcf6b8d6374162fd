"""The follow-up rules as data (``data/<zh|en>.json``): markers, cues of praise, thanks, fillers…

Each rule has an ``id`` (a name only, reported with every finding), a ``kind`` (what it
does) and a ``pattern``. The Chinese rules are written once, in Traditional characters,
and matched in both scripts: each pattern is also converted to Simplified by the
project's one converter (``pipeline.script``), so a zh-Hans memo needs no second file.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from ..errors import RuleError
from ..resources import package_file
from ..script import to_script

DATA_PACKAGE = "pipeline.followup.data"
KINDS = frozenset(
    {
        "marker",  # a fill-in marker or blank the rep must replace
        "answer_label",  # "Answer:" before the rep's answer in section 7
        "parting_label",  # the label of the parting question
        "personal_praise",  # praise of a person (looks, youth, own ability), not of the company
        "thanks",  # one expression of thanks
        "filler",  # a filler word left in sections 1–4
        "chatter",  # small talk left in sections 1–4
        "price",  # a price or margin heard (visit report)
        "competitor",  # a competing product or brand heard (visit report)
        "channel",  # a sales channel or customer group heard (parts 1 and 2)
        "topic",  # advice on one launch topic (part 4): timing, skus, samples, promotion
    }
)
TOPICS = ("timing", "skus", "samples", "promotion")


@dataclass(frozen=True)
class Rule:
    """One rule: its id, what it does, and its compiled pattern (both scripts for Chinese)."""

    id: str
    kind: str
    pattern: re.Pattern[str]
    topic: str = ""


@dataclass(frozen=True)
class Hit:
    """One place a rule matched."""

    rule: str
    text: str
    start: int
    end: int


class Rules:
    """The rules of one language."""

    def __init__(self, language: str, rules: tuple[Rule, ...]) -> None:
        self.language = language
        self.rules = rules

    def of(self, kind: str) -> tuple[Rule, ...]:
        """The rules of one kind."""
        return tuple(r for r in self.rules if r.kind == kind)

    def hits(self, kind: str, text: str) -> list[Hit]:
        """Every match of the rules of ``kind`` in ``text``, in text order."""
        found = [
            Hit(r.id, m.group(0), m.start(), m.end())
            for r in self.of(kind)
            for m in r.pattern.finditer(text)
            if m.group(0)
        ]
        return sorted(found, key=lambda h: (h.start, h.end))

    def first(self, kind: str, text: str) -> Hit | None:
        """The first match of ``kind`` in ``text``, or ``None``."""
        found = self.hits(kind, text)
        return found[0] if found else None

    def topics(self, text: str) -> list[str]:
        """The launch topics (``TOPICS``) that ``text`` speaks of, in ``TOPICS`` order."""
        named = {r.topic for r in self.of("topic") if r.pattern.search(text)}
        return [t for t in TOPICS if t in named]

    def strip(self, kind: str, text: str) -> str:
        """``text`` without the matches of ``kind``."""
        for r in self.of(kind):
            text = r.pattern.sub("", text)
        return text


def _compile(rule_id: str, pattern: str, language: str, where: str) -> re.Pattern[str]:
    if language == "zh":
        hans = to_script(pattern, "hans")
        if hans != pattern:
            pattern = f"(?:{pattern})|(?:{hans})"
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as e:
        raise RuleError(
            f"{where}: rule {rule_id!r} has a bad pattern ({e}); fix the regular expression"
        ) from e


@functools.lru_cache(maxsize=4)
def load_rules(language: str) -> Rules:
    """The rules of ``language`` (``zh`` or ``en``), validated.

    Raises:
        RuleError: a rule without an id or pattern, an unknown kind or topic, a bad regex.
    """
    if language not in ("zh", "en"):
        raise RuleError(f"no follow-up rules for language {language!r}; expected one of: zh, en")
    path = package_file(DATA_PACKAGE, f"{language}.json")
    data = json.loads(path.read_text("utf-8"))
    rules = []
    seen: set[str] = set()
    for n, item in enumerate(data.get("rules") or (), 1):
        where = f"{path} rule {n}"
        rule_id, kind, pattern = item.get("id"), item.get("kind"), item.get("pattern")
        if not rule_id or not pattern:
            raise RuleError(f"{where}: every rule needs an id and a pattern")
        if rule_id in seen:
            raise RuleError(f"{where}: the id {rule_id!r} is used twice; give each rule its own")
        seen.add(rule_id)
        if kind not in KINDS:
            raise RuleError(
                f"{where}: kind {kind!r} is not known; expected one of: {', '.join(sorted(KINDS))}"
            )
        topic = item.get("topic", "")
        if (kind == "topic") != bool(topic) or (topic and topic not in TOPICS):
            raise RuleError(f"{where}: a topic rule names one of: {', '.join(TOPICS)} (and only those do)")
        rules.append(Rule(rule_id, kind, _compile(rule_id, pattern, language, where), topic))
    return Rules(language, tuple(rules))
