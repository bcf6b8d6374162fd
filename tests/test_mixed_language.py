"""Mixed Mandarin-English meetings: an English stretch stays English.

The gate narrows faster-whisper's per-window language detection to zh and en; the real
model is run on a recording made of the two samples (Mandarin, English, Mandarin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.asr import audio as audio_mod
from pipeline.asr.transcribe import BATCH_SIZE, TranscribeOptions, _LanguageGate, transcribe
from tests.conftest import SAMPLES, write_wav


class FakeModel:
    """Answers detect_language like CTranslate2: per item, (token, probability) pairs."""

    def __init__(self, probs: dict[str, float]) -> None:
        self.probs = probs
        self.is_multilingual = True

    def detect_language(self, features: Any) -> list[list[tuple[str, float]]]:
        return [sorted(((f"<|{k}|>", v) for k, v in self.probs.items()), key=lambda kv: -kv[1])]


def test_the_gate_answers_only_zh_or_en() -> None:
    gate = _LanguageGate(FakeModel({"ja": 0.6, "zh": 0.3, "en": 0.1}), "zh")
    (result,) = gate.detect_language(None)
    assert [token for token, _ in result] == ["<|zh|>", "<|en|>"]
    assert result[0][1] == pytest.approx(0.75)


def test_a_window_clearly_in_english_is_decoded_in_english() -> None:
    gate = _LanguageGate(FakeModel({"en": 0.61, "zh": 0.38}), "zh")
    assert gate.detect_language(None)[0][0][0] == "<|en|>"


def test_cantonese_scores_count_as_chinese() -> None:
    gate = _LanguageGate(FakeModel({"en": 0.4, "zh": 0.3, "yue": 0.3}), "zh")
    assert gate.detect_language(None)[0][0][0] == "<|zh|>"


def test_other_attributes_pass_through() -> None:
    assert _LanguageGate(FakeModel({"zh": 1.0}), "zh").is_multilingual is True


@pytest.fixture(scope="module")
def mixed_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """45 s of the Mandarin sample, 31 s of the English one, 30 s more Mandarin."""
    sr = audio_mod.SAMPLE_RATE
    zh = audio_mod.decode(SAMPLES / "zh-hant-meeting.wav")
    en = audio_mod.decode(SAMPLES / "en-meeting.mp3")
    gap = np.zeros(sr, dtype=np.float32)
    parts = [zh[: 45 * sr], gap, en[9 * sr : 40 * sr], gap, zh[45 * sr : 75 * sr]]
    return write_wav(tmp_path_factory.mktemp("mixed") / "mixed.wav", np.concatenate(parts))


@pytest.mark.e2e
@pytest.mark.parametrize("batch_size", [0, BATCH_SIZE], ids=["sequential", "batched"])
def test_english_stretch_of_a_mandarin_meeting_stays_english(mixed_recording: Path, batch_size: int) -> None:
    tr = transcribe(mixed_recording, TranscribeOptions(batch_size=batch_size))
    assert tr.language == "zh"
    text = " ".join(s.text for s in tr.segments).lower()
    # Turns 3-4 of the English sample, said between 57 s and 74 s of this recording.
    heard = ["prairie", "plumbing", "contractors", "colorado", "wyoming", "warehouses", "denver", "trucks"]
    assert sum(w in text for w in heard) >= 6, text
    english = [s for s in tr.segments if 57 <= s.start <= 74]
    assert english and all(s.text.isascii() for s in english), [s.text for s in english]
    mandarin_after = [s for s in tr.segments if s.start >= 78]
    assert mandarin_after and "貓" in "".join(s.text for s in mandarin_after)
