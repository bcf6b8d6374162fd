"""Batched decoding: VAD chunks cut at pauses, decoded several at once; short ones again alone.

faster-whisper's ``BatchedInferencePipeline`` glues VAD speech regions into chunks of up
to 30 s and decodes each chunk once, at temperature 0, without the previous text. On long
chunks Whisper often stops early, and the rest of the chunk is lost: it dropped 17.6 % of
the words of a 10-minute meeting (faster-whisper #1179, #1351). Here:

- chunks are VAD speech regions packed up to ``CHUNK_S`` of speech (well under Whisper's
  30 s window, so nothing is cut at a window's end), the pauses between them left out as
  faster-whisper's VAD filter does (the 10-minute meeting is 19 chunks, not 23, and each
  chunk costs an encoding); timestamps are mapped back (``Chunk.at``);
- a batch is shared among ``workers`` CTranslate2 workers, which decode their parts at the
  same time (``_map``; CTranslate2 releases the GIL): on a small CPU with AMX a second thread
  inside one decoding gains nothing, a second decoding beside it almost doubles the speed
  (without AMX each worker has every thread: ``threads``); sequential re-decodes run side by
  side the same way;
- a chunk is decoded with the text of the chunk before it as Whisper's previous text, as
  in sequential decoding: the chunks are cut into ``batch_size`` streams of consecutive
  chunks, and batch ``k`` holds the ``k``-th chunk of each (``streams``), so the chunk before
  is decoded in the batch before; only a stream's first chunk has no text before it;
- each batch is encoded once; each chunk's language is zh or en, picked from that encoder
  output by the caller's detector, and chunks are decoded per language with that
  language's tokenizer (the word splitting of Chinese and English differs), with Whisper's
  timestamp tokens (``TIMESTAMPS``);
- a chunk that came back short (``is_short``) is decoded again: where Whisper only stopped
  early, the speech after its last word; else its two halves; both in a batch with the
  others. What is still short is decoded by the caller's sequential decoder (with the
  temperature fallback and the previous text, in the language the batch found for the
  chunk), and the longer result is kept, so a batch never loses speech that sequential
  decoding would have kept.

``decode_batch`` is the seam between the chunks and the model; tests replace it.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from math import ceil
from typing import Any, TypeVar

import numpy as np

from ..types import Language
from .audio import speech_regions
from .options import CHUNK_S

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SHORT_SHARE = 0.5
"""A chunk whose rate (words or characters per second of speech) is below this share of
what is expected is decoded again."""
LANGUAGE_RATE: dict[str, float] = {"zh": 3.0, "en": 2.0}
"""Expected rate when a chunk has too few neighbours: characters (zh) or words (en) per
second of VAD speech, about two thirds of conversational speech (VAD speech includes pads)."""
NEIGHBOURS = 3
"""Chunks of the same language needed before their median rate is the expectation."""
TAIL_S = 2.5
"""A chunk whose last word ends this long before its last speech ends came back short."""
COMPRESSION_RATIO, LOGPROB, NO_SPEECH = 2.4, -1.0, 0.6
"""Whisper's checks of a decoding (faster-whisper's defaults): above this gzip compression
ratio it loops; below this average log probability it failed, unless the no-speech
probability is above ``NO_SPEECH`` (silence). Sequential decoding then samples at a higher
temperature; batched decoding decodes the chunk again sequentially. Without this check a
noisy 88 s phone call looped ("it's my girl, it's my girl…", WER 46 -> 77 %) and a far-field
Mandarin clip kept 3 characters (CER 60 -> 89 %)."""
TIMESTAMPS = True
"""Decode with Whisper's timestamp tokens (segments within a chunk). Without them (one text a
chunk, faster-whisper's way) the 10-minute meeting kept 861 words against sequential's 950,
Whisper skipping back-channel stretches inside chunks; with them, 992."""
ENCODE_AT_ONCE = 2
"""Chunks encoded in one call. The encoder does not batch on a small CPU: on 2 cores a chunk
took 0.53 s encoded alone or in pairs, 0.76 s in fours and 0.69 s in eights (memory bound);
so chunks are encoded in pairs and only the decoder, which does gain, sees the whole batch."""
MIN_SPEECH_S = 1.5
"""Chunks with less speech than this are never checked (a cough, one word)."""
PACK_SILENCE_MS = 2000
"""Chunks are packed from speech regions split at pauses at least this long (or the
recording's ``min_silence_ms`` if shorter). Shorter pauses fill chunks better (the
10-minute meeting, 362 s of speech: 23 chunks of contiguous audio, 19 of regions at
2000 ms, 14 at 300 ms), but the glued phrases cost accuracy on the corpus: at 300 ms three
files lost 10-14 points (Mandarin CER +0.9, English WER +0.3 over all)."""
HALVE_S = 10.0
"""A short chunk with less speech than this is decoded again whole (``halves``): sequential
decoding of it is cheap, and its halves are too short to carry their context (a 7 s
far-field clip's halves, decoded alone, lost its first clause)."""
TOKENS_PER_S: dict[str, float] = {"zh": 12.0, "en": 8.0}
"""Most tokens a second of audio may need, timestamps included: a decoding stops at
``token_cap`` tokens and counts as failed. A loop ("yeah, yeah, yeah…") otherwise runs to
Whisper's limit of 224 tokens and holds its whole batch. The fastest chunks of the rendered
meetings needed 5.7 (zh) and 4.3 (en), a tongue twister of the corpus more than 8 (a Chinese
character is often two tokens): capped at 8, it was decoded again and came out worse (CER
45 -> 57). A full chunk is never capped below Whisper's limit; halves and short chunks are.
The sequential re-decode has no cap: it is sequential decoding exactly."""
TOKEN_PAD = 10
"""Tokens allowed on top of ``TOKENS_PER_S`` (a short chunk's few words and timestamps)."""

CONTEXT_TOKENS = 64
"""Most tokens of the text before a chunk given to Whisper as its previous text (``streams``;
0 gives none). Sequential decoding gives the last 223, but prompts of one batch must be of
one length, and a long one slows each decoding step. On the six rendered meetings (seed 0)
the chunks decoded without the text before them had English WER 9.59 % and Mandarin CER
18.65 % (RTF 0.053/0.062); with up to 64 tokens, 9.22 % and 18.14 % (RTF 0.055/0.063); with
up to 223, 9.18 % and 18.31 % (RTF 0.059/0.066). Sequential: 8.48 % and 16.77 %."""


Redecode = Callable[[np.ndarray, float, Language], list[Any]]
"""Sequential decoding of a chunk's audio (segments offset by its start, s) in a language."""

T = TypeVar("T")
R = TypeVar("R")

PUNCTUATION = ("\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
"""Marks merged into the next and the previous word (faster-whisper's defaults)."""
_WORD = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9']+")


@dataclass(frozen=True)
class Chunk:
    """A stretch of a window to decode: samples ``[start, end)``, with its VAD speech."""

    start: int
    end: int
    speech: tuple[tuple[int, int], ...]

    @property
    def offset(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def speech_s(self) -> float:
        return sum(e - s for s, e in self.speech) / SAMPLE_RATE

    @property
    def speech_end(self) -> float:
        return self.speech[-1][1] / SAMPLE_RATE

    def audio(self, samples: np.ndarray) -> np.ndarray:
        """The chunk's speech regions end to end, the pauses between them left out."""
        return np.concatenate([samples[s:e] for s, e in self.speech])

    def at(self, t: float) -> float:
        """The window's time of ``t`` seconds into ``audio``."""
        rest = t * SAMPLE_RATE
        for s, e in self.speech:
            if rest <= e - s:
                return (s + rest) / SAMPLE_RATE
            rest -= e - s
        return self.speech_end


@dataclass(frozen=True)
class Decoded:
    """A chunk's decoding: its language and faster-whisper segments on the window's time line."""

    chunk: Chunk
    language: Language
    segments: list[Any]
    capped: bool = False
    """The decoding reached ``token_cap`` without ending: a loop, or cut short."""


@dataclass
class BatchStats:
    """What batched decoding did, for the log and the transcript's settings."""

    chunks: int = 0
    short: int = 0
    split: int = 0
    """Short chunks mended in a batch, none of their speech decoded sequentially: the speech
    after their last word, or their two halves (cut at the longest pause)."""
    redecoded_longer: int = 0
    details: list[str] = field(default_factory=list)


def chunks(samples: np.ndarray, vad: dict[str, Any], chunk_s: float = CHUNK_S) -> list[Chunk]:
    """Chunks of at most ``chunk_s`` of speech, cut at VAD pauses, covering all speech.

    Args:
        samples: the window's audio, 16 kHz mono.
        vad: faster-whisper VAD settings (threshold, min_silence_duration_ms, speech_pad_ms).
    """
    limit = int(chunk_s * SAMPLE_RATE)
    out: list[Chunk] = []
    group: list[tuple[int, int]] = []
    for s, e in speech_regions(samples, vad, PACK_SILENCE_MS, chunk_s - 1):
        if group and sum(b - a for a, b in group) + e - s > limit:
            out.append(Chunk(group[0][0], group[-1][1], tuple(group)))
            group = []
        group.append((s, e))
    if group:
        out.append(Chunk(group[0][0], group[-1][1], tuple(group)))
    return out


def halves(chunk: Chunk, samples: np.ndarray) -> tuple[Chunk, Chunk] | None:
    """``chunk`` cut in two at its longest pause, or at its quietest 20 ms in the middle half
    when it is one stretch of speech; ``None`` when it is too short to cut.

    Whisper stops early or loops far more often on a long chunk than on a short one, so a
    chunk that came back short is first decoded again as two halves, in a batch with the
    others; only a half that is still short is decoded sequentially (2-8 s each on 2 cores,
    with the temperature fallback).
    """
    if chunk.speech_s < HALVE_S:
        return None
    if len(chunk.speech) >= 2:
        gaps = [chunk.speech[i + 1][0] - chunk.speech[i][1] for i in range(len(chunk.speech) - 1)]
        k = gaps.index(max(gaps)) + 1
        first, second = chunk.speech[:k], chunk.speech[k:]
        return Chunk(chunk.start, first[-1][1], first), Chunk(second[0][0], chunk.end, second)
    start, end = chunk.speech[0]
    frame = SAMPLE_RATE // 50
    lo, hi = start + (end - start) // 4, end - (end - start) // 4
    energy = [float(np.square(samples[i : i + frame]).mean()) for i in range(lo, hi - frame, frame)]
    cut = lo + frame * energy.index(min(energy)) + frame // 2
    return Chunk(chunk.start, cut, ((start, cut),)), Chunk(cut, chunk.end, ((cut, end),))


def max_length(cap: int, prompt: int) -> int:
    """CTranslate2's ``max_length`` that lets a Whisper decoding with a ``prompt`` tokens long
    prompt take ``cap`` new tokens.

    Its Whisper decoder generates at most ``max_length // 2`` new tokens (measured: 448 -> 224,
    160 -> 80 with a 53-token prompt, 121 -> 60 with a 3-token one), and its prompt counts
    toward ``max_length`` too: with a 44-token prompt 52 gave 9 new tokens, and with a prompt
    of 54 or more none at all (no sequence: a crash before a short chunk had a previous text)."""
    return max(2 * cap, prompt + cap)


def token_cap(seconds: float, language: str) -> int:
    """Most new tokens a decoding of ``seconds`` of ``language`` audio may take."""
    return ceil(seconds * TOKENS_PER_S.get(language, max(TOKENS_PER_S.values()))) + TOKEN_PAD


def count_words(text: str, language: str) -> int:
    """Characters (Chinese) and words (Latin script): the unit of a language's rate."""
    return len(_WORD.findall(text))


def _text(segments: Sequence[Any]) -> str:
    return " ".join(s.text.strip() for s in segments)


def _loops(done: Decoded) -> str | None:
    """Why ``done`` is a loop: it reached its token cap, or its text compresses too well."""
    from faster_whisper.transcribe import get_compression_ratio

    if done.capped:
        return "reached its token cap, a loop"
    text = _text(done.segments)
    ratio = get_compression_ratio(text) if text else 0.0
    return f"compression ratio {ratio:.1f}, a loop" if ratio > COMPRESSION_RATIO else None


def _failed(done: Decoded) -> str | None:
    """Why ``done`` fails Whisper's own checks (sequential decoding would fall back to
    sampling): a loop, or a low average log probability that is not silence."""
    loops = _loops(done)
    if loops is not None or not done.segments:
        return loops
    first = done.segments[0]  # every segment of a chunk has the chunk's figures
    if first.avg_logprob < LOGPROB and first.no_speech_prob <= NO_SPEECH:
        return f"average log probability {first.avg_logprob:.2f}"
    return None


@dataclass(frozen=True)
class Short:
    """Why a chunk's decoding came back short or failed (``is_short``)."""

    why: str
    rest: Chunk | None = None
    """The chunk's speech after its last word, when only that is missing (Whisper stopped
    early, every word before it at the expected rate): only this is decoded again."""

    def __str__(self) -> str:
        return self.why


def is_short(done: Decoded, expected: float) -> Short | None:
    """Why ``done`` came back short or failed, or ``None``.

    Failed: Whisper's checks (``_failed``); batched decoding has no temperature fallback.
    Short: its rate is below ``SHORT_SHARE`` of ``expected``, or its last word ends
    ``TAIL_S`` before its speech does (Whisper stopped early; ``Short.rest``).
    """
    chunk = done.chunk
    failed = _failed(done)
    if failed is not None:
        return Short(failed)
    if chunk.speech_s < MIN_SPEECH_S:
        return None
    n = count_words(_text(done.segments), done.language)
    rate = n / chunk.speech_s
    if rate < SHORT_SHARE * expected:
        return Short(f"{rate:.2f}/s against {expected:.2f}/s expected")
    last = _last_word(done.segments, chunk.offset)
    if last < chunk.speech_end - TAIL_S:
        return Short(f"last word at {last:.1f} s, speech until {chunk.speech_end:.1f} s", rest(chunk, last))
    return None


def rest(chunk: Chunk, after: float) -> Chunk:
    """The speech of ``chunk`` after ``after`` seconds (the window's time line)."""
    cut = int(after * SAMPLE_RATE)
    speech = tuple((max(s, cut), e) for s, e in chunk.speech if e > cut)  # not empty: cut < speech end
    return Chunk(speech[0][0], chunk.end, speech)


def _last_word(segments: Sequence[Any], default: float) -> float:
    ends = [w.end for s in segments for w in (s.words or ())] or [s.end for s in segments]
    return float(max(ends, default=default))


def _redecode(done: Decoded, samples: np.ndarray, redecode: Redecode) -> list[Any]:
    """A short chunk decoded sequentially; then, if that too stops ``TAIL_S`` before the
    speech ends (Whisper can end a window early whichever way it is decoded), the rest of
    the chunk after the last word, decoded on its own."""
    chunk = done.chunk
    again = redecode(samples[chunk.start : chunk.end], chunk.offset, done.language)
    last = max(_last_word(again, chunk.offset), _last_word(done.segments, chunk.offset))
    if last < chunk.speech_end - TAIL_S:
        cut = max(chunk.start, min(chunk.end, int(last * SAMPLE_RATE)))
        rest = redecode(samples[cut : chunk.end], cut / SAMPLE_RATE, done.language)
        kept = [s for s in again if s.end <= last + 0.01]
        again = kept + [s for s in rest if s.start >= last - 0.01] if rest else again
    return again


def _expected(language: str, rates: Sequence[float]) -> float:
    return statistics.median(rates) if len(rates) >= NEIGHBOURS else LANGUAGE_RATE[language]


def decode_batch(
    model: Any,
    samples: np.ndarray,
    batch: Sequence[Chunk],
    detect: Callable[[Any], list[Language]],
    home: Language,
    kwargs: dict[str, Any],
    previous: Sequence[Decoded | None] | None = None,
) -> list[Decoded]:
    """Decode ``batch`` in one pass: encode once, pick each chunk's language, decode per language.

    Args:
        model: a faster-whisper ``WhisperModel``.
        samples: the window's audio; chunks index into it.
        detect: each chunk's language (zh or en) from the encoder output.
        home: the recording's language (the initial prompt is only given to it).
        kwargs: ``transcribe._decode_kwargs`` (beam size, prompt, hotwords, word timestamps).
        previous: the decoding of the chunk before each chunk, if there is one: its text is
            the chunk's previous text, as in sequential decoding (``_context``).
    """
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import Segment, Word, get_ctranslate2_storage, get_suppressed_tokens

    audio = [c.audio(samples) for c in batch]
    features = np.stack([pad_or_trim(model.feature_extractor(a)[..., :-1]) for a in audio])
    steps = range(0, len(batch), ENCODE_AT_ONCE)
    encoded = get_ctranslate2_storage(
        np.concatenate([np.asarray(model.encode(features[k : k + ENCODE_AT_ONCE])) for k in steps])
    )
    languages = detect(encoded) if model.model.is_multilingual else [home] * len(batch)
    out: list[Decoded | None] = [None] * len(batch)
    before = [_context(p, lang) for p, lang in zip(previous or [None] * len(batch), languages, strict=True)]
    # CTranslate2 decodes a batch only if its prompts are of one length: chunks with a
    # previous text are decoded apart from those without, with as many of its last tokens each
    groups = [(lang, bool(p)) for lang, p in zip(languages, before, strict=True)]
    for group in dict.fromkeys(groups):
        language = group[0]
        idx = [i for i, g in enumerate(groups) if g == group]
        part = encoded if len(idx) == len(batch) else get_ctranslate2_storage(np.asarray(encoded)[idx])
        multilingual = model.model.is_multilingual
        tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language=language)
        prompt_text = kwargs.get("initial_prompt") if language == home else None
        initial = tokenizer.encode(" " + prompt_text.strip()) if prompt_text else []
        keep = min(CONTEXT_TOKENS, *(len(before[i]) for i in idx))
        hotwords = kwargs.get("hotwords")
        texts = [initial + before[i][len(before[i]) - keep :] for i in idx]
        prompts = [model.get_prompt(tokenizer, t, not TIMESTAMPS, hotwords=hotwords) for t in texts]
        cap = token_cap(max(len(audio[i]) for i in idx) / SAMPLE_RATE, language)
        results = model.model.generate(
            part, prompts, beam_size=kwargs["beam_size"],
            max_length=min(model.max_length, max_length(cap, len(prompts[0]))),
            suppress_blank=True, suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            return_scores=True, return_no_speech_prob=True,
        )  # fmt: skip
        segmented, sizes, capped = [], [], set()
        for i, result in zip(idx, results, strict=True):
            # no sequence when the prompt left no room (a glossary of over 400 tokens): failed
            tokens = result.sequences_ids[0] if result.sequences_ids else []
            duration = len(audio[i]) / SAMPLE_RATE
            if not result.sequences_ids or len(tokens) >= token_cap(duration, language):
                capped.add(i)
            sizes.append(int(ceil(duration) * model.frames_per_second))
            logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else 0.0
            # times relative to the chunk's packed audio (word times are offset by "seek");
            # mapped to the window's time line below
            segmented.append(
                [
                    {**sub, "seek": 0, "avg_logprob": logprob, "no_speech_prob": result.no_speech_prob}
                    for sub in model._split_segments_by_timestamps(
                        tokenizer=tokenizer, tokens=tokens, time_offset=0.0,
                        segment_size=sizes[-1], segment_duration=duration, seek=0,
                    )[0]
                ]
            )  # fmt: skip
        if kwargs.get("word_timestamps"):
            model.add_word_timestamps(segmented, tokenizer, part, sizes, *PUNCTUATION, 0.0)
        for i, subs in zip(idx, segmented, strict=True):
            at = batch[i].at
            segs = [
                Segment(
                    id=0,
                    seek=int(batch[i].offset * model.frames_per_second),
                    start=at(s["start"]),
                    end=at(s["end"]),
                    text=tokenizer.decode([t for t in s["tokens"] if t < tokenizer.eot]),
                    tokens=s["tokens"],
                    avg_logprob=s["avg_logprob"],
                    compression_ratio=0.0,
                    no_speech_prob=s["no_speech_prob"],
                    temperature=0.0,
                    words=[
                        Word(at(float(w["start"])), at(float(w["end"])), w["word"], float(w["probability"]))
                        for w in s.get("words", ())
                    ]
                    or None,
                )
                for s in subs
            ]
            out[i] = Decoded(batch[i], language, [s for s in segs if s.text.strip()], i in capped)
    return [d for d in out if d is not None]


def _context(before: Decoded | None, language: Language) -> list[int]:
    """The previous text a chunk is decoded with: the tokens of the chunk ``before`` it, none
    if that failed or is in another language (sequential decoding drops the previous text
    after a failed window, and ``transcribe._gated`` across a change of language)."""
    if before is None or before.language != language or _failed(before) is not None:
        return []
    return [t for s in before.segments for t in s.tokens]


def _map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``fn`` over ``items``, in order, ``workers`` at a time (threads: the model's CTranslate2
    workers decode side by side, the GIL released)."""
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="memo-decode") as pool:
        return list(pool.map(fn, items))


def _decode(
    batch: Sequence[Chunk], decode: Callable[[Sequence[Chunk]], list[Decoded]], workers: int
) -> list[Decoded]:
    """``batch`` decoded in ``workers`` contiguous parts at once (``decode`` each)."""
    size = ceil(len(batch) / max(1, workers))
    parts = [batch[k : k + size] for k in range(0, len(batch), size)]
    return [d for part in _map(decode, parts, workers) for d in part]


def _ahead(
    batches: Sequence[Sequence[Chunk]], decode: Callable[[Sequence[Chunk]], list[Decoded]], overlap: bool
) -> Iterator[tuple[Sequence[Chunk], list[Decoded]]]:
    """Each batch with its decoding. With ``overlap``, every batch is queued for decoding at
    once (one after the other, in the background) while the caller mends the ones already
    done, so no worker waits beside a long sequential re-decode (a looping chunk's
    temperature fallback took 8 s of the 10-minute meeting's 33)."""
    if not overlap:
        yield from ((b, decode(b)) for b in batches)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="memo-ahead") as pool:
        pending = [pool.submit(decode, b) for b in batches]
        try:
            for batch, decoded in zip(batches, pending, strict=True):
                yield batch, decoded.result()
        finally:
            for later in pending:  # the caller stopped early (an error): decode no more
                later.cancel()


def segments(
    model: Any,
    samples: np.ndarray,
    detect: Callable[[Any], list[Language]],
    home: Language,
    kwargs: dict[str, Any],
    batch_size: int,
    redecode: Redecode,
    stats: BatchStats,
    chunk_s: float = CHUNK_S,
    workers: int = 1,
    done: Callable[[float], None] | None = None,
) -> Iterator[Any]:
    """faster-whisper segments of one window, decoded ``batch_size`` chunks at a time.

    With ``condition_on_previous_text`` in ``kwargs`` the batches are ``streams`` and each
    chunk has the text of the chunk before it; the segments still come in time order, a
    chunk's as soon as every chunk before it is decoded and mended.

    Args:
        redecode: sequential decoding of a chunk's audio (segments offset by its start, s) in
            the language its batch found for it.
        stats: counts what happened (chunks, short chunks, re-decodes that found more).
        workers: decodings run at once: the model's CTranslate2 workers (``num_workers``).
        done: called after each batch is decoded and mended with the share (0-1] of the
            window's speech decoded so far. The segments cannot tell it: with streams, the
            first batch of three holds a third of the speech but lets one chunk's segments out.
    """
    vad = kwargs["vad_parameters"]
    found = chunks(samples, vad, chunk_s)
    index = {c: i for i, c in enumerate(found)}
    rates: dict[str, list[float]] = {"zh": [], "en": []}
    known: dict[int, Decoded] = {}  # decodings of the batches before: the previous texts
    conditioned = CONTEXT_TOKENS > 0 and bool(kwargs.get("condition_on_previous_text"))

    def rate(d: Decoded) -> float:
        return count_words(_text(d.segments), d.language) / max(d.chunk.speech_s, 1e-3)

    def decode(part: Sequence[Chunk]) -> list[Decoded]:
        before = [known.get(index[c] - 1) if conditioned else None for c in part]
        return decode_batch(model, samples, part, detect, home, kwargs, before)

    def plain(part: Sequence[Chunk]) -> list[Decoded]:  # rests and halves: no text before them
        return decode_batch(model, samples, part, detect, home, kwargs)

    def decode_all(batch: Sequence[Chunk]) -> list[Decoded]:
        # batches are decoded one after the other (``_ahead``: in order, on one thread), so
        # the chunks before this batch's are in ``known``, though perhaps not yet mended
        out = _decode(batch, decode, workers)
        known.update((index[d.chunk], d) for d in out)
        return out

    order = (
        streams(len(found), batch_size)
        if conditioned
        else [list(range(k, min(k + batch_size, len(found)))) for k in range(0, len(found), batch_size)]
    )
    ready: dict[int, list[Any]] = {}
    seen: set[int] = set()
    emitted = 0
    speech = sum(c.speech_s for c in found)
    decoded_s = 0.0
    for batch, decoded in _ahead([[found[i] for i in b] for b in order], decode_all, workers > 1):
        stats.chunks += len(batch)
        seen.update(index[c] for c in batch)
        mine = {id(d): rate(d) for d in decoded if d.chunk.speech_s >= MIN_SPEECH_S}
        short: dict[int, Short] = {}
        for d in decoded:
            others = [
                mine[id(e)] for e in decoded if e is not d and e.language == d.language and id(e) in mine
            ]
            expected = _expected(d.language, rates[d.language][-2 * batch_size :] + others)
            why = is_short(d, expected)
            if why is not None:
                short[id(d)] = why
            elif id(d) in mine:
                rates[d.language].append(mine[id(d)])
        todo = [(d, short[id(d)]) for d in decoded if id(d) in short]
        mended = _mend(todo, plain, samples, batch_size, redecode, rates, stats, workers)
        for d in decoded:
            ready[index[d.chunk]] = _chosen(d, short.get(id(d)), mended.get(id(d)), stats)
        decoded_s += sum(c.speech_s for c in batch)
        if done is not None:
            done(decoded_s / speech)
        # in time order: a chunk as soon as every chunk before it is decoded
        while emitted in seen:
            yield from ready.pop(emitted, [])
            emitted += 1


def streams(n: int, batch_size: int) -> list[list[int]]:
    """Batches of ``n`` chunk indices in which each chunk's predecessor is in the batch before.

    The chunks are cut into ``batch_size`` runs of consecutive chunks (streams), and batch
    ``k`` holds the ``k``-th chunk of every stream: only the first chunk of a stream is decoded
    without the text before it, and the batches are as full as consecutive ones.
    """
    if n == 0:
        return []
    runs = np.array_split(np.arange(n), min(batch_size, n))  # the first ones one chunk longer
    return [[int(run[k]) for run in runs if k < len(run)] for k in range(len(runs[0]))]


def _chosen(d: Decoded, why: Short | None, again: list[Any] | None, stats: BatchStats) -> list[Any]:
    """The segments kept of chunk ``d``: its own, or, if it came back short (``why``), those
    of its second decoding (``again``) when that found more words or ``d`` failed."""
    if why is None or again is None:
        return list(d.segments)
    segs = d.segments
    before, after = count_words(_text(segs), d.language), count_words(_text(again), d.language)
    note = (
        f"chunk {d.chunk.offset:.1f}-{d.chunk.end / SAMPLE_RATE:.1f} s came back short "
        f"({why}); decoded again: {before} -> {after} words"
    )
    logger.info(note)
    stats.details.append(note)
    # A failed chunk takes the second decoding, even an empty one (a loop has more
    # words; on music-like tones a loop was all there was); a short one the longer.
    if after > before or _failed(d) is not None:
        stats.redecoded_longer += after > before
        return list(again)
    return list(segs)


def _mend(
    short: list[tuple[Decoded, Short]],
    decode: Callable[[Sequence[Chunk]], list[Decoded]],
    samples: np.ndarray,
    batch_size: int,
    redecode: Redecode,
    rates: dict[str, list[float]],
    stats: BatchStats,
    workers: int = 1,
) -> dict[int, list[Any]]:
    """The short chunks decoded again, keyed by ``id`` of the short chunk's decoding.

    A chunk that only stopped early keeps its words and has the speech after them decoded
    (``Short.rest``); any other is decoded again as its two halves. Rests and halves are
    decoded in batches. A part still short is decoded sequentially; a chunk with a part
    that loops, or without halves, is decoded again whole, sequentially. The sequential
    re-decodes run ``workers`` at a time.

    Args:
        decode: a batch of rests and halves decoded (``decode_batch``).
    """
    stats.short += len(short)
    split: dict[int, tuple[Chunk, ...] | None] = {
        id(d): (why.rest,) if why.rest is not None else halves(d.chunk, samples) for d, why in short
    }
    parts = [h for pair in split.values() if pair for h in pair]
    done: dict[Chunk, Decoded] = {}
    for k in range(0, len(parts), batch_size):
        again = _decode(parts[k : k + batch_size], decode, workers)
        done.update((p.chunk, p) for p in again)
    # Each short chunk's segments in order: a list is kept as it is; a Decoded is decoded
    # again sequentially, all of them together below.
    plans: dict[int, list[list[Any] | Decoded]] = {}
    for d, why in short:
        pair = split[id(d)]
        if pair is None or any(h not in done for h in pair):
            plans[id(d)] = [d]
            continue
        still = {h: is_short(done[h], _expected(done[h].language, rates[done[h].language][-2 * batch_size :]))
                 for h in pair}  # fmt: skip
        if any(_loops(done[h]) for h in pair):
            # A part that loops is decoded again with the words around it: a tongue twister's
            # rest looped in its batch, then decoded alone lost 16 points of CER.
            logger.info("chunk %.1f-%.1f s: a part of it loops; decoded again whole", d.chunk.offset,
                        d.chunk.end / SAMPLE_RATE)  # fmt: skip
            plans[id(d)] = [d]
            continue
        pieces: list[list[Any] | Decoded] = [list(d.segments)] if why.rest is not None else []
        for h in pair:
            if still[h] is None:
                pieces.append(list(done[h].segments))
            else:
                end = h.end / SAMPLE_RATE
                logger.info("%.1f-%.1f s still short (%s); decoded sequentially", h.offset, end, still[h])
                pieces.append(done[h])
        stats.split += all(w is None for w in still.values())
        plans[id(d)] = pieces
    jobs = [p for pieces in plans.values() for p in pieces if isinstance(p, Decoded)]
    redone = _map(lambda job: _redecode(job, samples, redecode), jobs, workers)
    found = {id(job): segs for job, segs in zip(jobs, redone, strict=True)}
    return {
        key: [s for p in pieces for s in (found[id(p)] if isinstance(p, Decoded) else p)]
        for key, pieces in plans.items()
    }
