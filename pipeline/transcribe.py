"""Transcription with faster-whisper: segments stream out as they are decoded.

Settings are chosen against Whisper's failure modes on meetings: no conditioning on
the previous text (it feeds repetition loops), ``hallucination_silence_threshold``
to skip invented text over long pauses, Silero VAD on, and an initial prompt in
the configured Chinese script with full-width punctuation, which makes the model
write punctuated text in that script.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import audio as audio_mod
from .errors import ModelError, NoSpeechError
from .filters import clean_segment
from .model_store import EMBEDDED_MODEL, resolve_model
from .script import punctuate_zh, to_script
from .types import Language, ModelInfo, RemovedSegment, Script, Segment, Source, Transcript, Word

logger = logging.getLogger(__name__)

Progress = Callable[[float, float], None]
"""Called with (seconds of audio done, total seconds) as segments arrive."""

PROMPTS: dict[str, str] = {
    "hant": "以下是一場業務拜訪會議的錄音，內容包括公司介紹、市場、產品和合作條件。",
    "hans": "以下是一场业务拜访会议的录音，内容包括公司介绍、市场、产品和合作条件。",
    "en": "The following is a business meeting between a sales representative and a distributor.",
}


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe. Defaults were chosen by measurement (see README, Benchmarks).

    Attributes:
        model: ``"base"`` (the embedded model), any faster-whisper size name already in
            the local cache, or a CTranslate2 model directory.
        language: ``"zh"`` or ``"en"``; ``None`` detects between the two.
        script: the Chinese script of the output, ``"hant"`` (Traditional) or ``"hans"``.
        beam_size: beam search width; 5 is Whisper's reference setting.
        compute_type: CTranslate2 quantisation; int8 is fastest on CPUs.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        cpu_threads: 0 uses every core.
        vad: skip non-speech with Silero VAD (less time, fewer invented words).
        min_silence_ms: VAD pause that splits speech regions.
        condition_on_previous_text: feed the last text as the next prompt (off: it
            feeds repetition loops on long meetings).
        hallucination_silence_threshold: skip silent stretches longer than this many
            seconds when a hallucination is suspected.
        glossary: company, product and place names, passed to the model as hotwords.
        initial_prompt: overrides the built-in prompt for the language and script.
    """

    model: str = EMBEDDED_MODEL
    language: Language | None = None
    script: Script = "hant"
    beam_size: int = 5
    compute_type: str = "int8"
    device: str = "cpu"
    cpu_threads: int = 0
    vad: bool = True
    min_silence_ms: int = 500
    condition_on_previous_text: bool = False
    hallucination_silence_threshold: float | None = 2.0
    glossary: tuple[str, ...] = ()
    initial_prompt: str | None = None


@functools.lru_cache(maxsize=2)
def get_model(model: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    """Load a Whisper model once per process (keyed by its settings)."""
    from faster_whisper import WhisperModel

    path = resolve_model(model)
    threads = cpu_threads or os.cpu_count() or 1
    try:
        return WhisperModel(
            path, device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=True
        )
    except Exception as e:  # faster-whisper raises plain Exceptions from huggingface_hub
        raise ModelError(
            f"cannot load model {model!r} ({type(e).__name__}); offline, only the embedded model "
            "'base', a model directory, or a size name already in the local cache can be used"
        ) from e


def detect_language(model: Any, samples: np.ndarray) -> Language:
    """Pick zh or en, whichever the model finds more likely in the first speech."""
    try:
        _, _, probs = model.detect_language(samples, vad_filter=True, language_detection_segments=3)
    except ValueError as e:  # VAD found nothing to concatenate
        raise NoSpeechError("no speech found") from e
    p = dict(probs)
    # Cantonese-accented or mixed speech can score "yue"; it is written Chinese here.
    zh = p.get("zh", 0.0) + p.get("yue", 0.0)
    return "zh" if zh >= p.get("en", 0.0) else "en"


def _prompt(options: TranscribeOptions, language: Language) -> str:
    if options.initial_prompt is not None:
        return options.initial_prompt
    base = PROMPTS[options.script if language == "zh" else "en"]
    return base


def _convert(seg: Segment, language: Language, script: Script) -> Segment:
    if language != "zh":
        return seg
    words = tuple(Word(w.start, w.end, to_script(w.word, script), w.probability) for w in seg.words)
    return Segment(
        id=seg.id, start=seg.start, end=seg.end, text=punctuate_zh(to_script(seg.text, script)),
        speaker=seg.speaker, avg_logprob=seg.avg_logprob, no_speech_prob=seg.no_speech_prob,
        words=words,
    )  # fmt: skip


def iter_segments(
    audio: audio_mod.Audio,
    options: TranscribeOptions,
    language: Language,
    removed: list[RemovedSegment] | None = None,
    progress: Progress | None = None,
) -> Iterator[Segment]:
    """Yield clean segments as the model decodes them.

    Filtered text goes to ``removed`` (when given) with the reason.
    """
    model = get_model(options.model, options.device, options.compute_type, options.cpu_threads)
    raw, _info = model.transcribe(
        audio.samples,
        language=language,
        beam_size=options.beam_size,
        vad_filter=options.vad,
        vad_parameters={"min_silence_duration_ms": options.min_silence_ms},
        condition_on_previous_text=options.condition_on_previous_text,
        hallucination_silence_threshold=options.hallucination_silence_threshold,
        word_timestamps=True,
        initial_prompt=_prompt(options, language),
        hotwords=" ".join(options.glossary) or None,
    )
    next_id = 0
    total = audio.duration_s
    for s in raw:
        seg = Segment(
            id=next_id,
            start=round(float(s.start), 3),
            end=round(float(s.end), 3),
            text=s.text.strip(),
            avg_logprob=float(s.avg_logprob),
            no_speech_prob=float(s.no_speech_prob),
            words=tuple(
                Word(round(w.start, 3), round(w.end, 3), w.word, round(float(w.probability), 4))
                for w in s.words or ()
            ),
        )
        if progress is not None:
            progress(min(seg.end, total), total)
        kept, gone = clean_segment(_convert(seg, language, options.script), language)
        if gone is not None and removed is not None:
            removed.append(gone)
        if kept is not None:
            next_id += 1
            yield kept
    if progress is not None:
        progress(total, total)


def transcribe(
    path: Path,
    options: TranscribeOptions = TranscribeOptions(),
    progress: Progress | None = None,
) -> Transcript:
    """Transcribe one recording into a ``Transcript`` (``meeting-transcript/1``).

    Raises:
        InputError: the file is missing, empty, not audio or too short.
        NoSpeechError: nothing in it is speech.
        ModelError: the model cannot be loaded.
    """
    import faster_whisper

    audio = audio_mod.load(Path(path))
    model = get_model(options.model, options.device, options.compute_type, options.cpu_threads)
    language = options.language or detect_language(model, audio.samples)
    removed: list[RemovedSegment] = []
    segments = tuple(iter_segments(audio, options, language, removed, progress))
    if not segments:
        raise NoSpeechError(f"{path}: no speech found")
    settings: dict[str, Any] = asdict(options)
    settings["language"] = language
    settings["glossary"] = list(options.glossary)
    return Transcript(
        language=language,
        script=options.script if language == "zh" else None,
        segments=segments,
        source=Source(path=str(path), sha256=audio.sha256, duration_s=round(audio.duration_s, 3)),
        model=ModelInfo(
            name=options.model,
            compute_type=options.compute_type,
            engine_version=f"faster-whisper {faster_whisper.__version__}",
        ),
        removed=tuple(removed),
        settings=settings,
    )
