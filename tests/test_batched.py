"""Batched decoding: chunks cut at pauses, short chunks decoded again, the samples' words kept.

The tests marked ``e2e`` use the real model on ``samples/`` and check the transcript
against the samples' scripts (``samples/*.timeline.json``: every turn with its time).
A chunk that comes back short cannot be caused on demand, so one test cuts a chunk's
decoding at the seam (``batched.decode_batch``) and checks that it is decoded again.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import re
import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from pipeline.asr import batched
from pipeline.asr.batched import Chunk, Decoded, is_short
from tests.conftest import SAMPLES

SR = batched.SAMPLE_RATE
_UNITS = re.compile(r"[\u3400-\u9fff]|[a-z0-9']+")


def _seg(
    start: float, end: float, text: str, logprob: float = -0.3, no_speech: float = 0.01, tokens: Any = ()
) -> Any:
    words = text.split()
    step = (end - start) / max(len(words), 1)
    timed = [SimpleNamespace(start=start + i * step, end=start + (i + 1) * step) for i in range(len(words))]
    return SimpleNamespace(
        start=start, end=end, text=text, words=timed, avg_logprob=logprob, no_speech_prob=no_speech,
        tokens=list(tokens),
    )  # fmt: skip


def _words(n: int) -> str:
    """``n`` different made-up words (a real transcript does not compress like "word word")."""
    rng = np.random.default_rng(n)
    return " ".join("".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 5)) for _ in range(n))


def _chunk(start_s: float, end_s: float) -> Chunk:
    return Chunk(int(start_s * SR), int(end_s * SR), ((int(start_s * SR), int(end_s * SR)),))


# -- the check for a short chunk (no model) ----------------------------------------------------


def test_a_chunk_at_its_neighbours_rate_is_not_short() -> None:
    done = Decoded(_chunk(0, 10), "en", [_seg(0.2, 9.5, _words(25))])
    assert is_short(done, expected=2.5) is None


def test_a_chunk_far_below_the_expected_rate_is_short() -> None:
    done = Decoded(_chunk(0, 10), "en", [_seg(0.2, 9.5, "only five words said here")])
    assert is_short(done, expected=2.5) is not None


def test_a_chunk_whose_words_end_well_before_its_speech_is_short() -> None:
    done = Decoded(_chunk(0, 20), "en", [_seg(0.2, 12.0, _words(40))])
    why = is_short(done, expected=2.5)
    assert why is not None and "last word" in str(why)
    # Only the speech after the last word is missing: that is what is decoded again.
    assert why.rest is not None and why.rest.start == 12 * SR and why.rest.end == 20 * SR


def test_an_empty_chunk_of_speech_is_short_and_a_cough_is_not() -> None:
    assert is_short(Decoded(_chunk(0, 8), "zh", []), expected=3.0) is not None
    assert is_short(Decoded(_chunk(0, 1), "zh", []), expected=3.0) is None


def test_a_chunk_that_loops_or_has_a_low_log_probability_failed() -> None:
    loop = Decoded(_chunk(0, 10), "en", [_seg(0.2, 9.5, " ".join(["it's my girl,"] * 12))])
    assert "loop" in str(is_short(loop, expected=2.5) or "")
    unsure = Decoded(_chunk(0, 10), "en", [_seg(0.2, 9.5, _words(25), logprob=-1.4)])
    assert "log probability" in str(is_short(unsure, expected=2.5) or "")
    silence = Decoded(_chunk(0, 10), "en", [_seg(0.2, 9.5, _words(25), -1.4, 0.9)])
    assert is_short(silence, expected=2.5) is None


def test_a_decoding_that_reached_its_token_cap_failed() -> None:
    capped = Decoded(_chunk(0, 10), "en", [_seg(0.2, 9.5, _words(25))], capped=True)
    assert "token cap" in str(is_short(capped, expected=2.5) or "")
    # The cap leaves room for the fastest speech measured (a tongue twister: 11 tokens a
    # second) and CTranslate2 stops at half its max_length.
    assert batched.token_cap(20, "zh") >= 20 * 11 and batched.token_cap(28, "en") >= 28 * 6
    assert batched.max_length(batched.token_cap(14, "en"), 3) < 448  # a half is capped below Whisper's limit
    # the prompt counts toward max_length too: 64 tokens of previous text before a 2 s chunk
    cap = batched.token_cap(2, "en")
    assert min(batched.max_length(cap, 68) // 2, batched.max_length(cap, 68) - 68) >= cap


def test_a_chunk_is_its_speech_end_to_end_and_its_times_map_back() -> None:
    samples = np.arange(6 * SR, dtype=np.float32)
    chunk = Chunk(0, 5 * SR, ((0, 1 * SR), (3 * SR, 5 * SR)))  # a 2 s pause left out
    audio = chunk.audio(samples)
    assert len(audio) == 3 * SR and audio[SR] == samples[3 * SR]
    assert [chunk.at(t) for t in (0.5, 1.0, 1.5, 3.0, 9.0)] == [0.5, 1.0, 3.5, 5.0, 5.0]


def test_chinese_is_counted_in_characters() -> None:
    assert batched.count_words("我們是青嶺，OK thanks", "zh") == 7  # 5 characters, 2 words


def test_chunks_hold_at_most_chunk_s_of_speech_in_order_and_cover_the_speech() -> None:
    from pipeline.asr.audio import decode

    samples = decode(SAMPLES / "en-meeting.mp3")
    vad = {"threshold": 0.5, "min_silence_duration_ms": 2000, "speech_pad_ms": 400}
    found = batched.chunks(samples, vad, chunk_s=20.0)
    assert found
    assert all(c.speech_s <= 20 for c in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert all(c.start == c.speech[0][0] and c.end == c.speech[-1][1] for c in found)
    speech = sum(c.speech_s for c in found)
    assert speech > 0.5 * len(samples) / SR


# -- the real model on the samples --------------------------------------------------------------


def _units(text: str) -> list[str]:
    from pipeline.script import to_script

    return _UNITS.findall(to_script(text, "hans").lower())


def _recall(transcript: Any, stem: str) -> tuple[float, list[tuple[int, float]]]:
    """Share of the script's words found in the transcript, overall and per turn of the
    timeline (words of segments within 2 s of the turn's time)."""
    turns = json.loads((SAMPLES / f"{stem}.timeline.json").read_text("utf-8"))
    said = collections.Counter(u for s in transcript.segments for u in _units(s.text))
    ref = collections.Counter(u for t in turns for u in _units(t["text"]))
    overall = sum((ref & said).values()) / sum(ref.values())
    per_turn = []
    for t in turns:
        want = collections.Counter(_units(t["text"]))
        close = [s for s in transcript.segments if s.end > t["start"] - 2 and s.start < t["end"] + 2]
        near = collections.Counter(u for s in close for u in _units(s.text))
        if sum(want.values()) >= 4:
            per_turn.append((t["turn"], sum((want & near).values()) / sum(want.values())))
    return overall, per_turn


def _transcribe(stem: str, **kw: Any) -> Any:
    from pipeline.asr.transcribe import BATCH_SIZE, TranscribeOptions, transcribe

    path = next(p for p in SAMPLES.iterdir() if p.stem == stem and p.suffix in (".wav", ".mp3"))
    return transcribe(path, TranscribeOptions(**{"batch_size": BATCH_SIZE, **kw}))


@pytest.fixture(scope="module")
def batched_samples() -> dict[str, Any]:
    return {stem: _transcribe(stem) for stem in ("zh-hant-meeting", "en-meeting")}


@pytest.mark.e2e
def test_batched_decoding_counts_its_chunks(batched_samples: dict[str, Any]) -> None:
    for tr in batched_samples.values():
        assert tr.settings["batch_size"] > 0
        assert tr.settings["batched"]["chunks"] >= 5


@pytest.mark.e2e
@pytest.mark.parametrize("stem", ["zh-hant-meeting", "en-meeting"])
def test_batched_decoding_keeps_the_words_of_every_turn(batched_samples: dict[str, Any], stem: str) -> None:
    overall, per_turn = _recall(batched_samples[stem], stem)
    # Sequential decoding finds 87.3 % (zh) and 87.7 % (en) of the scripts' words and
    # characters (fillers the scripts spell out, "uh", are rarely written by Whisper).
    assert overall >= 0.85
    lost = [(turn, round(r, 2)) for turn, r in per_turn if r < 0.5]
    assert not lost, f"turns whose words were lost: {lost}"


@pytest.mark.e2e
def test_batched_keeps_word_timings_inside_their_segments(batched_samples: dict[str, Any]) -> None:
    for tr in batched_samples.values():
        for s in tr.segments:
            assert s.words, s
            assert s.start <= s.words[0].start + 0.01 and s.words[-1].end <= s.end + 0.01


@pytest.mark.e2e
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one worker either way")
def test_two_workers_write_what_one_writes(batched_samples: dict[str, Any]) -> None:
    from pipeline.asr.transcribe import TranscribeOptions, decode_workers

    assert decode_workers(TranscribeOptions(batch_size=8)) == 2
    alone = _transcribe("en-meeting", cpu_threads=1)  # one worker of one thread
    assert [s.text for s in alone.segments] == [s.text for s in batched_samples["en-meeting"].segments]


def _stop_early(first_words: bool) -> Any:
    """Whisper stopping early in a chunk, at the seam: the second chunk of the first batch
    keeps only the first two words of its first segment (``first_words``), or only the
    segments of its first 70 % (its words at the right rate, the rest of its speech missing)."""

    def cut(victim: Decoded) -> Decoded:
        if first_words:
            first = victim.segments[0]
            return replace(victim, segments=[replace(first, text=" ".join(first.text.split()[:2]),
                                                     words=first.words[:2])])  # fmt: skip
        stop = victim.chunk.offset + 0.7 * (victim.chunk.end / SR - victim.chunk.offset)
        return replace(victim, segments=[s for s in victim.segments if s.end <= stop])

    return cut


@pytest.mark.e2e
@pytest.mark.parametrize("first_words", [True, False], ids=["two-words-left", "stopped-early"])
def test_a_chunk_that_came_back_short_is_decoded_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, first_words: bool
) -> None:
    real = batched.decode_batch
    cut: list[Chunk] = []
    stop = _stop_early(first_words)

    later: list[Chunk] = []  # what was decoded in batches after the cut
    lock = threading.Lock()  # parts of a batch are decoded by two workers at once

    def lose_a_chunk(*args: Any, **kwargs: Any) -> list[Decoded]:
        out = real(*args, **kwargs)
        with lock:
            later.extend(d.chunk for d in out if cut)
            if not cut and len(out) > 2 and len(out[1].segments) >= 3:
                out[1] = stop(out[1])
                cut.append(out[1].chunk)
        return out

    monkeypatch.setattr(batched, "decode_batch", lose_a_chunk)
    with caplog.at_level(logging.INFO, logger="pipeline.asr"):
        tr = _transcribe("en-meeting")
    assert cut, "the seam was not reached"
    assert tr.settings["batched"]["short"] >= 1
    assert tr.settings["batched"]["redecoded_longer"] >= 1
    said = [r.getMessage() for r in caplog.records]
    assert any("came back short" in m for m in said)
    if not first_words:  # only the speech after its last word was decoded again, in a batch
        assert any("came back short (last word at" in m for m in said), said
        assert tr.settings["batched"]["split"] >= 1
        assert any(c.end == cut[0].end for c in later) and not any(c.start == cut[0].start for c in later)
    lo, hi = cut[0].offset, cut[0].end / SR
    inside = [s for s in tr.segments if lo - 0.5 <= s.start and s.end <= hi + 0.5]
    assert sum(len(s.text.split()) for s in inside) >= 0.5 * batched.LANGUAGE_RATE["en"] * cut[0].speech_s
    overall, _ = _recall(tr, "en-meeting")
    assert overall >= 0.85


