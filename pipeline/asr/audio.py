"""Audio in: any recorder's file decoded to 16 kHz mono, with its checksum and length.

ffmpeg comes from the ``imageio-ffmpeg`` wheel, so nothing needs a manual install.
Decoding runs ffmpeg directly and streams its 16 kHz mono PCM into memory in chunks:
pydub's ``from_file`` would need ``ffprobe`` (which imageio-ffmpeg does not ship) and
would hold the whole source-rate file in memory. pydub is used on the decoded PCM for
levels, and it is configured to use the same ffmpeg for exports.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, NoSpeechError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
MIN_DURATION_S = 0.5
SILENCE_DBFS = -60.0
"""Peak level below which a recording counts as silent (digital silence, a muted mic)."""

AUDIO_SUFFIXES = frozenset(
    [
        ".wav",
        ".mp3",
        ".m4a",
        ".aac",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".amr",
        ".wma",
        ".mp4",
        ".mov",
        ".webm",
        ".3gp",
        ".mkv",
    ]
)
_READ = 1 << 20
BLOCK_S = 30.0
"""Seconds of audio decoded per block when streaming."""
WINDOW_S = 600.0
"""Long recordings are transcribed in windows of about this many seconds (constant memory)."""
WINDOW_SEARCH_S = 30.0
"""A window is cut at the quietest moment of its last this-many seconds."""


@dataclass(frozen=True)
class Audio:
    """Decoded audio: float32 samples in [-1, 1] at 16 kHz, mono."""

    samples: np.ndarray
    path: Path
    sha256: str

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped by imageio-ffmpeg; also set as pydub's converter."""
    import imageio_ffmpeg

    with warnings.catch_warnings():
        # pydub warns at import when no system ffmpeg is on PATH; it gets ours just below.
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    AudioSegment.converter = exe
    return exe


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(_READ):
            digest.update(chunk)
    return digest.hexdigest()


