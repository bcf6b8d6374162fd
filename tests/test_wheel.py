"""An installed wheel works from any folder: templates and schemas ship as package data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _transcript(path: Path) -> Path:
    data = {
        "schema": "meeting-transcript/1",
        "language": "en",
        "segments": [
            {"id": 0, "start": 0.0, "end": 3.0, "text": "We have three warehouses.", "speaker": "dist"},
            {"id": 1, "start": 3.0, "end": 6.0, "text": "What are your payment terms?", "speaker": "dist"},
        ],
    }
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_a_wheel_installed_elsewhere_drafts_a_memo_from_another_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = dist.glob("meeting_memo-*.whl")
    # A fresh interpreter whose only copy of `pipeline` is the wheel's; the dependencies come
    # from this environment's site-packages as a plain path (its .pth files, among them the
    # editable install of this checkout, are not read).
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, wheel], check=True
    )
    deps = sysconfig.get_paths()["purelib"]
    work = tmp_path / "elsewhere"
    work.mkdir()
    transcript = _transcript(work / "t.transcript.json")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), deps]),
        "PYTHONNOUSERSITE": "1",
        "MEMO_MODELS_DIR": "",
    }
    code = "import pipeline, sys; print(pipeline.__file__); from pipeline.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, "draft", str(transcript), "-o", "out", "--no-speakers"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(str(site)), result.stdout
    assert (work / "out" / "t.memo.docx").stat().st_size > 5000
    notes = json.loads((work / "out" / "t.notes.json").read_text("utf-8"))
    assert notes["schema"] == "meeting-notes/1"
    # Outside a checkout, models go to the user's data folder, never into site-packages.
    where = subprocess.run(
        [sys.executable, "-S", "-c", "from pipeline.resources import models_dir; print(models_dir())"],
        cwd=work, env={**env, "XDG_DATA_HOME": str(tmp_path / "data")}, capture_output=True, text=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(tmp_path / "data" / "meeting-memo" / "models"), where.stderr
    # The follow-up commands find their templates and rules in the wheel too.
    for args, code_wanted in (
        (["proposal", "out/t.notes.json", "-o", "p.docx"], 0),
        (["check", "out/t.memo.docx"], 1),
    ):
        after = subprocess.run(
            [sys.executable, "-S", "-c", code, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert after.returncode == code_wanted, after.stderr
    assert (work / "p.docx").stat().st_size > 5000
