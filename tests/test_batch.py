"""Week batch: each recording drafted once (by content), resumable, failures recorded, roll-up written."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.asr.audio import file_sha256
from pipeline.asr.transcribe import TranscribeOptions
from pipeline.draft import DraftOptions, DraftResult
from pipeline.errors import InputError
from pipeline.outputs import output_paths, write_json, write_text
from pipeline.runs.batch import BatchOptions, expand_inputs, rollup_rows, run_batch
from pipeline.runs.recorded import RunSettings
from pipeline.runs.rollup import to_csv, to_html, write_rollup
from pipeline.runs.store import Store, runs, settings_key
from pipeline.types import Bullet, MemoContent, Notes, Segment, SegmentNote, Source, Transcript, Word
from tests.conftest import ROOT, SAMPLES, encode


class FakeDraft:
    """Writes the four outputs like ``draft`` does (memo last), without a model; counts calls."""

    def __init__(self) -> None:
        self.calls: list[Path] = []

    def __call__(self, path: Path, options: DraftOptions, progress: object = None) -> DraftResult:
        path = Path(path)
        if path.read_bytes().startswith(b"BAD"):
            raise InputError(f"{path}: not an audio file, or its format is not recognised")
        self.calls.append(path)
        words = (Word(0.0, 1.0, "What", 0.9), Word(1.0, 2.0, "terms", 0.2))
        transcript = Transcript(
            language="en",
            segments=(Segment(0, 0.0, 2.0, "What terms?", "dist", -0.3, 0.01, words),),
            source=Source(str(path), file_sha256(path), 60.0),
        )
        pq = Bullet("What terms?", (0,), 0.0)
        notes = Notes(
            "en",
            (SegmentNote(0, "What terms?", "concerns", question=True, parting_question=True),),
            MemoContent(concerns=(pq,), parting_question=pq),
            "test",
        )
        paths = output_paths(path, options.outdir)
        write_json(paths["transcript"], transcript.to_dict())
        write_json(paths["notes"], notes.to_dict())
        write_text(paths["srt"], "")
        write_text(paths["memo"], "memo")
        return DraftResult(
            path, paths["memo"], paths["transcript"], paths["notes"], paths["srt"], 60.0, 0.01,
            {"parties": 0, "market": 0, "product": 0, "concerns": 1}, 1, True, 0, transcript, notes,
        )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")


def recordings(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"meeting{i}.wav"
        path.write_bytes(f"RIFF fake recording {i}".encode() * 100)
        paths.append(path)
    return paths


def opts(tmp_path: Path, **kw: object) -> BatchOptions:
    return BatchOptions(draft=DraftOptions(outdir=tmp_path / "out"), **kw)  # type: ignore[arg-type]


def test_each_recording_is_drafted_once_across_runs(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    inputs = recordings(tmp_path / "in", 3)
    first = run_batch(inputs, opts(tmp_path), store, draft_fn=fake)
    again = run_batch(inputs, opts(tmp_path), store, draft_fn=fake)
    assert [i.status for i in first.items] == ["done"] * 3
    assert [i.status for i in again.items] == ["skipped"] * 3
    assert len(fake.calls) == 3
    assert store.count(runs) == 3


def test_a_renamed_copy_is_not_drafted_again(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    [original] = recordings(tmp_path / "in", 1)
    copy = shutil.copy(original, tmp_path / "in" / "renamed.wav")
    report = run_batch([original, Path(copy)], opts(tmp_path), store, draft_fn=fake)
    assert [i.status for i in report.items] == ["done", "skipped"]
    assert "same recording" in report.items[1].note
    assert fake.calls == [original]


def test_two_recordings_of_one_name_do_not_share_a_memo(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    [first] = recordings(tmp_path / "in", 1)
    second = tmp_path / "in" / "meeting0.m4a"
    second.write_bytes(b"another recording, same name " * 100)
    report = run_batch([first, second], opts(tmp_path), store, draft_fn=fake)
    assert [i.status for i in report.items] == ["done", "failed"]
    assert "would replace the one drafted from meeting0.wav in this batch" in report.items[1].error
    assert "rename one of the recordings" in report.items[1].error
    assert fake.calls == [first]


def test_a_later_recording_of_the_same_name_is_refused(tmp_path: Path) -> None:
    from pipeline.draft import check_outputs_free

    [first] = recordings(tmp_path / "in", 1)
    FakeDraft()(first, DraftOptions(outdir=tmp_path / "out"))
    check_outputs_free(first, tmp_path / "out")  # the same recording again: fine
    with pytest.raises(InputError, match=r"would replace the one drafted from meeting0\.wav"):
        check_outputs_free(tmp_path / "in" / "meeting0.mp3", tmp_path / "out")


def test_force_or_other_settings_draft_again(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    inputs = recordings(tmp_path / "in", 1)
    run_batch(inputs, opts(tmp_path), store, draft_fn=fake)
    run_batch(inputs, opts(tmp_path, force=True), store, draft_fn=fake)
    hans = replace(
        opts(tmp_path), draft=DraftOptions(TranscribeOptions(script="hans"), outdir=tmp_path / "o2")
    )
    run_batch(inputs, hans, store, draft_fn=fake)
    assert len(fake.calls) == 3


def test_threads_do_not_change_the_settings_key() -> None:
    a = RunSettings.of(DraftOptions(TranscribeOptions(cpu_threads=1))).to_dict()
    b = RunSettings.of(DraftOptions(TranscribeOptions(cpu_threads=8))).to_dict()
    assert settings_key(a) == settings_key(b)
    assert settings_key(a) != settings_key(
        RunSettings.of(DraftOptions(TranscribeOptions(beam_size=1))).to_dict()
    )


def test_a_failed_file_is_recorded_and_the_rest_go_on(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    inputs = recordings(tmp_path / "in", 2)
    bad = tmp_path / "in" / "bad.wav"
    bad.write_bytes(b"BAD" * 10)
    missing = tmp_path / "in" / "missing.wav"
    report = run_batch([inputs[0], bad, missing, inputs[1]], opts(tmp_path), store, draft_fn=fake)
    assert [i.status for i in report.items] == ["done", "failed", "failed", "done"]
    assert "not an audio file" in report.items[1].error
    assert "no such file" in report.items[2].error
    assert report.failed == 2
    [run] = store.runs_of(file_sha256(bad))
    assert run.status == "failed" and "not an audio file" in (run.error or "")
    assert bad.read_bytes() == b"BAD" * 10


def test_a_run_killed_after_its_memo_was_written_is_recovered_not_redrafted(
    tmp_path: Path, store: Store
) -> None:
    fake = FakeDraft()
    [rec] = recordings(tmp_path / "in", 1)
    options = opts(tmp_path)
    from pipeline.runs.recorded import check

    checked = check(store, rec, options.draft)
    assert not hasattr(checked, "status")
    memo = output_paths(rec, options.draft.outdir)["memo"]
    store.start_run(
        checked, command="batch", settings=RunSettings.of(options.draft).to_dict(), memo_path=memo
    )  # type: ignore[arg-type]
    time.sleep(0.01)
    fake(rec, options.draft)  # outputs written, then "killed" before the store heard of it
    report = run_batch([rec], options, store, draft_fn=fake)
    assert report.items[0].status == "done" and report.items[0].note == "recovered"
    assert len(fake.calls) == 1
    [run] = store.runs_of(file_sha256(rec))
    assert run.status == "done"


def test_an_unfinished_run_is_taken_over_and_stale_parts_removed(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    [rec] = recordings(tmp_path / "in", 1)
    options = opts(tmp_path)
    memo = output_paths(rec, options.draft.outdir)["memo"]
    from pipeline.runs.recorded import check

    checked = check(store, rec, options.draft)
    store.start_run(
        checked, command="batch", settings=RunSettings.of(options.draft).to_dict(), memo_path=memo
    )  # type: ignore[arg-type]
    memo.parent.mkdir(parents=True)
    part = memo.parent / f".{memo.name}.abc123.part"
    part.write_bytes(b"half a memo")
    os.utime(part, (time.time() - 60, time.time() - 60))
    run_batch([rec], options, store, draft_fn=fake)
    assert not part.exists()
    [run] = store.runs_of(file_sha256(rec))
    assert run.status == "done"


def test_expand_inputs_takes_paths_folders_and_globs(tmp_path: Path) -> None:
    inputs = recordings(tmp_path / "in", 3)
    (tmp_path / "in" / "notes.txt").write_text("x")
    found = expand_inputs([str(tmp_path / "in" / "*.wav"), tmp_path / "in", inputs[0]])
    assert found == inputs
    missing = tmp_path / "in" / "missing.wav"  # kept: it fails with its reason, the others go on
    assert expand_inputs([inputs[0], missing]) == [inputs[0], missing]


def test_inputs_that_match_nothing_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    [rec] = recordings(tmp_path / "in", 1)
    with pytest.raises(InputError, match=r"nothing\*\.wav: matches no file"):
        expand_inputs([rec, str(tmp_path / "nothing*.wav")])
    with pytest.raises(InputError, match=r"empty: holds no recording"):
        expand_inputs([tmp_path / "empty"])
    with pytest.raises(InputError, match=r"missing\.wav: no such file"):
        expand_inputs([tmp_path / "missing.wav"])


@pytest.mark.parametrize("pattern", ["nomatch/*.m4a", "empty", "gone/missing.m4a"])
def test_cli_batch_of_nothing_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    from pipeline.cli.main import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(app, ["batch", pattern])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_rollup_lists_each_meeting_with_its_figures(tmp_path: Path, store: Store) -> None:
    fake = FakeDraft()
    inputs = recordings(tmp_path / "in", 1)
    bad = tmp_path / "in" / "bad.wav"
    bad.write_bytes(b"BAD" * 10)
    options = replace(opts(tmp_path), draft=replace(opts(tmp_path).draft, details=_details()))
    report = run_batch([*inputs, bad], options, store, draft_fn=fake)
    rows = rollup_rows(report, store, options.draft)
    assert rows[0].rep == "Lin Mei" and rows[0].distributor == "Acme"
    assert rows[0].bullets["concerns"] == 1 and rows[0].open_questions == 1
    assert rows[0].parting_question == "What terms?" and rows[0].low_conf_share == 0.5
    assert rows[1].status == "failed" and "not an audio file" in rows[1].error
    text = to_csv(rows)
    assert text.splitlines()[0].startswith("date,rep,distributor,language,duration,parties")
    assert "50.0%" in text and "What terms?" in text
    assert '<tr class="failed">' in to_html(rows, "week")
    csv_path, html_path = write_rollup(rows, tmp_path / "out", "2025-W48")
    assert csv_path.name == "memo-week-2025-W48.csv" and html_path.is_file()


def _details():  # type: ignore[no-untyped-def]
    from pipeline.memo.render import MemoDetails

    return MemoDetails(rep="Lin Mei", distributor="Acme")


def test_cli_batch_summary_rollup_and_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli.main import app

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setattr("pipeline.runs.batch.draft", FakeDraft())
    inputs = recordings(tmp_path / "in", 2)
    (tmp_path / "in" / "bad.wav").write_bytes(b"BAD")
    args = [
        "batch",
        str(tmp_path / "in" / "*.wav"),
        "-o",
        str(tmp_path / "out"),
        "--db",
        str(tmp_path / "r.db"),
        "--workers",
        "1",  # the fake draft is patched into this process only
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "2 drafted, 0 skipped, 1 failed" in result.output
    assert len(list((tmp_path / "out").glob("memo-week-*.csv"))) == 1
    again = CliRunner().invoke(app, [*args[:2], str(inputs[0]), *args[2:]])
    assert "0 drafted, 2 skipped, 1 failed" in again.output


# -- with the real model ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two short, different recordings cut from the English sample (different content hashes)."""
    folder = tmp_path_factory.mktemp("clips")
    src = SAMPLES / "en-meeting.mp3"
    return [
        encode(src, folder / "monday.mp3", "-t", "35"),
        encode(src, folder / "tuesday.mp3", "-ss", "35", "-t", "35"),
    ]


