"""Drop folder: a recording is read only once completely written, and drafted exactly once.

Time is a fake clock the tests advance, so waiting out ``stable_s`` takes no real time
and no test depends on how fast the machine is.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
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


def wait_for(condition: Callable[[], object], timeout_s: float = 10.0) -> bool:
    """Poll until ``condition()`` is true (another thread's progress, never ``stable_s``)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def seen_size(w: Watcher, path: Path) -> int | None:
    """The size of ``path`` as the watcher last recorded it while waiting for it to settle."""
    sig = w.stability.pending.get(path, (None, 0.0))[0]
    return sig[0] if sig else None


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


def watcher(tmp_path: Path, store: Store, fake: object, clock: Clock, stable_s: float = 0.3) -> Watcher:
    options = watch_options(BatchOptions(draft=DraftOptions()), tmp_path / "inbox")
    options = WatchOptions(batch=options.batch, stable_s=stable_s, poll_s=0.05)
    return Watcher(tmp_path / "inbox", options, store, draft_fn=fake, clock=clock)  # type: ignore[arg-type]


def test_restart_renames_and_copies_draft_nothing_again(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    fake = FakeDraft()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.wav").write_bytes(b"recording a" * 50)
    clock = Clock()
    w = watcher(tmp_path, store, fake, clock)
    w.scan()
    assert w.step() == [] and fake.calls == [], "drafted before stable_s had passed"
    clock.now += 0.4
    assert [i.status for i in w.step()] == ["done"]
    assert (inbox / "memos" / "a.memo.docx").is_file()
    shutil.copy(inbox / "a.wav", inbox / "a copy.wav")
    (inbox / "a.wav").rename(inbox / "renamed.wav")
    restarted = watcher(tmp_path, store, fake, clock)
    restarted.scan()
    clock.now += 0.4
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
    clock = Clock()
    w = watcher(tmp_path, store, fake, clock)
    w.scan()
    clock.now += 0.4
    items = {i.source.name: i for i in w.step()}
    assert items["bad.wav"].status == "failed" and "not an audio file" in items["bad.wav"].error
    assert items["good.wav"].status == "done"
    assert (inbox / "bad.wav").read_bytes() == b"BAD"
    w.scan()
    clock.now += 0.4
    assert w.step() == [], "an unchanged failed file is not retried while watching"


def test_run_picks_up_file_events_and_stops_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    fake = FakeDraft()
    (tmp_path / "inbox").mkdir()
    clock = Clock()
    w = watcher(tmp_path, store, fake, clock)
    scanned = threading.Event()
    scan = w.scan

    def scan_and_tell() -> None:
        scan()
        scanned.set()

    monkeypatch.setattr(w, "scan", scan_and_tell)
    stop = threading.Event()
    thread = threading.Thread(target=w.run, args=(stop,))
    thread.start()
    try:
        # Written after the first scan (the next one is rescan_s away): only a file event finds it.
        assert scanned.wait(10)
        new = tmp_path / "inbox" / "new.m4a"
        new.write_bytes(b"new" * 100)
        assert wait_for(lambda: seen_size(w, new) == 300), "the file event was not picked up"
        assert fake.calls == [], "drafted before stable_s had passed"
        clock.now += 0.4
        assert wait_for(lambda: fake.calls)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert [p.name for p in fake.calls] == ["new.m4a"]
    assert [i.status for i in w.items] == ["done"]


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

    clock = Clock()

    def run_watcher() -> tuple[Watcher, threading.Event, threading.Thread]:
        w = watcher(tmp_path, store, counting_draft, clock, stable_s=1.0)
        stop = threading.Event()
        thread = threading.Thread(target=w.run, args=(stop,))
        thread.start()
        return w, stop, thread

    w, stop, thread = run_watcher()
    target = inbox / "meeting.mp3"
    chunk = len(data) // 8 + 1
    try:
        with target.open("wb") as f:
            for i in range(0, len(data), chunk):
                f.write(data[i : i + chunk])
                f.flush()
                size = min(i + chunk, len(data))
                # The watcher has seen this part of the copy, and has not read it.
                assert wait_for(lambda size=size: seen_size(w, target) == size), f"{size} bytes not seen"
                assert sizes_seen == []
                clock.now += 0.4  # a slow copy: each pause shorter than stable_s
        clock.now += 1.5
        assert wait_for(lambda: w.items, timeout_s=180)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert [i.status for i in w.items] == ["done"]
    assert sizes_seen == [len(data)], "the recording was read before it was completely written"
    assert sorted(p.name for p in (inbox / "memos").glob("*.memo.docx")) == ["meeting.memo.docx"]

    w2, stop2, thread2 = run_watcher()
    try:
        assert wait_for(lambda: seen_size(w2, target) == len(data)), "the restart did not scan the inbox"
        clock.now += 1.5
        assert wait_for(lambda: w2.items, timeout_s=30)
    finally:
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
