"""The JSON contracts: the package's copies agree with shared/contract; loading checks them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract import SchemaName, is_valid, load_transcript, problems, schema
from pipeline.errors import InputError
from tests.conftest import SAMPLES, SHARED


@pytest.mark.parametrize("name", ["transcript", "notes"])
def test_package_schemas_match_the_shared_contract(name: str) -> None:
    shared = SHARED / "contract" / f"{name}.schema.json"
    if not shared.exists():
        pytest.skip("shared/contract is not beside this checkout")
    assert schema(name) == json.loads(shared.read_text("utf-8"))  # type: ignore[arg-type]


def test_broken_json_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text('{"language": "zh", "segm')
    with pytest.raises(InputError, match="not valid JSON"):
        load_transcript(bad)


def test_notes_json_is_not_a_transcript(tmp_path: Path) -> None:
    wrong = tmp_path / "n.json"
    wrong.write_text(json.dumps({"language": "zh", "memo": {}}))
    with pytest.raises(InputError, match="not a meeting transcript"):
        load_transcript(wrong)


def test_valid_transcript_loads_with_control_characters_intact(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    data = {"language": "en", "segments": [{"id": 0, "start": 0, "end": 1, "text": "a\x0bb"}]}
    path.write_text(json.dumps(data))
    assert load_transcript(path).segments[0].text == "a\x0bb"
    assert problems(data, "transcript") == []


# -- the quick check (fastjsonschema) agrees with jsonschema ---------------------------------------


def _documents() -> dict[str, dict[str, Any]]:
    """A full transcript (words, speakers, removed text, a correction, source, model) built
    from the English sample's script, and the notes of it."""
    from pipeline.notes.build import build_notes
    from pipeline.types import Correction, ModelInfo, RemovedSegment, Segment, Source, Transcript, Word

    turns = json.loads((SAMPLES / "en-meeting.json").read_text("utf-8"))["turns"]
    segments = tuple(
        Segment(id=i, start=i * 10.0, end=i * 10.0 + 9, text=t["text"], speaker=f"S{i % 2 + 1}",
                avg_logprob=-0.2, no_speech_prob=0.01,
                words=tuple(Word(i * 10.0 + k, i * 10.0 + k + 0.5, w, 0.9)
                            for k, w in enumerate(t["text"].split()[:5])))
        for i, t in enumerate(turns)
    )  # fmt: skip
    transcript = Transcript(
        language="en", segments=segments, script=None,
        source=Source(path="en-meeting.mp3", sha256="0" * 64, duration_s=len(segments) * 10.0),
        model=ModelInfo(name="base", compute_type="int8", engine_version="faster-whisper 1.2"),
        removed=(RemovedSegment(start=1.0, end=2.0, text="uh", reason="filler"),),
        settings={"beam_size": 5},
        corrections=(Correction(0, "blue crest", "Bluecrest", 0.5, "spelling", 0.9),),
    )  # fmt: skip
    return {"transcript": transcript.to_dict(), "notes": build_notes(transcript, model=None).to_dict()}


def _broken(value: Any) -> Iterator[Any]:
    """Copies of ``value`` each broken in one place: a key dropped, or a value of another type,
    empty, negative or not in any enum (every key of every object; the first two items of
    every list)."""
    replacements = (None, "x", -1, 1.5, True, [], {}, "", "zz")
    if isinstance(value, dict):
        for key, inner in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for other in (*replacements, *_broken(inner)):
                yield {**value, key: other}
    elif isinstance(value, list):
        for i, inner in enumerate(value[:2]):
            for other in (*replacements, *_broken(inner)):
                yield [*value[:i], other, *value[i + 1 :]]


@pytest.mark.parametrize("name", ["transcript", "notes"])
def test_the_quick_check_agrees_with_jsonschema_on_every_broken_copy(name: SchemaName) -> None:
    from pipeline.contract import _described  # jsonschema alone

    document = _documents()[name]
    assert is_valid(document, name) and _described(document, name) == []
    copies = list(_broken(document))
    verdicts = [(is_valid(c, name), _described(c, name) == []) for c in copies]
    disagree = [(c, v) for c, v in zip(copies, verdicts, strict=True) if v[0] != v[1]]
    assert not disagree, disagree[:3]
    assert sum(not ok for _, ok in verdicts) >= 200  # the copies do break the contract
