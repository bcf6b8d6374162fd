"""Helpers shared by the benchmarks: the corpus, scoring, test audio built in /tmp.

Scoring follows ``../shared/corpus/README.md``: Mandarin character error rate after
OpenCC t2s on both sides with punctuation and spaces removed; English word error rate
after Whisper's English normalizer (PyPI ``whisper-normalizer``) on both sides.
Corpus audio is only read; excerpts are built at run time under a temporary folder.
"""

from __future__ import annotations

import functools
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
MODEL_DIR = ROOT / "models" / "whisper-base-ct2"
SR = 16_000
TMP = Path(tempfile.gettempdir()) / "meeting-memo-bench"
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_RANGE = re.compile(r"(\d)\s*[-–~～]\s*(?=\d)")  # "15-20" is read 十五到二十


@dataclass(frozen=True)
class Item:
    """One corpus file with a reference transcript."""

    path: Path
    lang: str
    reference: str
    duration_s: float

    @property
    def name(self) -> str:
        return self.path.relative_to(CORPUS).as_posix()


def corpus_items(folder: Path = CORPUS) -> list[Item]:
    """The corpus files that have a reference, in manifest order."""
    items = []
    for line in (folder / "manifest.jsonl").read_text("utf-8").splitlines():
        d = json.loads(line)
        if d.get("reference") and d["lang"] in ("zh", "en"):
            items.append(Item(folder / d["path"], d["lang"], d["reference"], float(d["duration_s"])))
    return items


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _en_norm() -> Any:
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def norm_zh(text: str, numbers: bool = False) -> str:
    """Simplified, without punctuation or spaces: the corpus convention
    (``../shared/corpus/README.md``), so figures stay comparable.

    With ``numbers``, Arabic numbers are also read out as characters (``cn2an``, a range as
    到), as the English normalizer reads English ones and Chinese ASR scoring often does
    (SpeechIO's cn_tn). Whisper writes a number in digits or in characters as the text before
    it leads it ("95%" or 百分之九十五), and the meetings' scripts write characters: scored as
    written, "95%" is six characters wrong.
    """
    simplified = _t2s().convert(text)
    if numbers:
        import cn2an

        simplified = cn2an.transform(_RANGE.sub(r"\1到", simplified), "an2cn")
    return _NON_WORD.sub("", simplified)


def norm_en(text: str) -> str:
    return str(_en_norm()(text))


def errors(ref: str, hyp: str, lang: str, numbers: bool = False) -> tuple[int, int]:
    """(edit operations, reference length) in characters (zh) or words (en); ``numbers``:
    Mandarin numbers read out (``norm_zh``; English ones always are)."""
    import jiwer

    if lang == "zh":
        r, h = norm_zh(ref, numbers), norm_zh(hyp, numbers)
        if not r:
            return len(h), 0
        if not h:
            return len(r), len(r)
        c = jiwer.process_characters(r, h)
        return c.substitutions + c.deletions + c.insertions, len(r)
    else:
        r, h = norm_en(ref), norm_en(hyp)
        if not r.split():
            return len(h.split()), 0
        if not h.split():
            return len(r.split()), len(r.split())
        o = jiwer.process_words(r, h)
    return o.substitutions + o.deletions + o.insertions, len(r.split())


def rate(e: int, n: int) -> float:
    """Error rate in percent."""
    return 100.0 * e / max(n, 1)


def raw_model(threads: int = 2) -> Any:
    """The embedded model loaded directly with faster-whisper (the 'raw' baseline)."""
    from faster_whisper import WhisperModel

    return WhisperModel(str(MODEL_DIR), device="cpu", compute_type="int8", cpu_threads=threads)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """Float samples in [-1, 1] as a 16 kHz 16-bit mono WAV."""
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return path


def pink_noise(seconds: float, level: float = 0.05, seed: int = 0) -> np.ndarray:
    """Pink (1/f) noise with the given RMS level."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return (x / (np.sqrt(np.mean(x**2)) + 1e-12) * level).astype(np.float32)


def tones(seconds: float, seed: int = 1) -> np.ndarray:
    """Music-like audio: a melody of harmonic notes with envelopes and a soft chord bed."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SR), dtype=np.float32)
    scale = [261.6, 293.7, 329.6, 392.0, 440.0, 523.3]
    pos, note = 0, int(0.4 * SR)
    t = np.arange(note) / SR
    env = np.minimum(1, t / 0.02) * np.exp(-3 * t)
    while pos + note <= len(out):
        f0 = scale[rng.integers(len(scale))]
        wave_ = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3))
        out[pos : pos + note] += (0.2 * env * wave_).astype(np.float32)
        pos += note
    tt = np.arange(len(out)) / SR
    out += (0.05 * (np.sin(2 * np.pi * 130.8 * tt) + np.sin(2 * np.pi * 196.0 * tt))).astype(np.float32)
    return out


def decode(path: Path) -> np.ndarray:
    from pipeline.asr.audio import decode as _decode

    return _decode(path)


def meeting_excerpt(seconds: float, gap_s: float = 0.3) -> Path:
    """A multi-speaker meeting of ``seconds`` built from the corpus's conversation
    excerpts (AMI and others), concatenated (looping when needed), written to /tmp."""
    out = TMP / f"meeting_{int(seconds)}s.wav"
    if out.exists():
        return out
    files = [CORPUS / "conv" / p.name for p in sorted((CORPUS / "conv").glob("*.wav"))]
    base = [decode(p) for p in files]
    gap = np.zeros(int(gap_s * SR), dtype=np.float32)
    need, parts, have = int(seconds * SR), [], 0
    while have < need:
        for x in base:
            parts += [x, gap]
            have += len(x) + len(gap)
            if have >= need:
                break
    return write_wav(out, np.concatenate(parts)[:need])


def long_recording(seconds: float) -> Path:
    """A long meeting (the 10-minute excerpt looped by ffmpeg, never held in memory here)."""
    from pipeline.asr.audio import ffmpeg_exe

    out = TMP / f"long_{int(seconds)}s.flac"
    if not out.exists():
        src = meeting_excerpt(600)
        loops = int(seconds // 600) + 1
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(src),
             "-t", str(seconds), "-ac", "1", "-ar", str(SR), str(out)],
            check=True,
        )  # fmt: skip
    return out


def run_child(code: str, timeout: float = 7200) -> dict[str, Any]:
    """Run Python code in a fresh process; it prints one JSON line last. Adds peak RSS (MB).

    The peak is the process's own (``VmHWM``): ``ru_maxrss`` survives ``exec`` on Linux, so a
    child of a bench that had grown to 1.5 GB reported 1.5 GB whatever it used itself."""
    wrapped = (
        "import json, resource, sys, time\n"
        f"{code}\n"
        "res['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "try:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "    res['peak_rss_mb'] = int(hwm.split()[1]) / 1024\n"
        "except OSError:\n"
        "    pass\n"
        "print(json.dumps(res))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapped], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"child failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def self_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(xs: list[float]) -> float:
    return float(np.median(xs)) if xs else float("nan")
