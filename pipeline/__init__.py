"""meeting-memo: a first meeting's recording in, a categorised memo draft (.docx) out.

The whole public API is listed here. Names are imported on first use (PEP 562) so
that ``memo --help`` does not pay for faster-whisper, spaCy or CTranslate2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Audio": "asr.audio",
    "load_audio": "asr.audio",
    "SAMPLE_RATE": "asr.audio",
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
    "output_paths": "outputs",
    "InputError": "errors",
    "MemoError": "errors",
    "ModelError": "errors",
    "NoSpeechError": "errors",
    "OutputError": "errors",
    "TemplateError": "errors",
    "load_transcript": "contract",
    "problems": "contract",
    "assemble_embedded_model": "asr.model_store",
    "verify_model_dir": "asr.model_store",
    "NotesOptions": "notes.build",
    "build_notes": "notes.build",
    "MemoDetails": "memo.render",
    "to_srt": "memo.srt",
    "TranscribeOptions": "asr.options",
    "transcribe": "asr.transcribe",
    "to_script": "script",
    "write_json": "outputs",
    "check_memo": "followup.check",
    "final_version": "followup.final",
    "load_meeting": "followup.meeting",
    "write_proposal": "followup.proposal",
    "write_invitation": "followup.invite",
    "Letterhead": "followup.letters",
    "load_company": "followup.company",
    "Ledger": "runs.ledger",
    "NotReadyError": "errors",
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
    "Ledger",
    "Letterhead",
    "MemoContent",
    "MemoDetails",
    "MemoError",
    "ModelError",
    "NoSpeechError",
    "NotReadyError",
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
    "check_memo",
    "draft",
    "draft_many",
    "final_version",
    "load_audio",
    "load_company",
    "load_meeting",
    "load_transcript",
    "output_paths",
    "problems",
    "to_script",
    "to_srt",
    "transcribe",
    "verify_model_dir",
    "write_invitation",
    "write_json",
    "write_proposal",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .asr.audio import SAMPLE_RATE, Audio
    from .asr.audio import load as load_audio
    from .asr.model_store import assemble_embedded_model, verify_model_dir
    from .asr.options import TranscribeOptions
    from .asr.transcribe import transcribe
    from .contract import load_transcript, problems
    from .draft import DraftFailure, DraftOptions, DraftResult, draft, draft_many
    from .errors import (
        InputError,
        MemoError,
        ModelError,
        NoSpeechError,
        NotReadyError,
        OutputError,
        TemplateError,
    )
    from .followup.check import check_memo
    from .followup.company import load_company
    from .followup.final import final_version
    from .followup.invite import write_invitation
    from .followup.letters import Letterhead
    from .followup.meeting import load_meeting
    from .followup.proposal import write_proposal
    from .memo.render import MemoDetails
    from .memo.srt import to_srt
    from .notes.build import NotesOptions, build_notes
    from .outputs import output_paths, write_json
    from .runs.ledger import Ledger
    from .script import to_script
    from .types import Bullet, MemoContent, Notes, Segment, SegmentNote, Transcript, Word