def check_readable(path: Path) -> None:
    """Fail early, with a clear reason, for paths that cannot be a recording.

    Raises:
        InputError: missing, a directory, unreadable or empty.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a recording; give the files inside it")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from e
    if size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); was the copy finished?")


def _ffmpeg_reason(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    text = " ".join(lines)
    # Truncation first: ffmpeg follows "moov atom not found" with "Invalid data found".
    if "moov atom not found" in text or "End of file" in text or "Truncat" in text:
        return "the file is truncated or damaged; copy it again from the recorder"
    if "Invalid data found" in text or "could not find codec" in text.lower():
        return "not an audio file, or its format is not recognised"
    if "does not contain any stream" in text or "matches no streams" in text:
        return "the file holds no audio track"
    return f"ffmpeg cannot decode it ({lines[-1][:160] if lines else 'no message'})"


def _open_pcm(path: Path) -> subprocess.Popen[bytes]:
    cmd = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error",
        "-i", str(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-f", "s16le", "-",
    ]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stream(path: Path, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """Decode any audio to float32 mono 16 kHz, yielded in blocks of ``block_s`` seconds.

    Only one block is held at a time, so a recording of any length decodes in constant
    memory. The last block is shorter.

    Raises:
        InputError: the file is not audio, is damaged, or holds no audio track.
    """
    path = Path(path)
    check_readable(path)
    proc = _open_pcm(path)
    assert proc.stdout is not None and proc.stderr is not None
    want = int(block_s * SAMPLE_RATE) * 2
    total = 0
    try:
        while True:
            block = proc.stdout.read(want)  # a pipe read of n bytes returns n bytes or EOF
            if len(block) % 2:
                block += proc.stdout.read(1)
            usable = len(block) - len(block) % 2
            if usable:
                total += usable // 2
                samples = np.frombuffer(block[:usable], dtype=np.int16).astype(np.float32)
                samples /= 32768.0
                yield samples
            if len(block) < want:
                break
        stderr = proc.stderr.read()
        rc = proc.wait()
    finally:
        if proc.poll() is None:  # the consumer stopped early
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if total == 0:
        raise InputError(f"{path}: {_ffmpeg_reason(stderr)}")
    if rc != 0 or b"error" in stderr.lower():
        logger.warning("%s: decoded with errors, the end may be missing: %s", path, _ffmpeg_reason(stderr))


def decode(path: Path) -> np.ndarray:
    """Decode any audio (or the audio of a video) to float32 mono 16 kHz.

    Raises:
        InputError: the file is not audio, is damaged, or holds no audio track.
    """
    blocks = list(stream(path))
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def quietest_point(samples: np.ndarray, start: int, end: int, frame: int = SAMPLE_RATE // 10) -> int:
    """The sample index in ``[start, end)`` at the middle of the quietest half second.

    Used to cut long recordings into windows at a pause rather than inside a word.
    """
    start, end = max(0, start), min(len(samples), end)
    n = (end - start) // frame
    if n < 5:
        return end
    energy = np.square(samples[start : start + n * frame]).reshape(n, frame).mean(axis=1)
    smooth = np.convolve(energy, np.ones(5) / 5, mode="valid")  # half a second
    return start + (int(np.argmin(smooth)) + 2) * frame + frame // 2


def windows(
    path: Path, window_s: float = WINDOW_S, search_s: float = WINDOW_SEARCH_S
) -> Iterator[tuple[float, np.ndarray, bool]]:
    """Stream a recording as windows of about ``window_s`` seconds, each cut at the
    quietest moment of its last ``search_s`` seconds.

    Yields:
        (start in seconds, samples, is the last window). Only one window (plus one
        decoding block) is in memory at a time.
    """
    size, search = int(window_s * SAMPLE_RATE), int(search_s * SAMPLE_RATE)
    buf = np.zeros(0, dtype=np.float32)
    offset = 0
    for block in stream(path):
        buf = np.concatenate([buf, block]) if len(buf) else block
        while len(buf) >= size + search:  # enough after the cut range to know it is not the end
            cut = quietest_point(buf, size - search, size)
            yield offset / SAMPLE_RATE, buf[:cut], False
            offset += cut
            buf = buf[cut:].copy()
    yield offset / SAMPLE_RATE, buf, True


def peak_dbfs(samples: np.ndarray) -> float:
    """Peak level in dBFS (``-inf`` for digital silence)."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return 20.0 * float(np.log10(peak)) if peak > 0 else float("-inf")


def load(path: Path) -> Audio:
    """Decode a recording and check that it can hold speech.

    Raises:
        InputError: unreadable, not audio, or too short.
        NoSpeechError: digital silence.
    """
    path = Path(path)
    samples = decode(path)
    duration = len(samples) / SAMPLE_RATE
    if duration < MIN_DURATION_S:
        raise InputError(f"{path}: only {duration:.1f} s of audio; a meeting recording is minutes long")
    if peak_dbfs(samples) < SILENCE_DBFS:
        raise NoSpeechError(f"{path}: no speech found (the recording is silent)")
    return Audio(samples=samples, path=path, sha256=file_sha256(path))


def speech_regions(
    samples: np.ndarray, vad: dict[str, Any], silence_ms: int, max_speech_s: float = float("inf")
) -> list[tuple[int, int]]:
    """Sample ranges of the speech in ``samples`` (Silero VAD), split at pauses of at most
    ``silence_ms`` (the settings' own pause when it is shorter) and ``max_speech_s`` long.

    Args:
        samples: audio, 16 kHz mono.
        vad: faster-whisper VAD settings (threshold, min_silence_duration_ms, speech_pad_ms).
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    silence = min(vad.get("min_silence_duration_ms", silence_ms), silence_ms)
    options = VadOptions(**{**vad, "min_silence_duration_ms": silence}, max_speech_duration_s=max_speech_s)
    return [
        (int(r["start"]), min(int(r["end"]), len(samples))) for r in get_speech_timestamps(samples, options)
    ]
