"""From clustered windows to a speaker timeline with names (rep, dist, S1…)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..asr import audio as audio_mod
from ..errors import ModelError
from .clustering import centroids, cluster
from .embed import embed_windows, speech_regions
from .options import FRAME_S, MODEL_ID, Diarization, Enrollment, SpeakerOptions, Turn

logger = logging.getLogger(__name__)

# --- from windows to a timeline --------------------------------------------------------------


def _timeline(
    regions: Sequence[tuple[float, float]],
    windows: Sequence[tuple[float, float]],
    labels: np.ndarray,
) -> list[tuple[float, float, int]]:
    """Label every 10 ms of speech with the cluster of the nearest window centre."""
    if not windows:
        return []
    centres = np.array([(a + b) / 2 for a, b in windows])
    order = np.argsort(centres)
    centres, labs = centres[order], labels[order]
    runs: list[tuple[float, float, int]] = []
    for start, end in regions:
        t = np.arange(start, end, FRAME_S) + FRAME_S / 2
        if len(t) == 0:
            continue
        pos = np.clip(np.searchsorted(centres, t), 1, len(centres) - 1)
        left = centres[pos - 1]
        right = centres[pos]
        nearest = np.where(np.abs(t - left) <= np.abs(right - t), pos - 1, pos)
        if len(centres) == 1:
            nearest = np.zeros_like(pos)
        frame_labels = labs[nearest]
        change = np.flatnonzero(np.diff(frame_labels)) + 1
        bounds = [0, *change.tolist(), len(t)]
        for a, b in itertools.pairwise(bounds):
            s = start + a * FRAME_S
            e = min(end, start + b * FRAME_S)
            runs.append((round(s, 3), round(e, 3), int(frame_labels[a])))
    return runs


def _names(
    runs: list[tuple[float, float, int]],
    labels: np.ndarray,
    emb: np.ndarray,
    enrollment: Enrollment | None,
    options: SpeakerOptions,
) -> tuple[dict[int, str], dict[str, float]]:
    """Cluster id -> speaker label; ``rep`` for the cluster nearest the enrollment."""
    talk: dict[int, float] = {}
    for s, e, c in runs:
        talk[c] = talk.get(c, 0.0) + (e - s)
    first = list(dict.fromkeys(c for _, _, c in runs))
    if enrollment is None:
        return {c: f"S{i + 1}" for i, c in enumerate(first)}, {}
    ids, cents = centroids(labels, emb)
    ref = np.asarray(enrollment.embedding, dtype=np.float32)
    ref /= np.linalg.norm(ref) + 1e-9
    cos = {int(i): float(c @ ref) for i, c in zip(ids, cents, strict=True)}
    best = max(cos, key=lambda c: cos[c])
    names: dict[int, str] = {}
    if cos[best] >= options.rep_min_cos:
        names[best] = "rep"
    else:
        logger.warning(
            "no voice is close to %s's enrollment (best similarity %.2f); the rep is taken to be absent",
            enrollment.name,
            cos[best],
        )
    others = sorted((c for c in cos if c not in names), key=lambda c: -talk.get(c, 0.0))
    for i, c in enumerate(others):
        names[c] = "dist" if i == 0 else f"dist{i + 1}"
    return names, {names[c]: round(v, 3) for c, v in cos.items()}


def _check_enrollment(enrollment: Enrollment | None) -> None:
    if enrollment is not None and enrollment.model != MODEL_ID:
        raise ModelError(
            f"the enrollment of {enrollment.name!r} was made with model {enrollment.model!r}; "
            f"enroll again with `memo enroll` (this version uses {MODEL_ID})"
        )


def diarize(
    samples: np.ndarray, enrollment: Enrollment | None = None, options: SpeakerOptions | None = None
) -> Diarization:
    """Who spoke when in 16 kHz mono float samples, with ``rep`` where an enrollment matches."""
    options = options or SpeakerOptions()
    _check_enrollment(enrollment)
    regions = speech_regions(samples, options)
    windows, emb = embed_windows(samples, regions, options)
    return _diarization(regions, windows, emb, enrollment, options)


def diarize_file(
    path: Path, enrollment: Enrollment | None = None, options: SpeakerOptions | None = None
) -> Diarization:
    """``diarize`` over a recording read window by window, so hours of audio never sit in memory.

    Only the embeddings are kept from each window; the clustering sees the whole meeting.
    """
    options = options or SpeakerOptions()
    _check_enrollment(enrollment)
    regions: list[tuple[float, float]] = []
    windows: list[tuple[float, float]] = []
    embs: list[np.ndarray] = []
    for offset, samples, _last in audio_mod.windows(path, audio_mod.WINDOW_S):
        if not len(samples) or audio_mod.peak_dbfs(samples) < audio_mod.SILENCE_DBFS:
            continue
        found = speech_regions(samples, options)
        got, emb = embed_windows(samples, found, options)
        regions += [(a + offset, b + offset) for a, b in found]
        windows += [(a + offset, b + offset) for a, b in got]
        embs.append(emb)
    emb_all = np.concatenate(embs) if embs else np.zeros((0, 192), dtype=np.float32)
    return _diarization(regions, windows, emb_all, enrollment, options)


def _diarization(
    regions: list[tuple[float, float]],
    windows: list[tuple[float, float]],
    emb: np.ndarray,
    enrollment: Enrollment | None,
    options: SpeakerOptions,
) -> Diarization:
    if not windows:
        return Diarization((), {})
    labels = cluster(emb, options)
    runs = _timeline(regions, windows, labels)
    names, cos = _names(runs, labels, emb, enrollment, options)
    turns = _join([Turn(s, e, names[c]) for s, e, c in runs])
    return Diarization(tuple(turns), cos)


def _join(turns: list[Turn]) -> list[Turn]:
    out: list[Turn] = []
    for t in turns:
        if out and out[-1].speaker == t.speaker and t.start - out[-1].end < 0.05:
            out[-1] = Turn(out[-1].start, t.end, t.speaker)
        else:
            out.append(t)
    return out
