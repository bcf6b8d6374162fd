"""Shared fixtures: paths, generated audio, and one real end-to-end run per sample."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# A developer's own memo.toml, enrollments and run store must not leak into the tests.
_HOME = tempfile.mkdtemp(prefix="memo-tests-")
for _var, _sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("MEMO_DATA_DIR", "memo")):
    os.environ[_var] = os.path.join(_HOME, _sub)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    """Write float samples in [-1, 1] as 16-bit mono WAV (pydub, no ffmpeg needed)."""
    from pydub import AudioSegment

    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    AudioSegment(pcm.tobytes(), sample_width=2, frame_rate=rate, channels=1).export(path, format="wav")
    return path


def encode(src: Path, dst: Path, *args: str) -> Path:
    """Re-encode with the bundled ffmpeg (format from the suffix)."""
    from pipeline.asr.audio import ffmpeg_exe

    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True
    )
    return dst


@pytest.fixture(scope="session")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of a 440 Hz tone."""
    t = np.arange(32_000) / 16_000
    return write_wav(tmp_path_factory.mktemp("tone") / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t))


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run `memo draft` on both samples once, with the real model; tests read the outputs."""
    from typer.testing import CliRunner

    from pipeline.cli.main import app

    out = tmp_path_factory.mktemp("e2e")
    inputs = [SAMPLES / "zh-hant-meeting.wav", SAMPLES / "en-meeting.mp3"]
    before = {p: p.read_bytes() for p in inputs}
    result = CliRunner().invoke(app, ["draft", *map(str, inputs), "-o", str(out)])
    return {"out": out, "result": result, "inputs": inputs, "before": before}


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The audit tests' three meetings and accounts, built once (``tests.test_audit.build_store``)."""
    from tests.test_audit import build_store

    folder = tmp_path_factory.mktemp("audit")
    store, ids = build_store(folder)
    store.close()
    return folder / "store.sqlite", ids


@pytest.fixture
def world(built_store: tuple[Path, dict[str, int]], tmp_path: Path) -> Iterator[tuple[Any, dict[str, int]]]:
    """A copy of the audit tests' store, of this test's own: (``Store``, meeting ids by name)."""
    from pipeline.runs.store import Store

    db = tmp_path / "store.sqlite"
    shutil.copy(built_store[0], db)
    store = Store(f"sqlite:///{db}")
    yield store, built_store[1]
    store.close()


def sample_transcript(name: str, script: str | None = None) -> Any:
    """The scripted turns of ``samples/<name>.json`` as a transcript (speakers ``rep``/``dist``), no model.

    ``script="hans"`` writes the Chinese turns in Simplified characters.
    """
    import json

    from pipeline.script import to_script
    from pipeline.types import Segment, Source, Transcript

    data = json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))
    segs = []
    for i, turn in enumerate(data["turns"]):
        text = to_script(turn["text"], script) if script else turn["text"]  # type: ignore[arg-type]
        segs.append(Segment(i, i * 6.0, i * 6.0 + 5.5, text, turn["speaker"]))
    return Transcript(
        language=data["language"],
        segments=tuple(segs),
        script=script or data.get("script"),
        source=Source(str(SAMPLES / f"{name}.wav"), "0" * 64, len(segs) * 6.0),
    )


@pytest.fixture(scope="session")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The samples' scripted turns drafted once (real notes and memo, no model): the notes JSON by key.

    Keys: ``zh-Hant``, ``zh-Hans`` and ``en``; each memo, transcript and notes lie side by side.
    """
    from pipeline.draft import DraftOptions, draft_transcript
    from pipeline.memo.render import MemoDetails

    out = tmp_path_factory.mktemp("drafted")
    found = {}
    for key, name, script in (("zh-Hant", "zh-hant-meeting", None), ("zh-Hans", "zh-hant-meeting", "hans"),
                              ("en", "en-meeting", None)):  # fmt: skip
        folder = out / key
        transcript = sample_transcript(name, script)
        source = folder / f"{name}.transcript.json"
        folder.mkdir()
        from pipeline.outputs import write_json

        write_json(source, transcript.to_dict())
        details = MemoDetails(rep="Demo Rep", company="Demo Manufacturing", date="2025-03-03")
        _notes, paths = draft_transcript(transcript, source, DraftOptions(details=details, outdir=folder))
        found[key] = paths["notes"]
    return found


# -- PostgreSQL (tests/pg.py) --------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An admin URL of a PostgreSQL server: ``MEMO_TEST_POSTGRES_URL`` (a user who may create
    databases), else a throwaway server started here. Skips, with the reason, when there is none."""
    pytest.importorskip("psycopg", reason="psycopg is missing: pip install 'meeting-memo[postgres]'")
    external = os.environ.get("MEMO_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    from tests import pg

    try:
        server = pg.Server().start()
    except pg.Unavailable as e:
        pytest.skip(f"no PostgreSQL server: {e}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database of this test's own, dropped afterwards."""
    from tests import pg

    url = pg.create_database(postgres_server)
    yield url
    pg.drop_database(postgres_server, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new run store's URL: an SQLite file, then a PostgreSQL database (a test runs on each)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'runs.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))
