"""The memo header from the meeting: the distributor company, the people met, the territory.

Each value is marked as heard (with the time and segment it was heard in), never as typed,
so the rep checks it before sending; ``--distributor`` still wins. The patterns are data
with ids (``data/header.json``); each says whose words it searches: the distributor naming
itself, or the rep addressing the people met.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..script import is_han, to_script
from ..types import Script, Segment

DATA_PATH = Path(__file__).resolve().parent / "data" / "header.json"
_MAX_PEOPLE = 4
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


@dataclass(frozen=True)
class Heard:
    """One header value as heard in the meeting."""

    value: str
    segment: int
    start: float
    rule: str

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "segment": self.segment, "start": round(self.start, 2)}
        d["rule"] = self.rule
        return d


@dataclass(frozen=True)
class Header:
    """What the header could take from the meeting; empty fields were not heard."""

    distributor: Heard | None = None
    people: tuple[Heard, ...] = ()
    territory: Heard | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "distributor": self.distributor.to_dict() if self.distributor else None,
            "people": [p.to_dict() for p in self.people],
            "territory": self.territory.to_dict() if self.territory else None,
        }


@functools.lru_cache(maxsize=4)
def _patterns(language: str) -> dict[str, list[tuple[str, str, re.Pattern[str]]]]:
    data = json.loads(DATA_PATH.read_text("utf-8"))[language]
    flags = re.MULTILINE
    return {
        field: [(o["id"], o["side"], re.compile(o["pattern"], flags)) for o in rules]
        for field, rules in data.items()
    }


def known_name(value: str, names: Sequence[str], language: str) -> str | None:
    """The glossary name that ``value`` (a company name as heard) is a near-miss of, or None.

    Looser than the transcript's own correction (``asr.glossary``), because here the words
    around it already say a company is being named ("我们X啊", "So, X."): Mandarin, the
    heard name starts with as many characters as the glossary name, with every initial
    the same and at least half the syllables equal (黔源 heard 前眼); English, a spelling
    within a quarter of the name's letters.
    """
    for name in names:
        if language == "zh":
            head = value[: len(name)]
            if len(head) < max(2, len(name)) or not all(map(is_han, head + name)):
                continue
            if head == name:
                return name
            from pypinyin import Style, lazy_pinyin

            a, b = lazy_pinyin(head), lazy_pinyin(name)
            initials = lazy_pinyin(head, style=Style.INITIALS, strict=False)
            if initials == lazy_pinyin(name, style=Style.INITIALS, strict=False) and 2 * sum(
                x == y for x, y in zip(a, b, strict=True)
            ) >= len(name):
                return name
        elif difflib.SequenceMatcher(None, value.casefold(), name.casefold()).ratio() >= 0.75:
            return name
    return None


def extract(
    segments: tuple[Segment, ...],
    sides: list[str],
    language: str,
    script: Script | None,
    glossary: Sequence[str] = (),
) -> Header:
    """Header fields heard in the meeting.

    Args:
        segments: the transcript's segments.
        sides: each segment's side (rep, dist, unknown); unknown is searched by every rule.
        script: the transcript's Chinese script; rules match Simplified, and a value found
            goes back to this script.
        glossary: the names the rep gave before the meeting (the transcript's settings): a
            company heard as a near-miss of one is written as the glossary spells it.
    """
    found: dict[str, list[Heard]] = {"company": [], "person": [], "territory": []}
    if language == "zh":
        glossary = [to_script(n, "hans") for n in glossary]
    for field, rules in _patterns(language).items():
        for rule_id, side, rx in rules:
            for seg, seg_side in zip(segments, sides, strict=True):
                if side != "any" and seg_side not in (side, "unknown"):
                    continue
                text = to_script(seg.text, "hans") if language == "zh" else seg.text
                for m in (m for part in _SENTENCE.split(text) for m in rx.finditer(part.strip())):
                    value = " ".join(g for g in m.groups() if g).strip(" ,.，。")
                    if not value:
                        continue
                    rule = rule_id
                    if field == "company" and (name := known_name(value, glossary, language)):
                        value, rule = name, f"{rule_id}+glossary"
                    said = to_script(value, script) if language == "zh" and script else value
                    found[field].append(Heard(said, seg.id, seg.start, rule))
    people: list[Heard] = []
    for p in sorted(found["person"], key=lambda h: h.start):
        if all(p.value.split(",")[0] != q.value.split(",")[0] for q in people):
            people.append(p)
    first = {k: min(v, key=lambda h: h.start) if v else None for k, v in found.items()}
    return Header(first["company"], tuple(people[:_MAX_PEOPLE]), first["territory"])
