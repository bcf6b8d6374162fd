"""meeting-memo: a first meeting's recording in, a categorised memo draft (.docx) out.

The whole public API is listed here. Names are imported on first use (PEP 562) so
that ``memo --help`` does not pay for faster-whisper, spaCy or CTranslate2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Audio": "audio",
    "load_audio": "audio",
    "SAMPLE_RATE": "audio",
    "Bullet": "types",
    "MemoContent": "types",
    "Notes": "types",
    "Segment": "types",
    "SegmentNote": "types",
    "Transcript": "types",
    "Word": "types",
    "DraftFailure": "draft",
    "DraftOptions": "draft",
    "DraftResult": "draft",
    "draft": "draft",
    "draft_many": "draft",
    "output_paths": "draft",
    "InputError": "errors",
    "MemoError": "errors",
    "ModelError": "errors",
    "NoSpeechError": "errors",
    "OutputError": "errors",
    "TemplateError": "errors",
    "load_transcript": "contract",
    "problems": "contract",
    "assemble_embedded_model": "model_store",
    "verify_model_dir": "model_store",
    "NotesOptions": "notes",
    "build_notes": "notes",
    "MemoDetails": "render",
    "to_srt": "srt",
    "TranscribeOptions": "transcribe",
    "transcribe": "transcribe",
    "to_script": "script",
    "write_json": "outputs",
}
_RENAMED = {"load_audio": "load"}

__all__ = [
    "SAMPLE_RATE",
    "Audio",
    "Bullet",
    "DraftFailure",
    "DraftOptions",
    "DraftResult",
    "InputError",
    "MemoContent",
    "MemoDetails",
    "MemoError",
    "ModelError",
    "NoSpeechError",
    "Notes",
    "NotesOptions",
    "OutputError",
    "Segment",
    "SegmentNote",
    "TemplateError",
    "TranscribeOptions",
    "Transcript",
    "Word",
    "__version__",
    "assemble_embedded_model",
    "build_notes",
    "draft",
    "draft_many",
    "load_audio",
    "load_transcript",
    "output_paths",
    "problems",
    "to_script",
    "to_srt",
    "transcribe",
    "verify_model_dir",
    "write_json",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .audio import SAMPLE_RATE, Audio
    from .audio import load as load_audio
    from .contract import load_transcript, problems
    from .draft import DraftFailure, DraftOptions, DraftResult, draft, draft_many, output_paths
    from .errors import (
        InputError,
        MemoError,
        ModelError,
        NoSpeechError,
        OutputError,
        TemplateError,
    )
    from .model_store import assemble_embedded_model, verify_model_dir
    from .notes import NotesOptions, build_notes
    from .outputs import write_json
    from .render import MemoDetails
    from .script import to_script
    from .srt import to_srt
    from .transcribe import TranscribeOptions, transcribe
    from .types import Bullet, MemoContent, Notes, Segment, SegmentNote, Transcript, Word
