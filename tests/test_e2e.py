"""End to end with the real model on the samples: recordings in, four outputs out.

The session fixture ``e2e`` runs ``memo draft`` once on both samples; each test
checks one property of what came out.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from docx import Document

from pipeline.contract import problems
from pipeline.script import is_in_script
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e

FILLERS = re.compile(r"(^|[\s，,。])(嗯|啊|呃|欸|齁)|那個|就是說|\b(um|uh|you know)\b", re.IGNORECASE)
HEADINGS = {
    "zh-hant-meeting": ["一、雙方情況介紹", "二、", "三、", "四、", "五、", "六、", "七、"],
    "en-meeting": ["1. Introductions", "2. Industry", "3. Product", "4. Other", "5.", "6.", "7."],
}


def outputs(e2e: dict[str, object], stem: str) -> dict[str, Path]:
    out = e2e["out"]
    assert isinstance(out, Path)
    return {
        "memo": out / f"{stem}.memo.docx",
        "transcript": out / f"{stem}.transcript.json",
        "notes": out / f"{stem}.notes.json",
        "srt": out / f"{stem}.srt",
    }


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text("utf-8"))  # type: ignore[no-any-return]


def test_draft_succeeds_for_both_samples(e2e: dict[str, object]) -> None:
    result = e2e["result"]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]


def test_recordings_are_unchanged(e2e: dict[str, object]) -> None:
    before = e2e["before"]
    assert isinstance(before, dict)
    for path, data in before.items():
        assert path.read_bytes() == data


@pytest.mark.parametrize("stem", ["zh-hant-meeting", "en-meeting"])
def test_four_outputs_and_nothing_else(e2e: dict[str, object], stem: str) -> None:
    paths = outputs(e2e, stem)
    for path in paths.values():
        assert path.is_file() and path.stat().st_size > 0
    out = e2e["out"]
    assert isinstance(out, Path)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"


@pytest.mark.parametrize("stem,language", [("zh-hant-meeting", "zh"), ("en-meeting", "en")])
def test_transcript_is_valid_and_in_the_right_language(
    e2e: dict[str, object], stem: str, language: str
) -> None:
    t = load(outputs(e2e, stem)["transcript"])
    assert problems(t, "transcript") == []
    assert t["language"] == language
    segs = t["segments"]
    assert len(segs) >= 10
    assert all(a["end"] <= b["start"] + 0.01 for a, b in itertools.pairwise(segs)), "segments overlap"
    assert all(s["start"] <= s["end"] for s in segs)
    assert t["source"]["duration_s"] > 60
    assert len(t["source"]["sha256"]) == 64


@pytest.mark.parametrize("stem,batched", [("zh-hant-meeting", True), ("en-meeting", False)])
def test_mandarin_is_decoded_batched_and_english_sequentially(
    e2e: dict[str, object], stem: str, batched: bool
) -> None:
    settings = load(outputs(e2e, stem)["transcript"])["settings"]
    assert (settings["batch_size"] > 0) is batched
    assert ("batched" in settings) is batched  # chunks decoded in batches, short ones again
    assert ("holes" in settings) is not batched  # speech sequential decoding jumped over


def test_chinese_transcript_is_entirely_traditional(e2e: dict[str, object]) -> None:
    t = load(outputs(e2e, "zh-hant-meeting")["transcript"])
    assert t["script"] == "hant"
    assert [s["text"] for s in t["segments"] if not is_in_script(s["text"], "hant")] == []


def test_english_transcript_holds_the_scripted_words(e2e: dict[str, object]) -> None:
    script = load(SAMPLES / "en-meeting.json")
    spoken = " ".join(s["text"] for s in load(outputs(e2e, "en-meeting")["transcript"])["segments"])
    words = {w.lower() for w in re.findall(r"[A-Za-z]{6,}", " ".join(t["text"] for t in script["turns"]))}
    heard = {w.lower() for w in re.findall(r"[A-Za-z]{6,}", spoken)}
    assert len(words & heard) / len(words) > 0.8


@pytest.mark.parametrize("stem", ["zh-hant-meeting", "en-meeting"])
def test_notes_are_valid_with_one_label_per_segment(e2e: dict[str, object], stem: str) -> None:
    paths = outputs(e2e, stem)
    t, n = load(paths["transcript"]), load(paths["notes"])
    assert problems(n, "notes") == []
    assert [s["id"] for s in n["segments"]] == [s["id"] for s in t["segments"]]
    assert all(s["rules"] for s in n["segments"] if s["category"] != "none")


@pytest.mark.parametrize("stem", ["zh-hant-meeting", "en-meeting"])
def test_every_bullet_points_to_existing_segments(e2e: dict[str, object], stem: str) -> None:
    paths = outputs(e2e, stem)
    ids = {s["id"] for s in load(paths["transcript"])["segments"]}
    memo = load(paths["notes"])["memo"]
    bullets = [b for k, v in memo.items() if isinstance(v, list) for b in v]
    assert bullets
    for b in bullets:
        assert b["segments"] and set(b["segments"]) <= ids


@pytest.mark.parametrize("stem", ["zh-hant-meeting", "en-meeting"])
def test_memo_sorts_the_meeting_into_sections(e2e: dict[str, object], stem: str) -> None:
    memo = load(outputs(e2e, stem)["notes"])["memo"]
    filled = [k for k in ("parties", "market", "product", "concerns") if memo[k]]
    assert len(filled) >= 3, filled
    assert memo["questions"] or memo["parting_question"]


@pytest.mark.parametrize("stem", ["zh-hant-meeting", "en-meeting"])
def test_docx_has_seven_sections_and_no_fillers(e2e: dict[str, object], stem: str) -> None:
    doc = Document(str(outputs(e2e, stem)["memo"]))
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert len(headings) == 7
    for want, got in zip(HEADINGS[stem], headings, strict=True):
        assert got.startswith(want)
    bullets = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "List Bullet"]
    assert bullets and all(re.search(r"\[\d\d:\d\d\]$", b) for b in bullets)
    assert [b for b in bullets if FILLERS.search(b)] == []


def test_srt_has_one_cue_per_segment(e2e: dict[str, object]) -> None:
    paths = outputs(e2e, "en-meeting")
    cues = paths["srt"].read_text("utf-8").strip().split("\n\n")
    assert len(cues) == len(load(paths["transcript"])["segments"])


def test_each_draft_is_recorded_once_in_the_run_store(e2e: dict[str, object]) -> None:
    import sqlite3

    from pipeline.config import user_data_dir

    db = user_data_dir() / "memo.sqlite"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select source_path, command, status, settings from runs").fetchall()
    inputs = e2e["inputs"]
    assert isinstance(inputs, list)
    for path in inputs:
        mine = [r for r in rows if r[0] == str(path)]
        assert len(mine) == 1, rows
        assert mine[0][1:3] == ("draft", "done")
        assert json.loads(mine[0][3])["transcribe"]["model"] == "base"
