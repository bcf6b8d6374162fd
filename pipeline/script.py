"""One Chinese script per transcript: OpenCC conversion to Traditional or Simplified.

Whisper writes Chinese in whichever script its training data leaned to for the
audio at hand, often switching mid-meeting; the memo practice wants one script.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .types import Script

# Taiwan-standard characters for Traditional (the memo practice), without OpenCC's
# phrase-level vocabulary rewriting (s2twp), which would change what people said.
_CONFIGS: dict[Script, str] = {"hant": "s2tw", "hans": "t2s"}
_HAN = re.compile(r"[\u3400-\u9fff]")


@functools.lru_cache(maxsize=4)
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def to_script(text: str, script: Script) -> str:
    """Convert Chinese text to one script (``hant`` or ``hans``); other text is unchanged."""
    if not _HAN.search(text):
        return text
    try:
        config = _CONFIGS[script]
    except KeyError:
        raise ValueError(f"unknown script {script!r}; expected one of: hant, hans") from None
    converter = _converter(config)
    # OpenCC is not idempotent on a few phrases (s2tw: 幺 -> 么 -> 麼, 干 in some contexts),
    # so convert until the text is stable: then the output passes ``is_in_script``.
    for _ in range(3):
        converted: str = converter.convert(text)
        if converted == text:
            break
        text = converted
    return text


def is_han(ch: str) -> bool:
    """True for a Chinese character (CJK unified ideographs and extension A)."""
    return bool(_HAN.fullmatch(ch))


def simplified(value: Any) -> Any:
    """Wording written once in Traditional, in Simplified characters: a string, or every
    string in a list, tuple or dict (the zh-Hans twin of a zh-Hant table)."""
    if isinstance(value, str):
        return to_script(value, "hans")
    if isinstance(value, (list, tuple)):
        return type(value)(simplified(v) for v in value)
    if isinstance(value, dict):
        return {k: simplified(v) for k, v in value.items()}
    return value


def language_tag(language: str, script: str | None) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en``: the wording and template of a document in
    ``language`` written in ``script``."""
    if language != "zh":
        return "en"
    return "zh-Hans" if script == "hans" else "zh-Hant"


def other_script(script: Script) -> Script:
    """The script that is not ``script``."""
    return "hans" if script == "hant" else "hant"


def is_in_script(text: str, script: Script) -> bool:
    """True when converting to ``script`` changes nothing (no character of the other script)."""
    return to_script(text, script) == text


_CJK = r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]"
_HALF_TO_FULL = {",": "，", "?": "？", "!": "！", ";": "；", ":": "：", ".": "。"}
_HALF_NEAR_CJK = re.compile(rf"(?<={_CJK})\s*([,?!;:])\s*|\s*([,?!;:])\s*(?={_CJK})")
_FULL_STOP_AFTER_CJK = re.compile(rf"(?<={_CJK})\.(?!\d)")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_END_PUNCT = "。？！…；」』）\"'"
_QUESTION_END = re.compile(r"[嗎吗么麼]$")


def punctuate_zh(text: str) -> str:
    """Written Chinese punctuation: full-width marks, pauses as commas, a closing mark.

    Whisper often writes Mandarin with ASCII commas or with spaces where a speaker
    paused, and leaves a segment's end open; the memo wants written Chinese.
    """
    text = text.strip()
    if not _HAN.search(text):
        return text
    text = _HALF_NEAR_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1) or m.group(2)], text)
    text = _FULL_STOP_AFTER_CJK.sub("。", text)
    text = _SPACE_BETWEEN_CJK.sub("，", text)
    if text and text[-1] not in _END_PUNCT:
        text = text.rstrip("，、：") + ("？" if _QUESTION_END.search(text.rstrip("，、：")) else "。")
    return text