def test_fake_segments_are_shifted_with_their_words() -> None:
    from faster_whisper.transcribe import Segment, Word

    from pipeline.asr.transcribe import _shifted

    s = Segment(0, 0, 1.0, 2.0, "hi", [], 0.0, 0.0, 0.0, [Word(1.0, 1.5, "hi", 0.9)], 0.0)
    moved = _shifted(s, 10.0)
    assert (moved.start, moved.end, moved.words[0].start) == (11.0, 12.0, 11.0)
    assert np.isclose(moved.words[0].end, 11.5)


def test_the_default_decoding_is_chosen_per_language_and_either_is_a_setting(tmp_path: Path) -> None:
    from pipeline.asr.options import BATCH_SIZE, for_language
    from pipeline.cli import common
    from pipeline.config import load_settings
    from pipeline.errors import ConfigError

    default = common.transcribe_options(load_settings(user_file=tmp_path / "none"))
    assert default.batch_size < 0
    assert for_language(default, "zh").batch_size == BATCH_SIZE
    assert for_language(default, "en").batch_size == 0
    for decoding, size in (("batched", BATCH_SIZE), ("sequential", 0)):
        chosen = common.transcribe_options(
            load_settings(user_file=tmp_path / "none", overrides={"decoding": decoding})
        )
        assert chosen.batch_size == size
        assert for_language(chosen, "zh").batch_size == for_language(chosen, "en").batch_size == size
    (tmp_path / "memo.toml").write_text('decoding = "parallel"\n')
    with pytest.raises(ConfigError, match="expected one of: auto, batched, sequential"):
        load_settings(user_file=tmp_path / "memo.toml")


