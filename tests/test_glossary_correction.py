"""The glossary corrects near-misses of company names after decoding, and records each one."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pipeline.asr.glossary import common_words, correct_segment, load_sounds
from pipeline.asr.postprocess import finish
from pipeline.resources import package_file
from pipeline.types import Correction, Segment, Transcript, Word
from tests.conftest import SAMPLES

ZH = ("青嶺", "新安寵物", "山嵐", "南投", "草屯", "新竹", "湖口")
EN = ("Bluecrest", "Prairie Line", "Laura", "Mike", "Michigan", "Grand Rapids", "Denver", "Cheyenne")


def zh(pieces: list[str], p: float = 0.75, sid: int = 0) -> Segment:
    """A Mandarin segment, one word per piece, each with probability ``p``."""
    words = tuple(Word(i * 0.3, i * 0.3 + 0.25, w, p) for i, w in enumerate(pieces))
    return Segment(sid, 0.0, words[-1].end, "".join(pieces), words=words)


def en(text: str, p: float = 0.8) -> Segment:
    words = tuple(Word(i * 0.4, i * 0.4 + 0.3, " " + w, p) for i, w in enumerate(text.split()))
    return Segment(0, 0.0, words[-1].end, text, words=words)


def fixed(segment: Segment, names: tuple[str, ...]) -> str:
    return correct_segment(segment, names)[0].text


def test_a_homophone_of_a_name_is_corrected_and_recorded() -> None:
    out, corrections = correct_segment(zh(["我們", "清", "靈,", "在", "南", "投"]), ZH)
    assert out.text == "我們青嶺,在南投"
    assert corrections == [Correction(0, "清靈", "青嶺", 0.3, "pinyin-equal", 1.0)]
    # The name's characters are one word now, timed from the first to the last.
    assert [w.word for w in out.words] == ["我們", "青嶺,", "在", "南", "投"]
    assert out.words[1].start == 0.3 and out.words[1].end == 0.85


def test_same_sound_other_characters_in_either_script() -> None:
    assert fixed(zh(list("叫做山蘭")), ZH) == "叫做山嵐"
    assert fixed(zh(list("叫做山兰")), ("山岚",)) == "叫做山岚"


def test_one_syllable_off_is_corrected_only_in_a_long_name() -> None:
    # 先安寵物 (xian an chong wu) is one near syllable from 新安寵物 (xin an chong wu): four
    # syllables this alike are rare enough even where the model was sure.
    out, corrections = correct_segment(zh(["我們", "先", "安", "寵", "物"], p=0.95), ZH)
    assert out.text == "我們新安寵物" and corrections[0].rule == "pinyin-near"
    # 先煮 (xian zhu) is as near to 新竹 (xin zhu), but a two-character name needs every
    # syllable: "先煮大肌肉的" was the model's 先主打雞肉的, not a place.
    assert fixed(zh(["先", "煮", "大", "肌", "肉", "的"]), ZH) == "先煮大肌肉的"


def test_a_common_word_said_clearly_is_left_alone() -> None:
    # 戶口 (hu4 kou3) sounds like 湖口 (hu2 kou3) but for the tone; decoded with confidence
    # it is the word that was said.
    assert fixed(zh(["去", "銀行", "開", "戶", "口"], p=0.97), ZH) == "去銀行開戶口"
    # The same word decoded unsure is taken as the name.
    assert fixed(zh(["倉庫", "在", "戶", "口"], p=0.6), ZH) == "倉庫在湖口"


def test_words_that_do_not_sound_like_a_name_are_left_alone() -> None:
    text = "這兩年才開始做自己的品牌我們在新竹跟桃園有三百多家店"
    assert fixed(zh(list(text), p=0.5), ZH) == text


def test_a_name_said_right_is_not_recorded() -> None:
    assert correct_segment(zh(list("我們青嶺在南投")), ZH)[1] == []


def test_a_misspelt_english_name_is_corrected() -> None:
    out, corrections = correct_segment(en("Bluegrass started in 2009 in Grand Rapids, Michigan."), EN)
    assert out.text == "Bluecrest started in 2009 in Grand Rapids, Michigan."
    assert corrections[0].original == "Bluegrass" and corrections[0].rule == "spelling"
    assert 0.65 <= corrections[0].score < 1 and out.words[0].word == " Bluecrest"


def test_two_words_run_together_and_a_two_word_name() -> None:
    assert fixed(en("we are Blue Crest Water Systems"), EN) == "we are Bluecrest Water Systems"
    assert fixed(en("this is Prairie Lane Plumbing Supply"), EN) == "this is Prairie Line Plumbing Supply"


def test_common_english_words_and_short_words_are_left_alone() -> None:
    assert "danger" in common_words() and "different" in common_words()
    text = "That would be a danger for the grand opening in November, Mark."
    assert fixed(en(text), EN) == text
    # A short name is never a target: Laura -> Lara, Mike -> Mine are too easy to hit.
    assert fixed(en("Lara said mine is fine"), EN) == "Lara said mine is fine"


def test_a_common_word_one_edit_from_a_name_is_corrected() -> None:
    assert "grande" in common_words()
    assert fixed(en("we started in Grande Rapids"), EN) == "we started in Grand Rapids"


def test_a_rare_word_needs_only_to_be_close() -> None:
    assert fixed(en("we ship to Denvor and Cheyenne"), EN) == "we ship to Denver and Cheyenne"


def test_segments_without_words_are_corrected_in_their_text() -> None:
    out, corrections = correct_segment(Segment(3, 1.0, 4.0, "We are Bluegrass Water."), EN)
    assert out.text == "We are Bluecrest Water." and corrections[0].start == 1.0
    assert corrections[0].segment == 3


def test_finish_points_each_correction_at_its_final_segment() -> None:
    first = zh(list("我們這次來是想跟您介紹一下我們的公司"))
    second = zh(["我們", "清", "靈", *"在南投做寵物食品已經做了十五年"], sid=1)
    second = Segment(1, 10.0, 12.0, second.text, words=tuple(
        Word(w.start + 10, w.end + 10, w.word, w.probability) for w in second.words
    ))  # fmt: skip
    segments, corrections = finish([first, second], "hant", ZH)
    (c,) = corrections
    assert segments[c.segment].start <= c.start and "青嶺" in segments[c.segment].text


def test_the_transcript_json_carries_the_corrections_and_still_fits_the_schema() -> None:
    c = Correction(0, "清靈", "青嶺", 0.3, "pinyin-equal", 1.0)
    tr = Transcript(language="zh", script="hant", segments=(Segment(0, 0.0, 1.0, "青嶺"),), corrections=(c,))
    d = tr.to_dict()
    assert d["corrections"] == [
        {"segment": 0, "original": "清靈", "corrected": "青嶺", "start": 0.3, "rule": "pinyin-equal",
         "score": 1.0}
    ]  # fmt: skip
    schema = json.loads(package_file("pipeline.schemas", "transcript.schema.json").read_text("utf-8"))
    jsonschema.validate(d, schema)
    assert Transcript.from_dict(json.loads(json.dumps(d))) == tr
    assert Transcript.from_dict({"language": "zh", "segments": []}).corrections == ()


def test_the_near_sounds_file_has_ids_and_pairs() -> None:
    sounds = load_sounds()
    assert sounds.near(("x", "in"), ("x", "ian")) and not sounds.near(("x", "in"), ("zh", "u"))


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("audio", "names", "lang", "wrong"),
    [("zh-hant-meeting.wav", ZH, "zh", "清靈"), ("en-meeting.mp3", EN, "en", "Bluegrass")],
)
def test_the_samples_names_are_found_after_correction(
    audio: str, names: tuple[str, ...], lang: str, wrong: str
) -> None:
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    tr = transcribe(SAMPLES / audio, TranscribeOptions(language=lang, glossary=names))  # type: ignore[arg-type]
    text = " ".join(s.text for s in tr.segments)
    assert wrong not in text
    for c in tr.corrections:
        assert c.corrected in tr.segments[c.segment].text
