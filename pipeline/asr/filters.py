"""Filters against invented text: known hallucination phrases and repetition loops.

Nothing is silently dropped: each removal comes back as a ``RemovedSegment`` with
its reason, and the transcript keeps them for the audit view.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from importlib import resources

from ..script import to_script
from ..types import Language, RemovedSegment, Segment

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# A unit of 1-12 characters (or words) repeated 4+ times in a row: Whisper's decoding loop.
# A single character needs 6+: a spoken phone number holds "八八八八" (seen in the corpus).
_LOOP_CHARS = re.compile(r"(.{1,12}?)\1{3,}", re.DOTALL)
_LOOP_WORDS = re.compile(r"\b((?:\w+[\s,.]+){1,6}?)\1{3,}", re.IGNORECASE)
LOW_CONFIDENCE_LOGPROB = -1.0
LIKELY_SILENCE = 0.6
LOW_WORD_PROBABILITY = 0.4
"""Mean word probability below which a low-log-probability segment is taken as invented."""
MIN_SINGLE_CHAR_LOOP = 6
MAX_RATE = {"zh": 20.0, "en": 8.0}
"""Characters (zh) or words (en) per second no one speaks: text squeezed into no time is
what Whisper writes after the end of the audio (seen on 1-2 s clips)."""
TAIL_S = 1.0
"""The rate check applies only this close to the end of the audio: elsewhere word timings
of fast or noisy real speech are often squeezed too (a noisy phone call lost twelve real
sentences to it)."""
_HAN = re.compile(r"[\u3400-\u9fff]")
OVERLAP_S = 0.5
"""A segment starting this much before the previous one ends is decoding its audio again."""


def _units(text: str, language: Language) -> int:
    return len(_HAN.findall(text)) if language == "zh" else len(text.split())


def _key(text: str, language: Language) -> str:
    text = to_script(text, "hans") if language == "zh" else text
    return _PUNCT.sub("", text).lower()


@functools.lru_cache(maxsize=1)
def _phrases() -> dict[str, frozenset[str]]:
    raw = json.loads(resources.files("pipeline.asr.data").joinpath("hallucinations.json").read_text("utf-8"))
    return {lang: frozenset(_key(p, lang) for p in raw[lang]) for lang in ("zh", "en")}


def is_known_hallucination(text: str, language: Language) -> bool:
    """True when the text is nothing but a phrase Whisper invents over silence or music."""
    key = _key(text, language)
    if not key:
        return False
    phrases = _phrases()[language] | _phrases()["zh" if language == "en" else "en"]
    return key in phrases or any(len(p) >= 6 and p in key and len(key) <= len(p) + 6 for p in phrases)


def echoes_prompt(text: str, prompt: str | None, language: Language) -> bool:
    """True when the text is the initial prompt, or a piece of it, read back.

    Over music or noise Whisper may "transcribe" its prompt instead of the audio.
    """
    if not prompt:
        return False
    key, p = _key(text, language), _key(prompt, language)
    return len(key) >= max(4, len(p) // 3) and key in p


def collapse_loops(text: str) -> str:
    """Collapse a unit repeated four or more times in a row to a single occurrence."""
    # A space at the end lets the last unit of a loop count without its separator.
    looped = _LOOP_WORDS.sub(r"\1", text + " ")
    text = looped[:-1] if looped.endswith(" ") else looped.rstrip()
    return _LOOP_CHARS.sub(_collapse_chars, text)


def _collapse_chars(m: re.Match[str]) -> str:
    unit, whole = m.group(1), m.group(0)
    if len(unit) == 1 and len(whole) < MIN_SINGLE_CHAR_LOOP:
        return whole
    return unit


def clean_segment(
    seg: Segment, language: Language, prompt: str | None = None, audio_end: float | None = None
) -> tuple[Segment | None, RemovedSegment | None]:
    """Apply the filters to one segment.

    Args:
        seg: a segment as the model wrote it.
        language: the transcript's language.
        prompt: the initial prompt the model was given (text that only repeats it is removed).
        audio_end: where the audio the model was given ends, in seconds; text squeezed
            into no time just before it is removed. ``None`` skips that check.

    Returns:
        The segment to keep (possibly with a collapsed loop) or ``None``, and what was
        removed with the reason, if anything.
    """
    text = seg.text.replace("\ufffd", "").strip()  # a broken UTF-8 byte the model ended on
    if text != seg.text.strip():
        seg = replace(seg, text=text)
    if not _PUNCT.sub("", text):
        return None, RemovedSegment(seg.start, seg.end, seg.text, "empty")
    if is_known_hallucination(text, language):
        return None, RemovedSegment(seg.start, seg.end, seg.text, "known hallucination phrase")
    if echoes_prompt(text, prompt, language):
        return None, RemovedSegment(seg.start, seg.end, seg.text, "repeats the initial prompt")
    if (
        seg.no_speech_prob is not None
        and seg.avg_logprob is not None
        and seg.no_speech_prob > LIKELY_SILENCE
        and seg.avg_logprob < LOW_CONFIDENCE_LOGPROB
    ):
        return None, RemovedSegment(seg.start, seg.end, seg.text, "low confidence over silence")
    probs = [w.probability for w in seg.words if w.probability is not None]
    if (
        seg.avg_logprob is not None
        and seg.avg_logprob < LOW_CONFIDENCE_LOGPROB
        and probs
        and sum(probs) / len(probs) < LOW_WORD_PROBABILITY
    ):
        return None, RemovedSegment(seg.start, seg.end, seg.text, "low confidence words")
    units = _units(text, language)
    at_tail = audio_end is not None and seg.end >= audio_end - TAIL_S
    if at_tail and units >= 4 and units / max(seg.end - seg.start, 0.01) > MAX_RATE[language]:
        return None, RemovedSegment(seg.start, seg.end, seg.text, "too fast to be speech")
    collapsed = collapse_loops(text)
    if collapsed != text:
        removed = RemovedSegment(seg.start, seg.end, seg.text, "repetition loop collapsed")
        return replace(seg, text=collapsed, words=()), removed
    return seg, None


def trim_overlaps(
    segments: Iterable[Segment], removed: list[RemovedSegment] | None = None
) -> Iterator[Segment]:
    """Keep words that two segments both hold once, in the later segment.

    When a 30 s window changes language, faster-whisper can write the first words of the
    next speech at the end of one window and decode them again from an earlier point in
    the next: the memo would say them twice. The earlier segment loses the words that
    start where the later one starts (they go to ``removed``); it needs word timings.
    """
    held: Segment | None = None
    for seg in segments:
        if held is not None and held.words and seg.start < held.end - OVERLAP_S:
            n = sum(1 for w in held.words if w.start < seg.start)
            if n < len(held.words):
                cut = held.words[n:]
                if removed is not None:
                    text = "".join(w.word for w in cut).strip()
                    removed.append(
                        RemovedSegment(cut[0].start, held.end, text, "decoded again by the next window")
                    )
                keep = held.words[:n]
                text = "".join(w.word for w in keep).strip()
                held = replace(held, words=keep, text=text, end=keep[-1].end) if keep else None
        if held is not None:
            yield held
        held = seg
    if held is not None:
        yield held