def test_a_short_chunk_is_halved_at_its_longest_pause() -> None:
    speech = ((0, 3 * SR), (int(3.2 * SR), 8 * SR), (9 * SR, 14 * SR))  # pauses of 0.2 s and 1 s
    first, second = batched.halves(Chunk(0, 14 * SR, speech), np.zeros(14 * SR, np.float32)) or ()
    assert (first.start, first.end, first.speech) == (0, 8 * SR, speech[:2])
    assert (second.start, second.end, second.speech) == (9 * SR, 14 * SR, speech[2:])


def test_one_stretch_of_speech_is_halved_at_its_quietest_moment_in_the_middle() -> None:
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.3, 20 * SR).astype(np.float32)
    audio[int(11.5 * SR) : int(11.6 * SR)] = 0.0  # a breath, inside the middle half
    audio[int(2.0 * SR) : int(2.2 * SR)] = 0.0  # quieter and longer, but near the start: not a cut
    first, second = batched.halves(Chunk(0, 20 * SR, ((0, 20 * SR),)), audio) or ()
    assert 11.5 * SR <= first.end == second.start <= 11.6 * SR
    assert first.start == 0 and second.end == 20 * SR


def test_a_chunk_too_short_to_halve_is_decoded_again_whole() -> None:
    assert batched.halves(Chunk(0, 2 * SR, ((0, 2 * SR),)), np.zeros(2 * SR, np.float32)) is None


