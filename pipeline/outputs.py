"""Outputs: their names, and atomic writes.

Each input gives four outputs that share its name (``output_paths``). Every write goes
to a temporary file in the same directory, fsynced, then renamed into place: a reader
never sees a half-written memo, and a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from .errors import OutputError

TRANSCRIPT_SUFFIX = ".transcript.json"
OUTPUT_KINDS = ("memo", "transcript", "notes", "srt")
_SUFFIXES = {"memo": ".memo.docx", "transcript": TRANSCRIPT_SUFFIX, "notes": ".notes.json", "srt": ".srt"}


def is_transcript(path: Path) -> bool:
    """True for a transcript JSON given in place of a recording."""
    return path.suffix.lower() == ".json"


def stem_of(path: Path) -> str:
    """The name outputs share: ``meeting.wav`` and ``meeting.transcript.json`` give ``meeting``."""
    name = path.name
    if name.endswith(TRANSCRIPT_SUFFIX):
        return name[: -len(TRANSCRIPT_SUFFIX)]
    return path.stem


def output_paths(source: Path, outdir: Path | None = None, *, stem: str | None = None) -> dict[str, Path]:
    """The four output paths (``memo``, ``transcript``, ``notes``, ``srt``) of one input.

    Args:
        source: the recording or transcript JSON.
        outdir: their folder; ``None`` puts them beside ``source``.
        stem: the shared name; default ``stem_of(source)`` (the audit re-draft passes its own).
    """
    folder = outdir or source.parent
    name = stem if stem is not None else stem_of(source)
    return {kind: folder / f"{name}{_SUFFIXES[kind]}" for kind in OUTPUT_KINDS}


def check_folder(path: Path) -> None:
    """Refuse an output folder that is a file (a missing folder is fine: it is created on write).

    Raises:
        OutputError: ``path`` is there and is not a folder.
    """
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file, not a folder; give a folder for the outputs (-o or outbox)")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _explain(e: OSError, path: Path) -> OutputError:
    if e.errno == errno.ENOSPC or e.errno == errno.EDQUOT:
        why = "the disk is full; free some space or choose another -o directory"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the directory is not writable; choose another -o directory"
    else:
        why = e.strerror or str(e)
    return OutputError(f"cannot write {path}: {why}")


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success.

    Raises:
        OutputError: the directory is read-only, the disk is full, or similar.
    """
    path = Path(path)
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(path)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        encoding = None if "b" in mode else "utf-8"
        # mkstemp creates 0600; give the output the permissions a plain open() would.
        os.chmod(tmp_name, 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as e:
        raise _explain(e, path) from e
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def remove_stale_parts(path: Path, older_than_s: float = 60.0) -> None:
    """Delete temporary files a killed run left for ``path`` (never the finished file)."""
    now = time.time()
    for part in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        with contextlib.suppress(OSError):
            if now - part.stat().st_mtime > older_than_s:
                part.unlink()


def write_text(path: Path, text: str) -> None:
    """Write text (UTF-8) atomically."""
    with atomic_open(path, "w") as f:
        f.write(text)


def write_json(path: Path, data: Any) -> None:
    """Write JSON (UTF-8, readable, CJK unescaped) atomically."""
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_with(path: Path, writer: Callable[[IO[bytes]], None]) -> None:
    """Let ``writer`` fill a binary file that appears at ``path`` only when complete."""
    with atomic_open(path, "wb") as f:
        writer(f)
