"""What a recording's container says about itself, without decoding it.

Used to catch truncated files: a recording cut off during copying still decodes,
but to less audio than its header declares.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .audio import ffmpeg_exe

_DURATION = re.compile(r"Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)")


def declared_duration(path: Path) -> float | None:
    """The duration in the file's header, in seconds, or ``None`` when it declares none."""
    try:
        proc = subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)],
            capture_output=True,
            timeout=60,
            check=False,
        )  # ffmpeg exits 1 here ("no output file"); the header is printed all the same
    except (OSError, subprocess.SubprocessError):
        return None
    match = _DURATION.search(proc.stderr.decode("utf-8", "replace"))
    if not match:
        return None
    h, m, s = match.groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def is_truncated(declared: float | None, decoded: float) -> bool:
    """True when clearly less audio decoded than the header promised."""
    return declared is not None and decoded < declared * 0.97 - 0.5