# -- mending a short chunk (the model replaced at its seam) -------------------------------------


def _mend(done: Decoded, decoded_again: Any) -> tuple[Any, ...]:
    """``batched._mend`` of one short chunk: the parts it decoded in a batch (each given
    ``decoded_again(part)``), the sequential decodings it asked for (start s, samples), what it
    gave, and its stats."""
    batches: list[Chunk] = []
    sequential: list[tuple[float, int]] = []

    def decode(parts: Any) -> list[Decoded]:
        batches.extend(parts)
        return [decoded_again(p) for p in parts]

    def redecode(audio: np.ndarray, at: float, language: str) -> list[Any]:
        sequential.append((at, len(audio)))
        return [_seg(at + 0.1, at + len(audio) / SR - 0.1, _words(int(2.5 * len(audio) / SR)))]

    why = is_short(done, expected=2.5)
    assert why is not None
    stats = batched.BatchStats()
    samples = np.zeros(done.chunk.end, np.float32)
    rates: dict[str, list[float]] = {"en": [], "zh": []}
    out = batched._mend([(done, why)], decode, samples, 8, redecode, rates, stats)
    return batches, sequential, out[id(done)], stats


def _said(part: Chunk) -> Decoded:
    """A part decoded well: words at 2.5 a second up to its end."""
    words = _words(int(2.5 * part.speech_s))
    return Decoded(part, "en", [_seg(part.offset + 0.1, part.end / SR - 0.2, words)])


