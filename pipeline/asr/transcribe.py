"""Transcription with faster-whisper: segments stream out as they are decoded.

Settings were chosen by measurement on real speech (``python -m bench.asr``, three
sampling seeds per file): the previous text conditions the next window, no initial
prompt unless a glossary is set (``GLOSSARY_PROMPT``), no
``hallucination_silence_threshold`` (see ``PROMPTS`` and the tables below it). The
language is zh or en: detected on the first speech, then per 30 s window
(``_LanguageGate``), so English stretches of a Mandarin meeting stay English. Silero VAD
is on, and filters remove invented text with the reason. Chinese output is converted to
the configured script and given full-width punctuation afterwards.

A recording is decoded as a stream and transcribed in windows of about ten minutes cut
at a pause (``audio.windows``), so memory stays flat however long the meeting is. Within
a window, speech is decoded 30 s after 30 s in sequence, or in batches of VAD chunks
(``pipeline.asr.batched``; a chunk that comes back short is decoded again sequentially):
by default batched for Mandarin and sequential for English (``options.BATCHED``), chosen
once the language is known. One loaded model serves both (``decode_workers``).
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, ModelError, NoSpeechError
from ..script import punctuate_zh, to_script
from ..types import Language, ModelInfo, RemovedSegment, Script, Segment, Source, Transcript, Word
from . import audio as audio_mod
from . import batched as batched_mod
from . import holes as holes_mod
from . import pauses as pauses_mod
from .filters import clean_segment, trim_overlaps
from .heaps import limit_arenas
from .model_store import resolve_model
from .options import BATCH_SIZE, DECODE_WORKERS, Progress, TranscribeOptions, for_language  # noqa: F401 (re-exported)
from .postprocess import finish
from .resegment import resegment
from .threads import worker_threads

logger = logging.getLogger(__name__)

LANGUAGE_SEARCH_S = 120.0


PROMPTS: dict[str, str | None] = {
    # Measured on ../shared/corpus with the base model (python -m bench.asr; README,
    # Benchmarks). Every prompt tried lost against none once the previous text conditions
    # the next window: Mandarin, a short Simplified prompt 56 % CER against 35 % without
    # (Traditional prompts were worse still, and a long one made the model write "０" for
    # commas); English, a meeting prompt 25.7 % WER against 21.8 % (short clips reworded,
    # and the prompt was read back over music). ``script.punctuate_zh`` punctuates Mandarin.
    "zh": None,
    "en": None,
}
CONDITION_ON_PREVIOUS_TEXT: dict[str, bool] = {"zh": True, "en": True}
"""Measured with three seeds a file: on, Mandarin CER 33.08 % and English WER 24.20 %; off,
34.62 % and 23.91 % (raw 34.19 / 25.21). Off loses Mandarin 1.5 points and fails memo <= raw;
the English difference is about three words of a thousand. Loops it may feed are collapsed
by the filters; a window in the other language is not conditioned (``_gated``)."""
SILENCE_SKIP_S: dict[str, float | None] = {"zh": None, "en": None}
"""``hallucination_silence_threshold`` per language: it skipped real fast speech (Mandarin
tongue-twister clip 46 % -> 67 % CER; English noisy clip 41 % -> 50 % WER); VAD and the
filters catch invented text instead (no text on silence, noise, music or meeting gaps)."""


@functools.lru_cache(maxsize=2)
def get_model(model: str, device: str, compute_type: str, cpu_threads: int, workers: int = 1) -> Any:
    """Load a Whisper model once per process (keyed by its settings).

    Args:
        cpu_threads: threads in all (0: every core), shared among the ``workers`` or each
            worker's own, by the CPU (``threads.worker_threads``).
        workers: CTranslate2 workers (``num_workers``), decodings that can run at once.
    """
    from faster_whisper import WhisperModel

    path = resolve_model(model)
    threads = _threads(cpu_threads)
    if workers > 1:
        limit_arenas()  # before the workers' threads allocate: they share two heaps
    try:
        return WhisperModel(
            path, device=device, compute_type=compute_type, cpu_threads=worker_threads(threads, workers),
            num_workers=workers, local_files_only=True,
        )  # fmt: skip
    except Exception as e:  # faster-whisper raises plain Exceptions from huggingface_hub
        raise ModelError(
            f"cannot load model {model!r} ({type(e).__name__}); offline, only the embedded model "
            "'base', a model directory, or a size name already in the local cache can be used"
        ) from e


def _threads(cpu_threads: int) -> int:
    """The threads ``cpu_threads`` means (0: every core)."""
    return cpu_threads or os.cpu_count() or 1


def decode_workers(options: TranscribeOptions) -> int:
    """CTranslate2 workers of the model: on a CPU up to ``DECODE_WORKERS``, whichever the
    decoding, so one loaded model serves both. Batched decoding runs them side by side;
    sequential decoding (one decoding after the other) runs on one of them, which has its
    share of the threads or all of them, by the CPU (``threads``)."""
    if options.device != "cpu":
        return 1
    return min(DECODE_WORKERS, _threads(options.cpu_threads))


def model_for(options: TranscribeOptions) -> Any:
    """The Whisper model ``options`` decode with, loaded once per process."""
    return get_model(
        options.model, options.device, options.compute_type, options.cpu_threads, decode_workers(options)
    )


def reset_models() -> None:
    """Forget the loaded models (the next call loads them again)."""
    get_model.cache_clear()


def detect_language(model: Any, samples: np.ndarray) -> Language:
    """Pick zh or en, whichever the model finds more likely in the first speech.

    Looks at the first two minutes first (Silero VAD over a whole window would cost as
    much again as faster-whisper's own VAD pass), then at all of ``samples``.

    Raises:
        NoSpeechError: the VAD finds no speech in ``samples``.
    """
    head = int(LANGUAGE_SEARCH_S * audio_mod.SAMPLE_RATE)
    for part in (samples[:head], samples) if len(samples) > head else (samples,):
        try:
            _, _, probs = model.detect_language(part, vad_filter=True, language_detection_segments=1)
        except ValueError:  # VAD found nothing to concatenate
            continue
        p = dict(probs)
        # Cantonese-accented or mixed speech can score "yue"; it is written Chinese here.
        zh = p.get("zh", 0.0) + p.get("yue", 0.0)
        return "zh" if zh >= p.get("en", 0.0) else "en"
    raise NoSpeechError("no speech found")


GLOSSARY_PROMPT: dict[str, bool] = {"zh": True, "en": False}
"""Whether the glossary is also the initial prompt (it is always the hotwords). Measured on
the samples with the names said in them (python -m bench.asr): Mandarin names found 4/9
without a glossary, 8/9 as hotwords, 8/9 as hotwords and prompt, CER 11.2, 10.8 and 4.8 %;
English 9/11, 10/11, 10/11, WER 3.7, 2.6 and 2.9 %."""


def _prompt(options: TranscribeOptions, language: Language) -> str | None:
    if options.initial_prompt is not None:
        return options.initial_prompt
    if options.glossary and GLOSSARY_PROMPT[language]:
        # Names written as the memo wants them, so the model's first window follows suit.
        return to_script("、".join(options.glossary) + "。", options.script)
    return PROMPTS[language]


def _convert(seg: Segment, language: Language, script: Script) -> Segment:
    if language != "zh":
        return seg
    words = tuple(Word(w.start, w.end, to_script(w.word, script), w.probability) for w in seg.words)
    return Segment(
        id=seg.id, start=seg.start, end=seg.end, text=punctuate_zh(to_script(seg.text, script)),
        speaker=seg.speaker, avg_logprob=seg.avg_logprob, no_speech_prob=seg.no_speech_prob,
        words=words,
    )  # fmt: skip


SWITCH_PROBABILITY = 0.5
"""Share of the zh+en language probability the other language needs before a 30 s window
is decoded in it: lower, and noisy Mandarin windows flipped to English (translated)."""


class _LanguageGate:
    """The CTranslate2 model, with per-window language detection narrowed to zh and en.

    faster-whisper's ``multilingual`` mode detects the language of every 30 s window from
    the encoder output it already has (no extra encoding) but may answer any of 99
    languages. Through this gate it answers the transcript's language unless the window
    is clearly in the other one, so an English stretch of a Mandarin meeting is written
    in English instead of being translated into Chinese by the Mandarin context.
    """

    def __init__(self, model: Any, home: Language) -> None:
        self._model = model
        self._home = home
        self.last: str | None = None
        """The language of the last window a prompt was built for."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def detect_language(self, features: Any) -> list[list[tuple[str, float]]]:
        out = []
        for result in self._model.detect_language(features):
            p = dict(result)
            zh = p.get("<|zh|>", 0.0) + p.get("<|yue|>", 0.0)
            en = p.get("<|en|>", 0.0)
            share = {"zh": zh / (zh + en or 1.0), "en": en / (zh + en or 1.0)}
            other: Language = "en" if self._home == "zh" else "zh"
            lang = other if share[other] >= SWITCH_PROBABILITY else self._home
            rest: Language = self._home if lang == other else other
            out.append([(f"<|{lang}|>", share[lang]), (f"<|{rest}|>", share[rest])])
        return out


def _gated(model: Any, home: Language) -> Any:
    """A shallow copy of the WhisperModel that detects zh/en per window (shares weights).

    A window in another language than the one before it is not conditioned on the
    previous text: given Chinese text as the prompt, English speech decoded as English
    looped until the sampling fallback wrote Chinese again.
    """
    gated = copy.copy(model)
    gate = _LanguageGate(model.model, home)
    gated.model = gate
    build_prompt = model.get_prompt

    def get_prompt(tokenizer: Any, previous_tokens: list[int], *args: Any, **kwargs: Any) -> list[int]:
        language = tokenizer.language_code
        if gate.last is not None and language != gate.last:
            previous_tokens = []
        gate.last = language
        return build_prompt(tokenizer, previous_tokens, *args, **kwargs)

    gated.get_prompt = get_prompt
    return gated


def _decode_kwargs(options: TranscribeOptions, language: Language) -> dict[str, Any]:
    """The faster-whisper settings for ``options`` (the bench reuses them for raw runs)."""
    return {
        "language": language,
        "beam_size": options.beam_size,
        "temperature": options.temperatures,
        "vad_filter": options.vad,
        "vad_parameters": {
            "min_silence_duration_ms": options.min_silence_ms,
            "threshold": options.vad_threshold,
            "speech_pad_ms": options.speech_pad_ms,
        },
        "condition_on_previous_text": (
            CONDITION_ON_PREVIOUS_TEXT[language]
            if options.condition_on_previous_text is None
            else options.condition_on_previous_text
        ),
        "hallucination_silence_threshold": (
            SILENCE_SKIP_S[language]
            if options.hallucination_silence_threshold is not None
            and options.hallucination_silence_threshold < 0
            else options.hallucination_silence_threshold
        ),
        "word_timestamps": options.word_timestamps,
        "initial_prompt": _prompt(options, language),
        "hotwords": " ".join(options.glossary) or None,
    }


def _window_segments(
    model: Any,
    samples: np.ndarray,
    offset: float,
    options: TranscribeOptions,
    language: Language,
    first_id: int,
    total: float,
    removed: list[RemovedSegment] | None,
    progress: Progress | None,
    stats: batched_mod.BatchStats | None = None,
    filled: list[tuple[float, float]] | None = None,
) -> Iterator[Segment]:
    reported = 0.0

    def report(at: float) -> None:  # never backwards: a batch's share runs ahead of its segments
        nonlocal reported
        if progress is not None and at > reported:
            reported = at
            progress(min(at, total), total)

    window_s = len(samples) / audio_mod.SAMPLE_RATE
    raw: Iterable[Any]
    if options.batch_size > 0:
        gate = _LanguageGate(model.model, language)

        def detect(encoded: Any) -> list[Language]:
            if not options.mixed_language:
                return [language] * encoded.shape[0]
            return [probs[0][0][2:-2] for probs in gate.detect_language(encoded)]  # type: ignore[misc]

        # A re-decode is in the language the batch found for its chunk, not detected again in
        # each window (an extra decoder pass).
        alone = replace(options, mixed_language=False)

        def redecode(chunk: np.ndarray, at: float, found: Language) -> list[Any]:
            # Exactly sequential decoding (no token cap): a tongue twister's fast speech hit the
            # cap at every temperature of the fallback, CER 45 -> 57.
            return [_shifted(s, at) for s in _sequential(model, chunk, alone, found)]

        raw = batched_mod.segments(
            model, samples, detect, language, _decode_kwargs(options, language), options.batch_size,
            redecode, stats if stats is not None else batched_mod.BatchStats(), options.chunk_s,
            decode_workers(options), lambda share: report(offset + share * window_s),
        )  # fmt: skip
    else:
        raw = _sequential(model, samples, options, language)
        if options.vad and options.word_timestamps:
            raw = _holes_filled(model, samples, options, language, raw, offset, filled)
    if options.vad and options.word_timestamps:
        raw = _with_pauses(raw, samples, options, language)
    next_id = first_id
    prompt = _prompt(options, language)
    end = offset + window_s
    for seg in trim_overlaps((_segment(s, offset) for s in raw), removed):
        report(seg.end)
        kept, gone = clean_segment(_convert(seg, language, options.script), language, prompt, end)
        if gone is not None and removed is not None:
            removed.append(gone)
        if kept is not None:
            yield replace(kept, id=next_id)
            next_id += 1


def _with_pauses(
    raw: Iterable[Any], samples: np.ndarray, options: TranscribeOptions, language: Language
) -> Iterator[Any]:
    """``raw`` with its pauses opened (``pauses.with_pauses``), the pauses found while the
    first segments are decoded: Silero VAD runs on one thread, and beside the VAD pass that
    cuts the chunks or the decoding it takes no time (1.2 s of a 10-minute meeting)."""
    with ThreadPoolExecutor(1, thread_name_prefix="memo-pauses") as pool:
        quiet = pool.submit(_silences, samples, options, language)
        segments = iter(raw)
        first = next(segments, None)
        if first is not None:
            yield from pauses_mod.with_pauses(itertools.chain([first], segments), quiet.result())


def _silences(
    samples: np.ndarray, options: TranscribeOptions, language: Language
) -> list[tuple[float, float]]:
    """The pauses in ``samples`` (s), from Silero VAD with almost no padding (``pauses``)."""
    vad = {**_decode_kwargs(options, language)["vad_parameters"], "speech_pad_ms": pauses_mod.VAD_PAD_MS}
    return pauses_mod.silences(audio_mod.speech_regions(samples, vad, round(pauses_mod.MIN_PAUSE_S * 1000)))


def _sequential(
    model: Any, samples: np.ndarray, options: TranscribeOptions, language: Language
) -> Iterable[Any]:
    """faster-whisper segments of ``samples`` decoded 30 s window after window."""
    kwargs = _decode_kwargs(options, language)
    if options.mixed_language:
        raw, _info = _gated(model, language).transcribe(samples, multilingual=True, **kwargs)
    else:
        raw, _info = model.transcribe(samples, **kwargs)
    return raw


def _holes_filled(
    model: Any,
    samples: np.ndarray,
    options: TranscribeOptions,
    language: Language,
    raw: Iterable[Any],
    offset: float = 0.0,
    filled: list[tuple[float, float]] | None = None,
) -> Iterator[Any]:
    """``raw`` with the speech it jumped over decoded again and put in its place (``holes``);
    each stretch decoded again is added to ``filled`` (seconds on the recording's time line).

    Still a stream: the speech before each segment is checked as the segment arrives, so a
    hole is decoded and given before it, in time order.
    """
    vad = _decode_kwargs(options, language)["vad_parameters"]
    pending = audio_mod.speech_regions(samples, vad, holes_mod.FINE_SILENCE_MS)
    words: list[tuple[float, float]] = []

    def redecoded(before: float) -> Iterator[Any]:
        nonlocal pending
        done = [r for r in pending if r[1] <= before * audio_mod.SAMPLE_RATE]
        pending = pending[len(done) :]
        for a, b in holes_mod.holes(done, words, len(samples)):
            at = a / audio_mod.SAMPLE_RATE
            found = [_shifted(s, at) for s in _sequential(model, samples[a:b], options, language)]
            span = (round(offset + at, 2), round(offset + b / audio_mod.SAMPLE_RATE, 2))
            if filled is not None:
                filled.append(span)
            text = " ".join(s.text.strip() for s in found)
            logger.info("%.1f-%.1f s: speech with no words; decoded again: %r", *span, text[:80])
            yield from found

    for seg in raw:
        yield from redecoded(float(seg.start))
        words.extend((w.start, w.end) for w in seg.words or ())
        yield seg
    yield from redecoded(len(samples) / audio_mod.SAMPLE_RATE + 1)


def _shifted(s: Any, dt: float) -> Any:
    """A faster-whisper segment moved ``dt`` seconds later (with its words)."""
    words = [replace(w, start=w.start + dt, end=w.end + dt) for w in s.words] if s.words else s.words
    return replace(s, start=s.start + dt, end=s.end + dt, words=words)


def _segment(s: Any, offset: float) -> Segment:
    """A faster-whisper segment on the recording's time line (``offset`` into it)."""
    return Segment(
        id=0,
        start=round(offset + float(s.start), 3),
        end=round(offset + float(s.end), 3),
        text=s.text.strip(),
        avg_logprob=float(s.avg_logprob),
        no_speech_prob=float(s.no_speech_prob),
        words=tuple(
            Word(
                round(offset + w.start, 3),
                round(offset + w.end, 3),
                w.word,
                round(float(w.probability), 4),
            )
            for w in s.words or ()
        ),
    )


@dataclass
class _Stream:
    """What streaming a recording learned about it (filled in as windows arrive)."""

    samples: int = 0
    peak: float = 0.0
    language: Language | None = None
    batches: batched_mod.BatchStats = field(default_factory=batched_mod.BatchStats)
    holes: list[tuple[float, float]] = field(default_factory=list)  # speech decoded again (s)


def _stream_segments(
    path: Path,
    options: TranscribeOptions,
    state: _Stream,
    removed: list[RemovedSegment],
    progress: Progress | None,
    declared: float | None,
) -> Iterator[Segment]:
    """Segments of a recording decoded and transcribed window by window.

    A window that is digital silence never reaches the model (nothing can be heard in it).
    """
    model = model_for(options)
    state.language = options.language
    next_id = 0
    for offset, samples, last in audio_mod.windows(path, audio_mod.WINDOW_S):
        state.samples += len(samples)
        if not len(samples):
            continue
        peak = float(np.max(np.abs(samples)))
        state.peak = max(state.peak, peak)
        done = state.samples / audio_mod.SAMPLE_RATE
        total = max(declared or 0.0, done)
        if last and done < audio_mod.MIN_DURATION_S:
            raise InputError(f"{path}: only {done:.1f} s of audio; a meeting recording is minutes long")
        if audio_mod.peak_dbfs(samples) >= audio_mod.SILENCE_DBFS:
            if state.language is None:
                try:
                    state.language = detect_language(model, samples)
                except NoSpeechError:
                    logger.debug("%s: no speech in the window at %.0f s", path, offset)
            if state.language is not None:
                for seg in _window_segments(
                    model,
                    samples,
                    offset,
                    for_language(options, state.language),
                    state.language,
                    next_id,
                    total,
                    removed,
                    progress,
                    state.batches,
                    state.holes,
                ):
                    next_id += 1
                    yield seg
        if progress is not None:
            progress(done, done if last else total)


def _sentences(segments: Iterable[Segment], state: _Stream, script: Script) -> Iterator[Segment]:
    """One sentence per segment; Chinese punctuation written again for each new segment.

    The text is converted to the script again: rebuilt from words converted one by one,
    it can hold a character that OpenCC converts differently within the phrase (干, 幺).
    """
    for seg in resegment(segments):
        yield replace(seg, text=punctuate_zh(to_script(seg.text, script))) if state.language == "zh" else seg


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

    from .probe import declared_duration, is_truncated

    path = Path(path)
    audio_mod.check_readable(path)
    declared = declared_duration(path)
    removed: list[RemovedSegment] = []
    state = _Stream()
    stream = _stream_segments(path, options, state, removed, progress, declared)
    segments = tuple(_sentences(stream, state, options.script) if options.sentences else stream)
    duration = state.samples / audio_mod.SAMPLE_RATE
    if declared is not None and is_truncated(declared, duration):
        raise InputError(
            f"{path}: is truncated: {duration:.1f} s of the {declared:.1f} s it "
            "declares could be decoded; copy the recording again from the recorder"
        )
    if state.peak <= 10 ** (audio_mod.SILENCE_DBFS / 20):
        raise NoSpeechError(f"{path}: no speech found (the recording is silent)")
    if not segments or state.language is None:
        raise NoSpeechError(f"{path}: no speech found")
    language = state.language
    options = for_language(options, language)
    # Glossary corrections and Mandarin punctuation, on the final segments (postprocess.py).
    segments, corrections = finish(segments, options.script, options.glossary, options.sentences)
    settings: dict[str, Any] = asdict(options)
    settings["language"] = language
    settings["glossary"] = list(options.glossary)
    settings["temperatures"] = list(options.temperatures)
    effective = _decode_kwargs(options, language)
    for key in ("condition_on_previous_text", "hallucination_silence_threshold", "initial_prompt"):
        settings[key] = effective[key]
    if options.batch_size == 0 and options.vad:
        settings["holes"] = {
            "decoded_again": len(state.holes),
            "seconds": round(sum(e - s for s, e in state.holes), 1),
        }
    if options.batch_size > 0:
        b = state.batches
        settings["batched"] = {
            "chunks": b.chunks, "short": b.short, "split": b.split, "redecoded_longer": b.redecoded_longer
        }  # fmt: skip
        logger.info(
            "%s: %d chunks decoded in batches; %d came back short and were decoded again "
            "sequentially (%d of them found more words)", path, b.chunks, b.short, b.redecoded_longer,
        )  # fmt: skip
    return Transcript(
        language=language,
        script=options.script if language == "zh" else None,
        segments=segments,
        source=Source(path=str(path), sha256=audio_mod.file_sha256(path), duration_s=round(duration, 3)),
        model=ModelInfo(
            name=options.model,
            compute_type=options.compute_type,
            engine_version=f"faster-whisper {faster_whisper.__version__}",
        ),
        removed=tuple(removed),
        settings=settings,
        corrections=corrections,
    )
