"""The JSON contracts between stages (copies of ``shared/contract``, checked by a test)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from .errors import InputError
from .types import Transcript

SchemaName = Literal["transcript", "notes"]


@functools.lru_cache(maxsize=2)
def schema(name: SchemaName) -> dict[str, Any]:
    """The JSON Schema of ``transcript`` or ``notes``."""
    text = resources.files("pipeline.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def problems(data: Any, name: SchemaName) -> list[str]:
    """Every way ``data`` breaks the contract, as short readable lines (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(name))
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(top level)"
        out.append(f"{where}: {err.message}")
    return out


def load_transcript(path: Path) -> Transcript:
    """Read and validate a transcript JSON file.

    Raises:
        InputError: not JSON, or not a ``meeting-transcript/1`` document.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a transcript") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e}); was it cut off or edited by hand?") from e
    bad = problems(data, "transcript")
    if bad:
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        raise InputError(f"{path}: not a meeting transcript: {bad[0]}{more}")
    ids = [s["id"] for s in data["segments"]]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path}: segment ids repeat; each segment needs its own id")
    return Transcript.from_dict(data)