def test_a_chunk_is_decoded_again_in_the_language_its_batch_found() -> None:
    asked: list[str] = []

    def redecode(audio: np.ndarray, at: float, language: str) -> list[Any]:
        asked.append(language)
        return [_seg(at + 0.1, at + 2.0, "我們 的 工廠")]  # stops early: its rest is decoded too

    done = Decoded(_chunk(0, 20), "zh", [])
    batched._redecode(done, np.zeros(20 * SR, np.float32), redecode)
    assert asked == ["zh", "zh"]


def test_a_chunk_that_stopped_early_keeps_its_words_and_only_the_rest_is_decoded_again() -> None:
    done = Decoded(_chunk(0, 20), "en", [_seg(0.2, 12.0, _words(30))])
    batches, sequential, segs, stats = _mend(done, _said)
    assert [(c.start, c.end) for c in batches] == [(12 * SR, 20 * SR)]
    assert sequential == []
    assert segs[0] is done.segments[0] and segs[1].start >= 12.0
    assert stats.split == 1


def test_a_rest_still_short_is_decoded_sequentially_alone() -> None:
    done = Decoded(_chunk(0, 20), "en", [_seg(0.2, 12.0, _words(30))])
    _batches, sequential, segs, stats = _mend(done, lambda p: Decoded(p, "en", []))
    assert sequential[0] == (12.0, 8 * SR)
    assert segs[0] is done.segments[0] and len(segs) >= 2
    assert stats.split == 0


def test_a_chunk_with_a_part_that_loops_is_decoded_again_whole() -> None:
    done = Decoded(_chunk(0, 20), "en", [_seg(0.2, 12.0, _words(30))])
    looping = lambda p: Decoded(p, "en", [_seg(p.offset, p.end / SR, "yeah " * 40)], capped=True)  # noqa: E731
    _batches, sequential, segs, _stats = _mend(done, looping)
    assert sequential[0] == (0.0, 20 * SR)
    assert "yeah" not in " ".join(s.text for s in segs)


def test_a_short_chunk_under_halve_s_is_decoded_again_whole() -> None:
    small = batched.HALVE_S - 2
    done = Decoded(_chunk(0, small), "en", [_seg(0.2, small - 0.2, "only three words")])
    batches, sequential, _segs, _stats = _mend(done, _said)
    assert batches == [] and sequential[0] == (0.0, int(small * SR))


# -- workers decoding side by side (the model replaced at its seam) ------------------------------


def test_workers_are_per_core_on_a_cpu_whichever_the_decoding() -> None:
    from pipeline.asr.transcribe import TranscribeOptions, decode_workers

    assert decode_workers(TranscribeOptions(batch_size=8, cpu_threads=2)) == 2
    assert decode_workers(TranscribeOptions(batch_size=8, cpu_threads=1)) == 1
    assert decode_workers(TranscribeOptions(batch_size=0, cpu_threads=2)) == 2  # one model serves both
    assert decode_workers(TranscribeOptions(batch_size=8, cpu_threads=2, device="cuda")) == 1


