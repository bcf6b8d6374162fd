"""The JSON contracts between stages (copies of ``shared/contract``, checked by a test)."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeGuard

from .errors import InputError
from .types import Transcript

SchemaName = Literal["transcript", "notes"]


@functools.lru_cache(maxsize=2)
def schema(name: SchemaName) -> dict[str, Any]:
    """The JSON Schema of ``transcript`` or ``notes``."""
    text = resources.files("pipeline.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.lru_cache(maxsize=2)
def _check(name: SchemaName) -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema, once per process.

    It says only whether data is valid, in 6 ms (import and compile) where importing
    jsonschema takes 60 ms (it loads every draft's meta-schema), a tenth of the time ``memo
    draft`` takes to start on a transcript; jsonschema then says what is wrong. It
    implements draft 7, whose keywords these schemas use with the same meaning (a test
    checks both agree on the samples and on broken copies of them).
    """
    import fastjsonschema

    # Without "$id": it would resolve the schemas' local "$ref"s as URLs ("meeting-notes/1").
    definition = {k: v for k, v in schema(name).items() if k != "$id"}
    return fastjsonschema.compile({**definition, "$schema": "http://json-schema.org/draft-07/schema#"})


def is_valid(data: Any, name: SchemaName) -> bool:
    """Whether ``data`` keeps the contract (``problems`` is empty), quickly."""
    from fastjsonschema import JsonSchemaException

    try:
        _check(name)(data)
    except JsonSchemaException:
        return False
    return True


def problems(data: Any, name: SchemaName) -> list[str]:
    """Every way ``data`` breaks the contract, as short readable lines (empty when valid).

    Valid data is recognised by the compiled check (``is_valid``); jsonschema is imported
    only to describe what is wrong."""
    return [] if is_valid(data, name) else _described(data, name)


def _described(data: Any, name: SchemaName) -> list[str]:
    """What jsonschema finds wrong with ``data``, one readable line each."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(name))
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(top level)"
        out.append(f"{where}: {err.message}")
    return out


def time_problem(data: Any) -> str | None:
    """The first impossible time in a transcript, naming its segment (``None`` when all are fine).

    Times are seconds: finite, not negative, and a segment ends no earlier than it starts.
    The schema's ``number`` lets NaN and Infinity through, and its minimum names a segment by
    its place in the list, not by its id; a NaN caught only when the memo prints ``[mm:ss]``
    was an unexplained crash. Anything else malformed is left to the schema to describe.
    """
    if not isinstance(data, dict):
        return None
    source = data.get("source")
    if isinstance(source, dict):
        bad = _not_seconds(source.get("duration_s"))
        if bad:
            return f"source: duration_s is {bad}"
    segments = data.get("segments")
    for n, seg in enumerate(segments if isinstance(segments, list) else ()):
        if not isinstance(seg, dict):
            continue
        name = f"segment {seg['id']}" if "id" in seg else f"segment number {n + 1}"
        start, end = seg.get("start"), seg.get("end")
        for key, value in (("start", start), ("end", end)):
            bad = _not_seconds(value)
            if bad:
                return f"{name}: {key} is {bad}"
        if _is_number(start) and _is_number(end) and end < start:
            return f"{name}: ends at {end}, before it starts ({start})"
        words = seg.get("words")
        for k, word in enumerate(words if isinstance(words, list) else ()):
            for key in ("start", "end"):
                bad = _not_seconds(word.get(key)) if isinstance(word, dict) else None
                if bad:
                    return f"{name}, word {k}: {key} is {bad}"
    return None


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _not_seconds(value: Any) -> str | None:
    """What is wrong with a time, as JSON writes it (``NaN``, ``-2.0``); ``None`` when fine or no number."""
    if not _is_number(value):
        return None
    if not math.isfinite(value):
        return f"{json.dumps(value)}, not a time in seconds"
    if value < 0:
        return f"{value}, a negative time"
    return None


def load_transcript(path: Path) -> Transcript:
    """Read and validate a transcript JSON file.

    Raises:
        InputError: not JSON, not a ``meeting-transcript/1`` document, or impossible times
            (NaN, infinite, negative, or a segment ending before it starts).
    """
    path = Path(path)
    try:
        # Python's json reads NaN and Infinity, which other tools may write; time_problem refuses them.
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a transcript") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e}); was it cut off or edited by hand?") from e
    impossible = time_problem(data)
    if impossible:
        raise InputError(f"{path}: {impossible}; fix the times or transcribe the recording again")
    bad = problems(data, "transcript")
    if bad:
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        raise InputError(f"{path}: not a meeting transcript: {bad[0]}{more}")
    ids = [s["id"] for s in data["segments"]]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path}: segment ids repeat; each segment needs its own id")
    return Transcript.from_dict(data)
