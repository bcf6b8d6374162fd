"""One Chinese script per transcript: OpenCC conversion to Traditional or Simplified.

Whisper writes Chinese in whichever script its training data leaned to for the
audio at hand, often switching mid-meeting; the memo practice wants one script.
"""

from __future__ import annotations

import functools
import re

from .types import Script

# Taiwan-standard characters for Traditional (the memo practice), without OpenCC's
# phrase-level vocabulary rewriting (s2twp), which would change what people said.
_CONFIGS: dict[Script, str] = {"hant": "s2tw", "hans": "t2s"}
_HAN = re.compile(r"[\u3400-\u9fff]")


@functools.lru_cache(maxsize=4)
def _converter(config: str):  # type: ignore[no-untyped-def]
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
    converted: str = _converter(config).convert(text)
    return converted


def other_script(script: Script) -> Script:
    """The script that is not ``script``."""
    return "hans" if script == "hant" else "hant"


def is_in_script(text: str, script: Script) -> bool:
    """True when converting to ``script`` changes nothing (no character of the other script)."""
    return to_script(text, script) == text
