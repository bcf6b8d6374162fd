"""A rep's drop folder: each new recording drafted once it is completely written, exactly once.

File events (watchdog; its polling observer where events are unavailable, e.g. network
shares) only say *which* files to look at. A file is drafted when its size and
modification time have not changed for ``stable_s`` seconds, so a recording still being
copied is never read half-way. Which recordings were drafted is known from the run
store by content hash, so a restart, a renamed file or a second copy drafts nothing
again. A failed recording is reported and left alone until it changes.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..draft import DraftFn, draft
from ..errors import MemoError
from . import recorded
from .batch import Advanced, BatchOptions, Event, Finished
from .recorded import Item, is_recording
from .store import Recording, Store

logger = logging.getLogger(__name__)

Signature = tuple[int, int]
"""(size, mtime_ns) of a file: equal over ``stable_s`` means the copy is complete."""


@dataclass(frozen=True)
class WatchOptions:
    """Settings of ``memo watch``.

    Attributes:
        batch: how each recording is drafted (``outdir`` is the outbox).
        stable_s: seconds a file's size and mtime must stay unchanged before it is read.
        poll_s: how often waiting files are checked again.
        rescan_s: how often the whole inbox is listed again, in case an event was missed.
        polling: use watchdog's polling observer instead of file events (network shares).
    """

    batch: BatchOptions = field(default_factory=lambda: BatchOptions(command="watch"))
    stable_s: float = 2.0
    poll_s: float = 0.5
    rescan_s: float = 30.0
    polling: bool = False


def signature(path: Path) -> Signature | None:
    """(size, mtime_ns), or ``None`` when the file is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Stability:
    """Which seen files have stopped changing: the settling logic, apart from any I/O loop.

    ``see`` a path whenever it may have changed; ``ready`` returns the paths whose
    signature has been the same for ``stable_s`` seconds, each once per signature.
    """

    def __init__(self, stable_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stable_s = stable_s
        self.clock = clock
        self.pending: dict[Path, tuple[Signature | None, float]] = {}
        self.handled: dict[Path, Signature] = {}

    def see(self, path: Path) -> None:
        sig = signature(path)
        if sig is None:
            self.pending.pop(path, None)
            return
        if self.handled.get(path) == sig:
            return
        old = self.pending.get(path)
        if old is None or old[0] != sig:
            self.pending[path] = (sig, self.clock())

    def ready(self) -> list[Path]:
        now = self.clock()
        out = []
        for path, (old, since) in list(self.pending.items()):
            sig = signature(path)
            if sig is None:
                del self.pending[path]
            elif sig != old:
                self.pending[path] = (sig, now)
            elif now - since >= self.stable_s and sig[0] > 0:
                del self.pending[path]
                self.handled[path] = sig
                out.append(path)
        return sorted(out)

    def waiting(self) -> int:
        return len(self.pending)


def _observer(inbox: Path, events: queue.Queue[Path], polling: bool) -> Any:
    """Start a watchdog observer on ``inbox``; fall back to polling when events are unavailable."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.is_directory:
                return
            for p in (event.src_path, getattr(event, "dest_path", "")):
                if p:
                    events.put(Path(os.fsdecode(p)))

    kinds = [PollingObserver] if polling else [Observer, PollingObserver]
    for kind in kinds:
        observer = kind()
        try:
            observer.schedule(Handler(), str(inbox), recursive=False)
            observer.start()
        except OSError as e:  # inotify limits, a filesystem without events
            logger.warning("file events unavailable for %s (%s); polling instead", inbox, e)
            continue
        logger.info("watching %s with %s", inbox, kind.__name__)
        return observer
    raise OSError(f"cannot watch {inbox}")


def preload(options: BatchOptions) -> None:
    """Load the speech model now, so the first recording is not slower and a bad model fails early."""
    from ..asr.transcribe import model_for

    t = options.draft.transcribe
    model_for(t)


class Watcher:
    """Drafts each new recording of ``inbox`` into the outbox; see the module docstring.

    ``drafter`` drafts a settled recording elsewhere instead of in this process (``memo
    watch --ray``: ``cluster.Dispatcher.draft``, on a cluster's actor) and says what became
    of it; the checks (drafted before? readable?) stay here.
    """

    def __init__(
        self,
        inbox: Path,
        options: WatchOptions,
        store: Store,
        on_event: Callable[[Event], None] | None = None,
        draft_fn: DraftFn | None = None,
        clock: Callable[[], float] = time.monotonic,
        drafter: Callable[[Recording], Item] | None = None,
    ) -> None:
        self.inbox = Path(inbox)
        self.options = options
        self.store = store
        self.emit = on_event or (lambda _e: None)
        self.draft_fn = draft_fn or draft
        # Drafts elsewhere instead of in this process (``memo watch --ray``: on the cluster).
        self.drafter = drafter
        self.stability = Stability(options.stable_s, clock)
        self.items: list[Item] = []

    def scan(self) -> None:
        """Look at every recording in the inbox (at start and now and then)."""
        try:
            names = sorted(self.inbox.iterdir())
        except OSError as e:
            logger.warning("cannot list %s: %s", self.inbox, e)
            return
        for path in names:
            if is_recording(path):
                self.stability.see(path)

    def process(self, path: Path) -> Item:
        """Draft one settled recording unless it was drafted before; record the run."""
        opts = self.options.batch
        try:
            checked = recorded.check(self.store, path, opts.draft, opts.force)
            if isinstance(checked, Recording):
                checked = self.drafter(checked) if self.drafter else self._draft(checked)
        except MemoError as e:  # the store is locked or gone: report it, keep watching
            logger.debug("cannot process %s", path, exc_info=True)
            checked = Item(path, "failed", error=f"{path}: {e}")
        self.items.append(checked)
        self.emit(Finished(checked))
        return checked

    def _draft(self, rec: Recording) -> Item:
        opts = self.options.batch
        run_id = recorded.start(self.store, rec, opts.draft, opts.command, time.time())

        def progress(done: float, total: float) -> None:
            self.emit(Advanced(rec.path, done, total))

        # Ctrl-C twice marks the run interrupted: nothing of it was written (outputs are atomic).
        _result, item = recorded.run_one(self.store, rec, run_id, opts.draft, progress, self.draft_fn)
        return item

    def _take(self, events: queue.Queue[Path], wait_s: float) -> None:
        try:
            self.stability.see(events.get(timeout=wait_s) if wait_s > 0 else events.get_nowait())
            while True:
                self.stability.see(events.get_nowait())
        except queue.Empty:
            pass

    def step(self, events: queue.Queue[Path] | None = None) -> list[Item]:
        """Take pending file events, then draft every recording that has settled."""
        if events is not None:
            self._take(events, 0)
        return [self.process(path) for path in self.stability.ready()]

    def run(self, stop: threading.Event) -> list[Item]:
        """Watch until ``stop`` is set; the recording in progress is finished first.

        Returns:
            What became of each recording looked at.
        """
        events: queue.Queue[Path] = queue.Queue()
        observer = _observer(self.inbox, events, self.options.polling)
        try:
            self.scan()
            last_scan = time.monotonic()
            while not stop.is_set():
                self._take(events, self.options.poll_s)
                for path in self.stability.ready():
                    if stop.is_set():
                        break  # not drafted, not recorded: the next start picks it up
                    self.process(path)
                if time.monotonic() - last_scan >= self.options.rescan_s:
                    self.scan()
                    last_scan = time.monotonic()
        finally:
            observer.stop()
            observer.join(timeout=5)
        return self.items


def watch_options(batch: BatchOptions, inbox: Path, **kw: Any) -> WatchOptions:
    """Watch settings with the outbox defaulting to ``INBOX/memos``."""
    draft_opts = batch.draft if batch.draft.outdir else replace(batch.draft, outdir=Path(inbox) / "memos")
    return WatchOptions(batch=replace(batch, draft=draft_opts, command="watch"), **kw)
