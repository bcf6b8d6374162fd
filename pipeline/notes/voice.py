"""Memo voice: each side's words as the rep's written account addressed to the distributor.

The memo is couriered to the distributor, so the distributor's "we" is the company addressed
(貴公司 / "you") and its "you" is us (我司 / "we"); the rep's "we" is 我司 / "we". Spoken
openers and hedges ("So", "I mean", 「對，所以」「那我先介紹一下」) are dropped, and a sentence
that says nothing on paper ("So a bit about us.") goes. Numbers stay as said. The rules are
data with ids (``data/voice.json``); the ids of those that changed a bullet travel with it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).resolve().parent / "data" / "voice.json"
_EN_PRONOUN = re.compile(
    r"\b(you guys|y'all|we're|we've|we'll|we'd|you're|you've|you'll|you'd|ourselves|yourselves"
    r"|ours|yours|our|your|we|us|you)\b",
    re.IGNORECASE,
)
_WORD_BEFORE = re.compile(r"([A-Za-z']+)\W*$")


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: re.Pattern[str]
    replacement: dict[str, str]


@dataclass(frozen=True)
class Voiced:
    """A text in memo voice, and the ids of the rules that changed it."""

    text: str
    rules: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_PATH.read_text("utf-8"))
    return data


@functools.lru_cache(maxsize=8)
def _rules(language: str, kind: str) -> tuple[_Rule, ...]:
    out = []
    for obj in _data()[language].get(kind, ()):
        flags = re.IGNORECASE if "i" in obj.get("flags", "") else 0
        repl = {k: v for k, v in obj.items() if k in ("hans", "hant")}
        out.append(_Rule(obj["id"], re.compile(obj["pattern"], flags), repl))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _pronouns(language: str, side: str) -> tuple[_Rule, ...]:
    out = []
    for obj in _data()[language]["pronouns"].get(side, ()):
        if "pattern" in obj:
            words = {"hans": obj["hans"], "hant": obj["hant"]}
            out.append(_Rule(obj["id"], re.compile(obj["pattern"]), words))
        else:
            out.append(_Rule(obj["id"], _EN_PRONOUN, obj["swap"]))
    return tuple(out)


def _cased(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _swap_en(text: str, swap: dict[str, str]) -> str:
    objects = set(_data()["en"]["object_after"])

    def one(m: re.Match[str]) -> str:
        said = m.group(1)
        new = swap.get(said.lower())
        if new is None:
            return said
        if "|" in new:  # "you" is "we" as a subject, "us" as an object
            subject, obj = new.split("|")
            before = _WORD_BEFORE.search(text[: m.start()])
            after = text[m.end() :].lstrip()
            as_object = (before is not None and before.group(1).lower() in objects) or not after[:1].isalpha()
            new = obj if as_object and m.start() > 0 else subject
        return _cased(new, said)

    return _EN_PRONOUN.sub(one, text)


def sentence(text: str, language: str) -> Voiced:
    """One sentence without spoken openers; empty when it says nothing on paper."""
    used: list[str] = []
    for rule in _rules(language, "drop"):
        if rule.pattern.search(text.strip()):
            return Voiced("", (rule.id,))
    out = text.strip()
    for rule in _rules(language, "openers"):
        new = rule.pattern.sub("", out, count=1)
        if new != out and new.strip():
            used.append(rule.id)
            out = new.strip()
    if language == "en" and out[:1].islower():
        out = out[:1].upper() + out[1:]
    return Voiced(out, tuple(used))


def addressed(text: str, language: str, side: str, script: str | None) -> Voiced:
    """``text`` with the speaker's first and second person as the memo says them.

    Args:
        side: ``rep`` or ``dist``; any other side (unknown) is left as said.
        script: ``hant`` or ``hans`` for Chinese.
    """
    used: list[str] = []
    out = text
    # In one pass (placeholders first): 我們 -> 貴公司 must not then be read as 貴公司 -> 我司.
    final: dict[str, str] = {}
    for k, rule in enumerate(_pronouns(language, side)):
        if language == "zh":
            mark = f"\x00{k}\x00"
            new = rule.pattern.sub(mark, out)
            final[mark] = rule.replacement["hans" if script == "hans" else "hant"]
        else:
            new = _swap_en(out, rule.replacement)
        if new != out:
            used.append(rule.id)
            out = new
    for mark, word in final.items():
        out = out.replace(mark, word)
    return Voiced(out, tuple(used))


def qa_labels(language: str, asker: str, script: str | None) -> tuple[str, str]:
    """The two labels of a question-and-answer item asked by ``asker`` (rep, dist, unknown)."""
    table = _data()[language]["qa"][asker if asker in ("rep", "dist") else "unknown"]
    key = "" if language == "en" else ("hans" if script == "hans" else "hant")
    first, second = table[key]
    return str(first), str(second)
