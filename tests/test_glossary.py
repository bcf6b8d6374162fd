"""The glossary (company, product and place names) reaches the model and helps it."""

from __future__ import annotations

import json

import pytest

from pipeline.asr.transcribe import TranscribeOptions, _decode_kwargs, transcribe
from pipeline.script import to_script
from tests.conftest import SAMPLES

# The names as said in the Mandarin sample: short company names, the brand, places.
NAMES = ("青嶺", "新安寵物", "山嵐", "南投", "草屯", "新竹", "湖口")


def test_glossary_is_the_hotwords_and_the_mandarin_prompt_in_the_script() -> None:
    kw = _decode_kwargs(TranscribeOptions(glossary=("青岭", "南投"), script="hant"), "zh")
    assert kw["hotwords"] == "青岭 南投"
    assert kw["initial_prompt"] == "青嶺、南投。"


def test_english_glossary_is_hotwords_only() -> None:
    kw = _decode_kwargs(TranscribeOptions(glossary=("Bluecrest", "Cheyenne")), "en")
    assert kw["hotwords"] == "Bluecrest Cheyenne" and kw["initial_prompt"] is None


def test_no_glossary_no_prompt() -> None:
    kw = _decode_kwargs(TranscribeOptions(), "zh")
    assert kw["hotwords"] is None and kw["initial_prompt"] is None


@pytest.mark.e2e
def test_glossary_finds_more_of_the_names_said_in_the_sample() -> None:
    script = json.loads((SAMPLES / "zh-hant-meeting.json").read_text("utf-8"))
    said = "".join(t["text"] for t in script["turns"])

    def found(glossary: tuple[str, ...]) -> int:
        opts = TranscribeOptions(language="zh", glossary=glossary)
        text = to_script(
            "".join(s.text for s in transcribe(SAMPLES / "zh-hant-meeting.wav", opts).segments), "hant"
        )
        return sum(min(said.count(n), text.count(n)) for n in NAMES)

    total = sum(said.count(n) for n in NAMES)
    without, with_ = found(()), found(NAMES)
    assert with_ > without, (without, with_)
    assert with_ >= total - 2, (with_, total)
