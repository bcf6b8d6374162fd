"""The embedded model: assembled from the two packages, verified, atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.asr.model_store import (
    EXPECTED_SHA256,
    assemble_embedded_model,
    models_dir,
    resolve_model,
    verify_model_dir,
)
from pipeline.errors import ModelError


def test_embedded_model_is_assembled_and_verifies() -> None:
    path = assemble_embedded_model()
    verify_model_dir(path)
    assert set(EXPECTED_SHA256) <= {p.name for p in path.iterdir()}


def test_assembly_into_a_new_place_leaves_no_temporary_dirs(tmp_path: Path) -> None:
    target = tmp_path / "m"
    assemble_embedded_model(target)
    verify_model_dir(target)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_damaged_model_file_is_detected(tmp_path: Path) -> None:
    target = assemble_embedded_model(tmp_path / "m")
    with (target / "config.json").open("ab") as f:
        f.write(b" ")
    with pytest.raises(ModelError, match="damaged"):
        verify_model_dir(target)


def test_size_stamp_makes_a_second_call_reassemble_a_truncated_copy(tmp_path: Path) -> None:
    target = assemble_embedded_model(tmp_path / "m")
    (target / "vocabulary.txt").write_text("cut")
    assemble_embedded_model(target)
    verify_model_dir(target)


def test_resolve_model_default_is_the_embedded_directory() -> None:
    assert Path(resolve_model("base")).parent == models_dir()


def test_resolve_model_rejects_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nope"))


def test_resolve_model_rejects_a_directory_without_model_bin(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model\.bin"):
        resolve_model(str(tmp_path))


def test_size_names_pass_through_for_faster_whisper() -> None:
    assert resolve_model("large-v3") == "large-v3"
