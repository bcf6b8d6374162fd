"""Drop folder: a recording is read only once completely written, and drafted exactly once."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from pipeline.draft import DraftOptions, draft
from pipeline.runs.batch import BatchOptions
from pipeline.runs.store import Store, runs
from pipeline.runs.watch import Stability, Watcher, WatchOptions, watch_options
from tests.test_batch import FakeDraft, clips  # noqa: F401 - the fixture is shared


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_ready_only_after_it_stops_changing(tmp_path: Path) -> None:
    clock = Clock()
    stability = Stability(2.0, clock)
    path = tmp_path / "m.wav"
    path.write_bytes(b"a" * 10)
    stability.see(path)
    clock.now = 1.5
    with path.open("ab") as f:
        f.write(b"more")  # the copy goes on
    assert stability.ready() == []
    clock.now = 3.0
    assert stability.ready() == []  # 1.5 s since the last change
    clock.now = 3.6
    assert stability.ready() == [path]
    stability.see(path)
    clock.now = 10.0
    assert stability.ready() == [], "a settled file is handed out once"


def test_empty_and_vanished_files_are_never_ready(tmp_path: Path) -> None:
    clock = Clock()
    stability = Stability(1.0, clock)
    empty, gone = tmp_path / "empty.wav", tmp_path / "gone.wav"
    empty.touch()
    gone.write_bytes(b"x")
    stability.see(empty)
    stability.see(gone)
    gone.unlink()
    clock.now = 5.0
    assert stability.ready() == []


def watcher(tmp_path: Path, store: Store, fake: object, stable_s: float = 0.3) -> Watcher:
    options = watch_options(BatchOptions(draft=DraftOptions()), tmp_path / "inbox")
    options = WatchOptions(batch=options.batch, stable_s=stable_s, poll_s=0.05)
    return Watcher(tmp_path / "inbox", options, store, draft_fn=fake)  # type: ignore[arg-type]


def test_restart_renames_and_copies_draft_nothing_again(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    fake = FakeDraft()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.wav").write_bytes(b"recording a" * 50)
    w = watcher(tmp_path, store, fake)
    w.scan()
    time.sleep(0.4)
    assert [i.status for i in w.step()] == ["done"]
    assert (inbox / "memos" / "a.memo.docx").is_file()
    shutil.copy(inbox / "a.wav", inbox / "a copy.wav")
    (inbox / "a.wav").rename(inbox / "renamed.wav")
    restarted = watcher(tmp_path, store, fake)
    restarted.scan()
    time.sleep(0.4)
    assert [i.status for i in restarted.step()] == ["skipped", "skipped"]
    assert len(fake.calls) == 1
    assert store.count(runs) == 1


def test_a_failed_recording_is_listed_and_the_watcher_goes_on(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    fake = FakeDraft()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bad.wav").write_bytes(b"BAD")
    (inbox / "good.wav").write_bytes(b"good" * 10)
    w = watcher(tmp_path, store, fake)
    w.scan()
    time.sleep(0.4)
    items = {i.source.name: i for i in w.step()}
    assert items["bad.wav"].status == "failed" and "not an audio file" in items["bad.wav"].error
    assert items["good.wav"].status == "done"
    assert (inbox / "bad.wav").read_bytes() == b"BAD"
    w.scan()
    time.sleep(0.4)
    assert w.step() == [], "an unchanged failed file is not retried while watching"


def test_run_picks_up_file_events_and_stops_cleanly(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    fake = FakeDraft()
    (tmp_path / "inbox").mkdir()
    w = watcher(tmp_path, store, fake)
    stop = threading.Event()
    thread = threading.Thread(target=w.run, args=(stop,))
    thread.start()
    (tmp_path / "inbox" / "new.m4a").write_bytes(b"new" * 100)
    deadline = time.time() + 10
    while not fake.calls and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert [p.name for p in fake.calls] == ["new.m4a"]


@pytest.mark.e2e
def test_a_recording_copied_slowly_yields_exactly_one_memo(clips: list[Path], tmp_path: Path) -> None:  # noqa: F811
    """Real model: a recording arriving in chunks is drafted once, whole; a restart drafts nothing."""
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = clips[0].read_bytes()
    sizes_seen: list[int] = []

    def counting_draft(path: Path, options: DraftOptions, progress: object = None):  # type: ignore[no-untyped-def]
        sizes_seen.append(path.stat().st_size)
        return draft(path, options, progress)  # type: ignore[arg-type]

    def run_watcher() -> tuple[Watcher, threading.Event, threading.Thread]:
        w = watcher(tmp_path, store, counting_draft, stable_s=1.0)
        stop = threading.Event()
        thread = threading.Thread(target=w.run, args=(stop,))
        thread.start()
        return w, stop, thread

    w, stop, thread = run_watcher()
    target = inbox / "meeting.mp3"
    chunk = len(data) // 8 + 1
    with target.open("wb") as f:
        for i in range(0, len(data), chunk):
            f.write(data[i : i + chunk])
            f.flush()
            time.sleep(0.4)  # a slow copy: each pause shorter than stable_s
    deadline = time.time() + 180
    while not w.items and time.time() < deadline:
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=60)
    assert [i.status for i in w.items] == ["done"]
    assert sizes_seen == [len(data)], "the recording was read before it was completely written"
    assert sorted(p.name for p in (inbox / "memos").glob("*.memo.docx")) == ["meeting.memo.docx"]

    w2, stop2, thread2 = run_watcher()
    time.sleep(2.5)
    stop2.set()
    thread2.join(timeout=30)
    assert [i.status for i in w2.items] == ["skipped"]
    assert len(sizes_seen) == 1 and store.count(runs) == 1


@pytest.mark.parametrize("outbox", ["-o", "default"])
def test_watch_into_a_file_is_one_line_before_watching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outbox: str
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.main import app

    started: list[str] = []
    monkeypatch.setattr("pipeline.runs.watch.preload", lambda _options: started.append("model"))
    monkeypatch.setattr(Watcher, "run", lambda _self, _stop: started.append("watch") or [])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = tmp_path / "memos.txt" if outbox == "-o" else inbox / "memos"
    target.write_text("not a folder")
    args = ["watch", str(inbox), "--db", str(tmp_path / "runs.sqlite")]
    result = CliRunner().invoke(app, [*args, "-o", str(target)] if outbox == "-o" else args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: {target}: is a file, not a folder")
    assert result.output.count("\n") == 1 and started == []
    assert target.read_text() == "not a folder"
