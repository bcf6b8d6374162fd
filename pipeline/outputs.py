"""Atomic writes: a temporary file in the same directory, fsynced, renamed into place.

A reader never sees a half-written memo, and a failure leaves nothing behind.
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