@pytest.mark.e2e
def test_mandarin_and_english_decode_with_one_loaded_model() -> None:
    from pipeline.asr.transcribe import TranscribeOptions, for_language, model_for

    default = TranscribeOptions(cpu_threads=2)
    zh, en = for_language(default, "zh"), for_language(default, "en")
    assert zh.batch_size > 0 and en.batch_size == 0
    assert model_for(zh) is model_for(en)


def _together(n: int) -> threading.Barrier:
    """Passed only when ``n`` threads wait on it at once; a lone one breaks it after 10 s."""
    return threading.Barrier(n, timeout=10)


def test_a_batch_is_shared_among_workers_that_decode_at_once() -> None:
    meet = _together(2)
    parts: list[list[Chunk]] = []

    def decode(part: Any) -> list[Decoded]:
        parts.append(list(part))
        meet.wait()  # raises BrokenBarrierError unless the other part is being decoded too
        return [_said(c) for c in part]

    batch = [_chunk(10 * i, 10 * i + 9) for i in range(7)]
    done = batched._decode(batch, decode, workers=2)
    assert [d.chunk for d in done] == batch  # in order
    assert sorted(len(p) for p in parts) == [3, 4]


def test_one_worker_decodes_a_batch_whole() -> None:
    parts: list[int] = []
    batched._decode([_chunk(0, 9)] * 5, lambda part: parts.append(len(part)) or [], workers=1)
    assert parts == [5]


def test_sequential_re_decodes_run_side_by_side() -> None:
    meet = _together(2)
    small = batched.HALVE_S - 2  # decoded again whole, sequentially

    def redecode(audio: np.ndarray, at: float, language: str) -> list[Any]:
        meet.wait()  # both short chunks are being decoded again at once
        return [_seg(at + 0.1, at + len(audio) / SR - 0.1, _words(int(2.5 * len(audio) / SR)))]

    short = [Decoded(_chunk(t, t + small), "en", [_seg(t + 0.2, t + 1, "two words")]) for t in (0, 20)]
    todo = [(d, is_short(d, expected=2.5)) for d in short]
    samples = np.zeros(30 * SR, np.float32)
    rates: dict[str, list[float]] = {"en": [], "zh": []}
    out = batched._mend(todo, lambda part: [], samples, 8, redecode, rates, batched.BatchStats(), 2)
    for d in short:  # each chunk got its own re-decoding
        assert out[id(d)][0].start == pytest.approx(d.chunk.offset + 0.1)


def test_the_next_batch_is_decoded_while_this_one_is_mended() -> None:
    second_done = threading.Event()
    seen: list[int] = []

    def decode(batch: Any) -> list[Decoded]:
        seen.append(batch[0].start)
        if len(seen) == 2:
            second_done.set()
        return [_said(c) for c in batch]

    batches = [[_chunk(0, 9)], [_chunk(10, 19)], [_chunk(20, 29)]]
    got = []
    for batch, decoded in batched._ahead(batches, decode, overlap=True):
        assert [d.chunk for d in decoded] == batch
        if not got:  # still on the first batch: the second is decoded meanwhile
            assert second_done.wait(10)
        got.append([d.chunk for d in decoded])
    assert got == batches


