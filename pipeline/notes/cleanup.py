"""Spoken-text cleanup: drop fillers, stutters and false starts.

The filler lists are data (``pipeline/notes/data/fillers.json``). Words such as 那个 or
"like" are fillers only when a pause sets them off, so those are removed only
next to punctuation or at the start of a sentence; the result keeps the script
(Traditional or Simplified) of its input.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

DATA_PATH = Path(__file__).resolve().parent / "data" / "fillers.json"

_CJK = r"\u4e00-\u9fff"
_ZH_PAUSE = "，,、…—"
_ZH_END = "。！？!?；;"


def _alternation(words: list[str]) -> str:
    # Longest first so 就是说 wins over 就是.
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@functools.lru_cache(maxsize=8)
def _zh_steps() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))["zh"]
    inter = _alternation(data["interjections"])
    pause = _alternation(data["pause_fillers"])
    final = _alternation(data["final_particles"])
    return (
        # "对对对" -> "对", "可以可以" / "谢谢谢谢" -> one copy: stutters and echoes.
        (re.compile(rf"([{_CJK}]{{2,3}})\1+"), r"\1"),
        (re.compile(rf"([{_CJK}])\1{{2,}}"), r"\1"),
        # A false start cut off by an ellipsis or dash and then restarted.
        (re.compile(rf"([{_CJK}]{{1,4}})(?:…+|—+)\1"), r"\1"),
        (re.compile(rf"(?:{inter})+"), ""),
        (re.compile(rf"(^|[{_ZH_PAUSE}{_ZH_END}\s])(?:{pause})(?=[{_ZH_PAUSE}\s]|$)"), r"\1"),
        (re.compile(rf"(?:{final})(?=[{_ZH_PAUSE}{_ZH_END}]|$)"), ""),
        (re.compile(r"…+|—+"), "，"),
        (re.compile(rf"[{_ZH_PAUSE}\s]*([{_ZH_END}])[{_ZH_PAUSE}\s]*"), r"\1"),
        (re.compile(rf"[{_ZH_PAUSE}]{{2,}}"), "，"),
        (re.compile(rf"^[{_ZH_PAUSE}{_ZH_END}\s]+"), ""),
        (re.compile(rf"[{_ZH_PAUSE}\s]+$"), ""),
        (re.compile(rf"([{_ZH_END}])[{_ZH_END}]+"), r"\1"),
    )


@functools.lru_cache(maxsize=8)
def _en_steps() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))["en"]
    inter = _alternation(data["interjections"])
    pause = _alternation(data["pause_fillers"])
    i = re.IGNORECASE
    return (
        # Fillers set off by commas, or opening a sentence: "is, like, new" -> "is new".
        (re.compile(rf",\s*(?:{inter}|{pause}),\s*", i), " "),
        (re.compile(rf"\b(?:{inter})\b[,.]?\s*", i), ""),
        (re.compile(rf"(^|[.!?]\s+)(?:{pause}),\s*", i), r"\1"),
        (re.compile(rf",\s*(?:{pause})(?=[.!?]|$)", i), ""),
        # False starts ("we- we roast") and stutters ("the the", "I, I").
        (re.compile(r"\b[\w']+[-—]\s+(?=\w)"), ""),
        (re.compile(r"\b([\w']+)(?:,?\s+\1\b)+", i), r"\1"),
        (re.compile(r"\s*,\s*(?=[,.!?])"), ""),
        (re.compile(r"^[\s,.]+"), ""),
        (re.compile(r"\s{2,}"), " "),
        (re.compile(r"\.{2,}|…"), "."),
    )


def _capitalise_sentences(text: str) -> str:
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _apply(steps: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str:
    for rx, repl in steps:
        text = rx.sub(repl, text)
    return text.strip()


_STEPS: dict[str, Callable[[], tuple[tuple[re.Pattern[str], str], ...]]] = {
    "zh": _zh_steps,
    "en": _en_steps,
}


def clean_text(text: str, language: str) -> str:
    """Remove fillers, stutters and false starts from one utterance.

    Args:
        text: the words as spoken (either Chinese script, or English).
        language: ``"zh"`` or ``"en"``.

    Returns:
        The cleaned text, in the same script; empty when nothing but fillers was said.

    Raises:
        ValueError: ``language`` is not supported.
    """
    try:
        steps = _STEPS[language]()
    except KeyError:
        raise ValueError(f"unknown language {language!r}; expected one of: zh, en") from None
    cleaned = _apply(steps, text)
    if language == "en":
        cleaned = _capitalise_sentences(cleaned)
    return cleaned
