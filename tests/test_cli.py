"""The `memo` command, in-process: one-line errors, the rest goes on, stages on their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.main import app

runner = CliRunner()


def transcript_file(tmp_path: Path) -> Path:
    data = {
        "schema": "meeting-transcript/1",
        "language": "en",
        "segments": [
            {
                "id": 0,
                "start": 0.0,
                "end": 3.0,
                "text": "Um, we have three warehouses and forty trucks.",
                "speaker": "dist",
            },
            {"id": 1, "start": 3.0, "end": 6.0, "text": "What are your payment terms?", "speaker": "dist"},
            {
                "id": 2,
                "start": 6.0,
                "end": 9.0,
                "text": "Net thirty after the first order.",
                "speaker": "rep",
            },
        ],
    }
    path = tmp_path / "m.transcript.json"
    path.write_text(json.dumps(data))
    return path


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("draft", "transcribe", "notes", "setup"):
        assert command in result.output


def test_missing_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["draft", str(tmp_path / "nope.m4a")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "nope.m4a: no such file" in errors[0]


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    good = transcript_file(tmp_path)
    result = runner.invoke(app, ["draft", str(bad), str(good), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "bad.wav: not an audio file" in result.output
    assert (tmp_path / "out" / "m.memo.docx").is_file()
    assert not (tmp_path / "out" / "bad.memo.docx").exists()


def test_draft_from_a_transcript_leaves_the_transcript_as_it_is(tmp_path: Path) -> None:
    path = transcript_file(tmp_path)
    before = path.read_bytes()
    result = runner.invoke(app, ["draft", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m.memo.docx", "m.notes.json", "m.srt", "m.transcript.json",
    ]  # fmt: skip


def test_notes_prints_json_without_output_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["notes", str(transcript_file(tmp_path))])
    assert result.exit_code == 0, result.output
    notes = json.loads(result.output)
    assert [s["id"] for s in notes["segments"]] == [0, 1, 2]


def test_wrong_schema_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"hello": 1}))
    result = runner.invoke(app, ["notes", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "not a meeting transcript" in result.output


COMMANDS_WITH_CHOICES = {
    "draft": ["draft", "{rec}"],
    "transcribe": ["transcribe", "{rec}", "-o", "{out}/t.json"],
    "batch": ["batch", "{rec}", "-o", "{out}", "--db", "{out}/runs.sqlite"],
    "watch": ["watch", "{inbox}", "-o", "{out}", "--db", "{out}/runs.sqlite"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS_WITH_CHOICES))
@pytest.mark.parametrize(
    ("flag", "value", "choices"),
    [("--script", "latin", "hant, hans"), ("--language", "fr", "zh, en")],
)
def test_a_bad_choice_stops_every_command_before_any_file_is_touched(
    tmp_path: Path, command: str, flag: str, value: str, choices: str
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rec = inbox / "m.wav"
    rec.write_bytes(b"RIFF")
    out = tmp_path / "out"
    args = [a.format(rec=rec, out=out, inbox=inbox) for a in COMMANDS_WITH_CHOICES[command]]
    result = runner.invoke(app, [*args, flag, value])
    assert result.exit_code == 1, result.output
    assert f"expected one of: {choices}" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in inbox.iterdir()) == ["m.wav"]


def _runs(db: Path) -> list[tuple[str, str, str, str, str | None]]:
    import sqlalchemy as sa

    from pipeline.runs.store import Store, memos, recordings, runs

    store = Store(f"sqlite:///{db}")
    query = (
        sa.select(recordings.c.sha256, recordings.c.path, runs.c.command, runs.c.status, memos.c.path)
        .join(runs, runs.c.recording_id == recordings.c.id)
        .outerjoin(memos, memos.c.run_id == runs.c.id)
        .order_by(runs.c.id)
    )
    with store.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(query)]
    store.close()
    return rows  # type: ignore[return-value]


def test_draft_from_a_transcript_is_recorded_under_the_recording_it_names(tmp_path: Path) -> None:
    from pipeline.runs.store import Recording, Store

    path = transcript_file(tmp_path)
    data = json.loads(path.read_text())
    sha = "ab" * 32
    data["source"] = {"path": "/recorder/m.m4a", "sha256": sha, "duration_s": 9.0}
    path.write_text(json.dumps(data))
    db = tmp_path / "runs.sqlite"
    store = Store(f"sqlite:///{db}")  # the recording was drafted (here: tried) before, from where it was
    first = store.start_run(Recording(sha, Path("/week49/m.m4a"), 1234), command="batch", settings={},
                            memo_path=tmp_path / "x")  # fmt: skip
    store.fail_run(first, "boom", 1.0)
    store.close()
    result = runner.invoke(app, ["draft", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    memo = str(tmp_path / "m.memo.docx")
    assert _runs(db) == [
        (sha, "/week49/m.m4a", "batch", "failed", None),
        (sha, "/week49/m.m4a", "draft", "done", memo),
    ]


def test_draft_from_a_transcript_without_its_recording_is_recorded_by_the_file(tmp_path: Path) -> None:
    from pipeline.asr.audio import file_sha256

    path = transcript_file(tmp_path)
    db = tmp_path / "runs.sqlite"
    result = runner.invoke(app, ["draft", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert _runs(db) == [(file_sha256(path), str(path), "draft", "done", str(tmp_path / "m.memo.docx"))]


# -- --ray (a cluster; tests/test_cluster.py drafts on a real one) ---------------------------------


def test_batch_and_watch_help_teach_the_ray_address() -> None:
    for command in ("batch", "watch"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        text = " ".join(result.output.split())
        assert "--ray" in text and "HOST:PORT" in text and "same paths" in text and "PostgreSQL" in text


def test_ray_missing_is_one_line_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as without the extra
    path = transcript_file(tmp_path)
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    out = str(tmp_path / "out")
    result = runner.invoke(app, ["batch", str(path), "-o", out, "--db", db, "--ray", "local"])
    assert result.exit_code == 1
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert errors == ["error: Ray is not installed; install it with: pip install 'meeting-memo[cluster]'"]
    assert not (tmp_path / "out" / "m.memo.docx").exists()


def test_a_ray_head_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    import socket

    pytest.importorskip("ray")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = transcript_file(tmp_path)
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    result = runner.invoke(app, ["batch", str(path), "--db", db, "--ray", f"127.0.0.1:{port}"])
    assert result.exit_code == 1
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and f"cannot reach the Ray cluster at 127.0.0.1:{port}" in errors[0], errors
    assert "ray start --head" in errors[0]
