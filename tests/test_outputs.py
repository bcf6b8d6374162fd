"""Atomic writes: complete files or none, with errors that say how to fix them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.outputs import atomic_open, write_json


def test_write_json_keeps_cjk_readable(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    write_json(path, {"text": "溝通備忘錄"})
    assert "溝通備忘錄" in path.read_text("utf-8")
    assert json.loads(path.read_text("utf-8")) == {"text": "溝通備忘錄"}


def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_open(path) as f:
        f.write(b"half")
        raise RuntimeError("crash")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["memo.docx"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_is_explained(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            write_json(tmp_path / "x.json", {})
    finally:
        tmp_path.chmod(0o700)


def test_a_file_where_the_directory_should_be_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write"):
        write_json(blocker / "x.json", {})


def test_temporaries_left_by_a_killed_run_are_cleaned_on_the_next_write(tmp_path: Path) -> None:
    stale = tmp_path / ".m.memo.docx.abc123.part"
    stale.write_bytes(b"half")
    os.utime(stale, (1, 1))
    fresh = tmp_path / ".m.memo.docx.def456.part"
    fresh.write_bytes(b"in progress elsewhere")
    write_json(tmp_path / "m.memo.docx", {})
    assert not stale.exists()
    assert fresh.exists()
