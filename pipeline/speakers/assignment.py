"""Speakers onto the transcript: each segment its speaker, split where the voice changes."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from ..types import Segment, Transcript, Word
from .options import MODEL_ID, Diarization, Enrollment, SpeakerOptions
from .timeline import diarize, diarize_file

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