# -- the text before a chunk (streams) ------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 2, 3, 8])
def test_streams_put_each_chunk_in_the_batch_after_the_one_before_it(batch_size: int) -> None:
    for n in range(30):
        order = batched.streams(n, batch_size)
        assert sorted(i for b in order for i in b) == list(range(n))
        assert all(0 < len(b) <= batch_size for b in order)
        assert len(order) == -(-n // batch_size)  # as many batches as consecutive chunks make
        batch_of = {i: k for k, b in enumerate(order) for i in b}
        first = [i for i in range(n) if i == 0 or batch_of[i - 1] != batch_of[i] - 1]
        assert len(first) == min(batch_size, n)  # only a stream's first chunk has no text before it


def _streamed(
    monkeypatch: pytest.MonkeyPatch, n: int, batch_size: int, conditioned: bool,
    done: Any = None,
) -> tuple[Any, ...]:  # fmt: skip
    """``batched.segments`` over ``n`` chunks of 9 s, decoded at the seam: each chunk's one
    segment has its index as its token. Returns the segments (not yet decoded: a generator),
    the batches decoded (indices) and the decoding each chunk was given as the one before
    it (index or ``None``)."""
    found = [_chunk(10 * i, 10 * i + 9) for i in range(n)]
    monkeypatch.setattr(batched, "chunks", lambda *a: found)
    batches: list[list[int]] = []
    given: dict[int, int | None] = {}

    def decode_batch(model: Any, samples: Any, part: Any, detect: Any, home: Any, kwargs: Any,
                     previous: Any = None) -> list[Decoded]:  # fmt: skip
        batches.append([found.index(c) for c in part])
        out = []
        for c, before in zip(part, previous or [None] * len(part), strict=True):
            given[found.index(c)] = None if before is None else found.index(before.chunk)
            words = _seg(c.offset + 0.2, c.offset + 8.8, _words(22), tokens=[found.index(c)])
            out.append(Decoded(c, "en", [words]))
        return out

    monkeypatch.setattr(batched, "decode_batch", decode_batch)
    kwargs = {"vad_parameters": {}, "condition_on_previous_text": conditioned}
    samples = np.zeros(10 * n * SR, np.float32)
    segs = batched.segments(
        None,
        samples,
        None,
        "en",
        kwargs,
        batch_size,
        None,
        batched.BatchStats(),
        done=done,  # type: ignore[arg-type]
    )
    return segs, batches, given


def test_each_chunk_is_decoded_after_the_one_before_it_with_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    segs, batches, given = _streamed(monkeypatch, n=11, batch_size=4, conditioned=True)
    segs = list(segs)
    assert [s.tokens for s in segs] == [[i] for i in range(11)]  # every chunk, in time order
    assert len(batches) == 3 and all(len(b) <= 4 for b in batches)
    assert all(before in (None, i - 1) for i, before in given.items())
    assert sorted(i for i, before in given.items() if before is None) == [0, 3, 6, 9]  # streams' first


def test_without_the_previous_text_chunks_are_decoded_in_order_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    segs, batches, given = _streamed(monkeypatch, n=11, batch_size=4, conditioned=False)
    segs = list(segs)
    assert [s.tokens for s in segs] == [[i] for i in range(11)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
    assert set(given.values()) == {None}


def test_each_batch_reports_the_share_of_speech_decoded_before_its_segments_catch_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shares: list[float] = []
    segs, batches, _ = _streamed(monkeypatch, n=11, batch_size=4, conditioned=True, done=shares.append)
    first = next(segs)
    # the first batch holds chunks 0, 3, 6 and 9 (streams): only chunk 0 can be given yet,
    # but four chunks of eleven are decoded
    assert first.tokens == [0] and batches == [[0, 3, 6, 9]]
    assert shares == [pytest.approx(4 / 11)]
    assert len(list(segs)) == 10
    assert shares == [pytest.approx(4 / 11), pytest.approx(8 / 11), pytest.approx(1.0)]


def test_a_chunk_is_not_given_the_text_of_a_failed_chunk_or_of_another_language() -> None:
    said = Decoded(_chunk(0, 9), "en", [_seg(0.2, 8.8, _words(22), tokens=[7, 8])])
    assert batched._context(said, "en") == [7, 8]
    assert batched._context(said, "zh") == []
    assert batched._context(None, "en") == []
    failed = Decoded(_chunk(0, 9), "en", [_seg(0.2, 8.8, _words(22), logprob=-1.6, tokens=[7, 8])])
    assert batched._context(failed, "en") == []


@pytest.mark.e2e
def test_chunks_after_others_are_decoded_with_their_text_and_keep_the_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.asr.transcribe import TranscribeOptions, model_for

    model = model_for(TranscribeOptions(batch_size=2))
    prompts: list[list[list[int]]] = []
    lock = threading.Lock()  # two workers decode at once

    class Spy:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def generate(self, features: Any, batch_prompts: Any, **kw: Any) -> Any:
            with lock:
                prompts.append([list(p) for p in batch_prompts])
            return real.generate(features, batch_prompts, **kw)

    real = model.model
    monkeypatch.setattr(model, "model", Spy())
    tr = _transcribe("en-meeting", batch_size=2)
    sot_prev = model.hf_tokenizer.token_to_id("<|startofprev|>")
    given = [p for call in prompts for p in call if p[0] == sot_prev]
    assert len(given) >= tr.settings["batched"]["chunks"] // 2  # all but two streams' first chunks
    sot = model.hf_tokenizer.token_to_id("<|startoftranscript|>")
    for p in given:  # the text before, at most CONTEXT_TOKENS of it, then the task
        assert 1 < p.index(sot) <= 1 + batched.CONTEXT_TOKENS
    overall, per_turn = _recall(tr, "en-meeting")
    assert overall >= 0.85
    assert not [turn for turn, r in per_turn if r < 0.5]


@pytest.mark.e2e
def test_a_short_chunk_after_a_long_text_is_decoded_whole() -> None:
    """A prompt counts toward CTranslate2's ``max_length``: a short turn's token cap once
    left no room after 64 tokens of previous text, and its decoding came back empty (a crash)."""
    from faster_whisper.audio import decode_audio

    from pipeline.asr.transcribe import TranscribeOptions, model_for

    model = model_for(TranscribeOptions(batch_size=8))
    samples = decode_audio(str(SAMPLES / "en-meeting.mp3"))
    turns = json.loads((SAMPLES / "en-meeting.timeline.json").read_text("utf-8"))
    turn = next(t for t in turns if t["start"] > 25 and 1.5 <= t["end"] - t["start"] <= 3)

    def said(chunk: Chunk, previous: Decoded | None = None) -> Decoded:
        kwargs = {"beam_size": 5, "word_timestamps": False}
        (done,) = batched.decode_batch(model, samples, [chunk], lambda e: ["en"], "en", kwargs, [previous])
        return done

    before = said(_chunk(0, 25))
    assert len(batched._context(before, "en")) > batched.CONTEXT_TOKENS  # a long text before
    short = _chunk(turn["start"] - 0.2, turn["end"] + 0.2)
    after = said(short, before)
    assert not after.capped
    words = set(_units(" ".join(s.text for s in after.segments)))
    assert len(words & set(_units(turn["text"]))) >= 0.5 * len(set(_units(turn["text"])))


@pytest.mark.e2e
def test_progress_of_batched_decoding_runs_ahead_of_the_segments(tmp_path: Path) -> None:
    from pipeline.asr.audio import decode
    from pipeline.asr.transcribe import TranscribeOptions, transcribe
    from tests.conftest import write_wav

    clip = write_wav(tmp_path / "clip.wav", decode(SAMPLES / "zh-hant-meeting.wav")[: 80 * SR])
    seen: list[float] = []
    options = TranscribeOptions(language="zh", batch_size=1)
    tr = transcribe(clip, options, progress=lambda done, total: seen.append(done))
    assert tr.settings["batched"]["chunks"] >= 3  # batches of one chunk: three or more batches
    # the first batch's share of the speech is given before its segments (one chunk's)
    assert seen[0] >= 0.2 * tr.source.duration_s > tr.segments[0].end
    assert seen == sorted(seen) and len(seen) >= tr.settings["batched"]["chunks"]
    assert seen[-1] == pytest.approx(tr.source.duration_s, abs=0.1)
