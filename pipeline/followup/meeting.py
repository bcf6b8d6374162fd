"""One meeting as the follow-up documents read it: its notes JSON, language and script.

The proposal and the invitation are built from the notes only (``NAME.notes.json``):
bullets with their sections, times and flags, the header heard (distributor, people met,
territory). Given a folder, the one notes file in it is taken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import problems
from ..errors import InputError
from ..script import is_in_script, language_tag
from ..types import Bullet, MemoContent, Script, Sides

NOTES_SUFFIX = ".notes.json"
TRANSCRIPT_SUFFIX = ".transcript.json"


@dataclass(frozen=True)
class Heard:
    """A header value as heard, with when."""

    value: str
    start: float


@dataclass(frozen=True)
class Meeting:
    """What the follow-up documents take from one meeting."""

    path: Path
    language: str
    script: Script | None
    memo: MemoContent
    distributor: Heard | None = None
    people: tuple[Heard, ...] = ()
    territory: Heard | None = None
    sides: Sides | None = None
    rep_segments: frozenset[int] = frozenset()  # the rep's segments, when the transcript is beside

    def is_ours(self, bullet: Bullet) -> bool:
        """True when the rep said it (known only with the transcript beside the notes)."""
        return bool(bullet.segments) and set(bullet.segments) <= self.rep_segments

    @property
    def key(self) -> str:
        """The template key: ``zh-Hant``, ``zh-Hans`` or ``en``."""
        return language_tag(self.language, self.script)

    def bullets(self) -> list[Bullet]:
        """Every bullet of the four sections, in the order they were said."""
        memo = self.memo
        return sorted([*memo.parties, *memo.market, *memo.product, *memo.concerns], key=lambda b: b.start)


def find_notes(path: Path) -> Path:
    """The notes JSON of ``path``: itself, or the one ``*.notes.json`` in a memo folder.

    Raises:
        InputError: nothing there, no notes in the folder, or several (name one).
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob(f"*{NOTES_SUFFIX}"))
        if not found:
            raise InputError(f"{path}: holds no {NOTES_SUFFIX}; draft the meeting first (memo draft)")
        if len(found) > 1:
            names = ", ".join(p.name for p in found[:3])
            raise InputError(f"{path}: holds {len(found)} meetings ({names}…); give the one notes file")
        return found[0]
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the meeting's {NOTES_SUFFIX} or its memo folder")
    return path


def _transcript_beside(path: Path) -> dict[str, Any]:
    """The transcript JSON beside the notes (``NAME.transcript.json``), or ``{}``."""
    transcript = path.with_name(path.name.removesuffix(NOTES_SUFFIX) + TRANSCRIPT_SUFFIX)
    try:
        data = json.loads(transcript.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _rep_segments(transcript: dict[str, Any], sides: Sides | None) -> frozenset[int]:
    if sides is None or not sides.rep:
        return frozenset()
    try:
        return frozenset(
            int(s["id"]) for s in transcript.get("segments") or () if s.get("speaker") == sides.rep
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return frozenset()


def _script(transcript: dict[str, Any], language: str, memo: MemoContent) -> Script | None:
    """The transcript's script when it is beside the notes, else the one the bullets are written in."""
    if language != "zh":
        return None
    script = transcript.get("script")
    if script in ("hant", "hans"):
        return "hans" if script == "hans" else "hant"
    text = "".join(
        b.text for name in ("parties", "market", "product", "concerns") for b in memo.section(name)
    )
    return "hans" if text and is_in_script(text, "hans") and not is_in_script(text, "hant") else "hant"


def _heard(value: Any) -> Heard | None:
    if not isinstance(value, dict) or not value.get("value"):
        return None
    return Heard(str(value["value"]), float(value.get("start", 0.0)))


def load_meeting(path: Path) -> Meeting:
    """Read a meeting's notes (a ``.notes.json`` or its memo folder).

    Raises:
        InputError: missing, not JSON, or not ``meeting-notes/1``.
    """
    path = find_notes(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e}); draft the meeting again") from e
    bad = problems(data, "notes")
    if bad:
        raise InputError(f"{path}: not a meeting's notes: {bad[0]}")
    memo = MemoContent.from_dict(data.get("memo") or {})
    header = data.get("header") or {}
    language = str(data["language"])
    transcript = _transcript_beside(path)
    sides = Sides.from_dict(data.get("sides"))
    return Meeting(
        path=path,
        language=language,
        script=_script(transcript, language, memo),
        memo=memo,
        distributor=_heard(header.get("distributor")),
        people=tuple(h for h in map(_heard, header.get("people") or ()) if h is not None),
        territory=_heard(header.get("territory")),
        sides=sides,
        rep_segments=_rep_segments(transcript, sides),
    )
