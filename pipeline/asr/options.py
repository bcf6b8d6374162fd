"""The options of transcription, apart from the decoder, so that code that only passes them
on (``memo draft`` on a transcript JSON, the CLI's settings) starts without importing numpy
and faster-whisper's helpers. ``pipeline.asr.transcribe`` re-exports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..types import Language, Script
from .model_store import EMBEDDED_MODEL

__all__ = ["BATCHED", "BATCH_SIZE", "CHUNK_S", "Progress", "TranscribeOptions", "for_language"]

Progress = Callable[[float, float], None]
"""Called with (seconds of audio done, total seconds) as segments arrive."""

CHUNK_S = 28.0
"""Longest chunk of batched decoding. Whisper's window is 30 s; at 30 s batched decoding lost
words at the end of chunks, and a shorter chunk pads more of its window (the encoder always
sees 30 s)."""

BATCH_SIZE = 8
"""Chunks decoded at once when decoding is batched. Decoding 12 or 16 at once gained nothing
measurable."""

BATCHED: dict[Language, bool] = {"zh": True, "en": False}
"""Whether the default decoding (``batch_size`` < 0) is batched, per language. Measured side by
side (2 cores, a CPU with AMX; README, Benchmarks), batched took about 40 % of the time of
sequential decoding. Mandarin lost nothing measurable: corpus CER -0.17 or ±0.00 points
(three seeds, sequential on two threads or one), the four rendered Mandarin meetings +0.33 with
numbers read out (+1.37 as written: it writes more numbers in digits, as a memo does), every
memo target met. English lost 0.74 points of WER on the two meetings, in names and trade
words, so English stays sequential (its corpus figure, +0.79 or -1.26, moves with how
sequential decoding samples one noisy file)."""

DECODE_WORKERS = 2
"""CTranslate2 workers of the model on a CPU; each has its share of ``cpu_threads``, or all of
them, by the CPU (``threads``). Batched decoding has them decode the halves of a batch, the
sequential re-decodes and the next batch side by side. On 2 cores with AMX a batch of 8
chunks took 7.2 s to generate with one worker of two threads or of one (the second thread
gained nothing) and 4.3 s as two workers of 4 chunks each; the 10-minute meeting went from
RTF 0.082 to 0.046-0.050, the same words, peak memory 1068 -> 1185 MB (glibc's per-thread
heaps; 968-1038 MB now that ``heaps.limit_arenas`` caps them at two). Sequential decoding,
whose windows depend on each other, runs on one of them, so one loaded model serves both."""


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe. Defaults were chosen by measurement (see README, Benchmarks).

    Attributes:
        model: ``"base"`` (the embedded model), any faster-whisper size name already in
            the local cache, or a CTranslate2 model directory.
        language: ``"zh"`` or ``"en"``; ``None`` detects between the two.
        script: the Chinese script of the output, ``"hant"`` (Traditional) or ``"hans"``.
        beam_size: beam search width; 5 is Whisper's reference setting.
        batch_size: 0 decodes sequentially, 30 s window after window; more decodes this
            many VAD chunks of at most ``chunk_s`` at once (``--batched``,
            ``pipeline.asr.batched``; a chunk that comes back short is decoded again
            sequentially); negative (the default) takes the measured choice for the
            language, batched for Mandarin and sequential for English (``BATCHED``).
        chunk_s: the longest chunk of batched decoding, cut at VAD pauses.
        compute_type: CTranslate2 quantisation; int8 is fastest on CPUs.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        cpu_threads: 0 uses every core.
        vad: skip non-speech with Silero VAD (less time, fewer invented words).
        min_silence_ms: VAD pause that splits speech regions (faster-whisper's 2000: at
            500 the shorter regions changed decoding and cost a 12 s meeting clip 12 points).
        vad_threshold: Silero speech probability above which a frame is speech.
        speech_pad_ms: audio kept on each side of a VAD speech region.
        temperatures: decoding temperatures, tried in turn when a segment fails the
            compression-ratio or log-probability checks (Whisper's fallback).
        condition_on_previous_text: feed the last text as the next prompt; ``None``
            takes the measured choice for the language (``CONDITION_ON_PREVIOUS_TEXT``).
        word_timestamps: word timings (needed by ``hallucination_silence_threshold``).
        sentences: re-cut Whisper's segments into sentences with the word timings
            (``pipeline.asr.resegment``), so each segment is one sentence of one speaker.
        hallucination_silence_threshold: skip silent stretches longer than this many
            seconds when a hallucination is suspected; ``None`` never; negative (the
            default) takes the measured choice for the language (``SILENCE_SKIP_S``).
        glossary: company, product and place names, passed to the model as hotwords
            (and, for Mandarin, as the initial prompt: ``GLOSSARY_PROMPT``).
        mixed_language: decode each 30 s window in zh or en, whichever it is clearly in
            (``SWITCH_PROBABILITY``), so English stretches of a Mandarin meeting stay
            English; off decodes the whole recording in its detected language.
        initial_prompt: overrides the built-in prompt for the language and script.
    """

    model: str = EMBEDDED_MODEL
    language: Language | None = None
    script: Script = "hant"
    beam_size: int = 5
    batch_size: int = -1
    chunk_s: float = CHUNK_S
    compute_type: str = "int8"
    device: str = "cpu"
    cpu_threads: int = 0
    vad: bool = True
    min_silence_ms: int = 2000
    vad_threshold: float = 0.5
    speech_pad_ms: int = 400
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    condition_on_previous_text: bool | None = None
    word_timestamps: bool = True
    sentences: bool = True
    hallucination_silence_threshold: float | None = -1.0
    glossary: tuple[str, ...] = ()
    mixed_language: bool = True
    initial_prompt: str | None = None


def for_language(options: TranscribeOptions, language: Language) -> TranscribeOptions:
    """``options`` with the decoding chosen for ``language`` when left to the measured choice."""
    if options.batch_size >= 0:
        return options
    return replace(options, batch_size=BATCH_SIZE if BATCHED[language] else 0)
