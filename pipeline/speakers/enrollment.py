"""The rep's enrolled voice, and the speaker labels of a draft."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import re
from pathlib import Path

import numpy as np

from ..asr import audio as audio_mod
from ..errors import InputError, ModelError
from ..types import Transcript
from .assignment import label_speakers
from .embed import available, embed_windows, speech_regions
from .options import EXTRA_HINT, MIN_ENROLL_SPEECH_S, Enrollment, SpeakerOptions

logger = logging.getLogger(__name__)

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
    from ..outputs import write_json

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