@pytest.mark.e2e
def test_a_batch_killed_midway_and_restarted_writes_each_memo_once(clips: list[Path], tmp_path: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "runs.sqlite"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    memo = str(Path(sys.executable).parent / "memo")
    # One worker, so the two memos are written one transcription apart: with two workers
    # both finish together and the kill cannot land between them.
    cmd = [memo, "batch", *map(str, clips), "-o", str(out), "--db", str(db), "--workers", "1"]
    before = [c.read_bytes() for c in clips]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not list(out.glob("*.memo.docx")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("*.memo.docx")}
    assert len(first) == 1, "killed before or after the first memo"
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    memos = sorted(p.name for p in out.glob("*.memo.docx"))
    assert memos == ["monday.memo.docx", "tuesday.memo.docx"]
    for name, mtime in first.items():
        assert (out / name).stat().st_mtime_ns == mtime, "a finished memo was written again"
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    assert [c.read_bytes() for c in clips] == before
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select r.sha256, count(*), min(u.status), max(u.settings) from runs u "
            "join recordings r on r.id = u.recording_id group by r.sha256"
        ).fetchall()
    assert len(rows) == 2
    for _sha, count, status, settings in rows:
        assert (count, status) == (1, "done")
        assert '"model": "base"' in settings


def test_rollup_csv_cells_cannot_be_formulas_and_html_shows_them_as_text() -> None:
    import csv
    import io

    from pipeline.runs.store import MeetingRow

    row = MeetingRow(
        date="2025-12-01", rep="=1+2", distributor='=HYPERLINK("http://evil.example","click")',
        language="en", duration_s=600.0, bullets={"concerns": 1}, open_questions=1,
        parting_question="@SUM(A1:A9)", low_conf_share=0.25, status="done",
        source="-2+3.wav", memo="\tx.memo.docx", error="+cmd|' /C calc'!A0\r",
    )  # fmt: skip
    header, cells = csv.reader(io.StringIO(to_csv([row]), newline=""))
    by_name = dict(zip(header, cells, strict=True))
    assert by_name["rep"] == "'=1+2"
    assert by_name["distributor"] == """'=HYPERLINK("http://evil.example","click")"""
    assert by_name["parting_question"] == "'@SUM(A1:A9)"
    assert (by_name["recording"], by_name["memo"]) == ("'-2+3.wav", "'\tx.memo.docx")
    assert by_name["note"].startswith("'+cmd")
    assert (by_name["duration"], by_name["low_confidence"], by_name["concerns"]) == ("10:00", "25.0%", "1")
    page = to_html([row], "week")
    assert "<td>=1+2</td>" in page and "&quot;http://evil.example&quot;" in page and "'=" not in page


@pytest.mark.parametrize("command", ["batch", "draft"])
def test_an_output_folder_that_is_a_file_is_one_line_before_any_work(tmp_path: Path, command: str) -> None:
    from pipeline.cli.main import app

    [rec] = recordings(tmp_path / "in", 1)
    target = tmp_path / "memos.txt"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, [command, str(rec), "-o", str(target), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"error: {target}: is a file, not a folder; give a folder for the outputs (-o or outbox)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "memos.txt"]
