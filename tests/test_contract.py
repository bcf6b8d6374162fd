"""The JSON contracts: the package's copies agree with shared/contract; loading checks them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.contract import load_transcript, problems, schema
from pipeline.errors import InputError
from tests.conftest import SHARED


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
