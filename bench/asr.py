"""Transcription quality: ``memo transcribe`` against raw faster-whisper, same model.

Usage: ``python -m bench.asr [--opt NAME=VALUE ...] [--only-corpus] [--seeds N] [--raw-cache]``

Raw is ``WhisperModel(...).transcribe(path, beam_size=5, vad_filter=True)`` (the
faster-whisper defaults otherwise) on the embedded model, int8, 2 threads. Each file
runs raw then pipeline, side by side, from the same sampling seed, for three seeds.
Figures: CER (zh) and WER (en) per file and over each language (errors summed over
the files / reference length summed), time taken, then the checks for invented text
(silence, pink noise, tones, gaps of a meeting), one script, punctuation, the
glossary's gain on the samples (in decoding, and correcting near-misses after it; the
longest Mandarin run without a mark before and after punctuation), and mixed speech.
``--opt`` overrides a ``TranscribeOptions`` field (how defaults were chosen).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    CORPUS,
    ROOT,
    SR,
    TMP,
    Item,
    corpus_items,
    decode,
    errors,
    norm_en,
    norm_zh,
    pink_noise,
    rate,
    raw_model,
    tones,
    write_wav,
)

SEEDS = 3
"""Runs per file and side (seeds 0, 1, 2): see ``corpus_table``."""
FULL_PUNCT = "，。？！"
_HALF_PUNCT = re.compile(r"[,.?!;:]")
_HAN = re.compile(r"[\u3400-\u9fff]")


def _options(overrides: list[str]) -> Any:
    from pipeline.asr.transcribe import TranscribeOptions

    kw: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(TranscribeOptions)}
    for o in overrides:
        name, _, value = o.partition("=")
        if name not in fields:
            raise SystemExit(f"unknown option {name!r}; expected one of: {', '.join(fields)}")
        kw[name] = json.loads(value) if value[:1] in '0123456789-[{tfn"' else value
        if isinstance(kw[name], list):
            kw[name] = tuple(kw[name])
    return TranscribeOptions(**kw)


class _FallbackSeen(logging.Handler):
    """Notes that faster-whisper fell back to sampling (it logs why, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        if "threshold is not met with temperature" in str(record.msg):
            self.seen = True


@functools.cache
def _fallback_seen() -> _FallbackSeen:
    handler = _FallbackSeen()
    fw = logging.getLogger("faster_whisper")
    fw.setLevel(logging.DEBUG)
    fw.addHandler(handler)
    fw.propagate = False
    return handler


_sampled = {"raw": True, "memo": True}
_raw: list[Any] = []


def _fresh(which: str, seed: int) -> Any:
    """The model for the next run of ``which``, starting from ``seed``'s sampling state.

    Temperature fallback samples, and CTranslate2 seeds each worker thread's generator
    once, when the thread first samples: a later ``set_random_seed`` does not reach a
    model that has sampled, so one file transcribed three times in a row by one model
    scored 70.7, 53.6 and 51.4 % CER. A model that sampled is therefore loaded again
    after the seed is set (loading is outside the timing).
    """
    import ctranslate2

    from pipeline.asr.transcribe import model_for, reset_models

    ctranslate2.set_random_seed(seed)
    _fallback_seen().seen = False
    if which == "raw":
        if _sampled["raw"] or not _raw:
            _raw[:] = [raw_model()]
        return _raw[0]
    if _sampled["memo"]:
        reset_models()
    d = _options([])
    return model_for(d)


def pipeline_run(path: Path, options: Any, seed: int = 0) -> tuple[str, list[Any], list[Any], float]:
    """(text, kept segments, removed, seconds); no speech gives empty text."""
    from pipeline.asr.transcribe import model_for, transcribe
    from pipeline.errors import NoSpeechError

    _fresh("memo", seed)
    model_for(options)
    t0 = time.perf_counter()
    try:
        tr = transcribe(path, options)
    except NoSpeechError:
        return "", [], [], time.perf_counter() - t0
    finally:
        _sampled["memo"] = _fallback_seen().seen
    return (
        " ".join(s.text for s in tr.segments),
        list(tr.segments),
        list(tr.removed),
        time.perf_counter() - t0,
    )


RAW_CACHE = TMP / "raw_cache.json"
_raw_cache: dict[str, list[Any]] | None = None


def raw_run(path: Path, seed: int = 0, cached: bool = False) -> tuple[str, float]:
    """Raw faster-whisper, beam 5 with VAD, defaults otherwise, from ``seed``.

    With ``cached`` a result from an earlier run with the same seed is reused (raw is
    deterministic from a fresh model and seed): for trying settings, not for the table.
    """
    global _raw_cache
    key = f"{path}:{seed}"
    if cached:
        if _raw_cache is None:
            _raw_cache = json.loads(RAW_CACHE.read_text("utf-8")) if RAW_CACHE.exists() else {}
        if key in _raw_cache:
            return _raw_cache[key][0], float(_raw_cache[key][1])
    model = _fresh("raw", seed)
    t0 = time.perf_counter()
    segs, _ = model.transcribe(str(path), beam_size=5, vad_filter=True)
    text = " ".join(s.text.strip() for s in segs)
    took = time.perf_counter() - t0
    _sampled["raw"] = _fallback_seen().seen
    if cached and _raw_cache is not None:
        _raw_cache[key] = [text, took]
        RAW_CACHE.parent.mkdir(parents=True, exist_ok=True)
        RAW_CACHE.write_text(json.dumps(_raw_cache, ensure_ascii=False), "utf-8")
    return text, took


def memo_error(items: list[Item], options: Any, seeds: int = 1) -> dict[str, float]:
    """``memo transcribe``'s CER (zh) and WER (en) over ``items``, in %, by language."""
    totals: dict[str, list[int]] = {}
    for it in items:
        for seed in range(seeds):
            text, *_ = pipeline_run(it.path, options, seed)
            e, n = errors(it.reference, text, it.lang)
            t = totals.setdefault(it.lang, [0, 0])
            t[0] += e
            t[1] += n
    return {lang: rate(e, n) for lang, (e, n) in totals.items()}


def corpus_table(items: list[Item], options: Any, seeds: int = SEEDS, cached: bool = False) -> dict[str, Any]:
    """Per-file and per-language figures, raw and pipeline side by side.

    Each file runs ``seeds`` times each way (raw, memo, raw, memo…) with seeds 0, 1…;
    errors and times are summed over the runs, so a file whose decoding falls back to
    sampling counts by its average, not by one lucky or unlucky draw.
    """
    from pipeline.script import is_in_script

    rows: list[dict[str, Any]] = []
    zh_segments: list[str] = []
    for it in items:
        row: dict[str, Any] = {"name": it.name, "lang": it.lang, "n": 0, "raw_e": 0, "pipe_e": 0,
                               "raw_t": 0.0, "pipe_t": 0.0, "dur": it.duration_s, "removed": 0}  # fmt: skip
        for seed in range(seeds):
            raw_text, raw_t = raw_run(it.path, seed, cached)
            text, segs, removed, t = pipeline_run(it.path, options, seed)
            re_, n = errors(it.reference, raw_text, it.lang)
            pe, _ = errors(it.reference, text, it.lang)
            row["n"] += n
            row["raw_e"] += re_
            row["pipe_e"] += pe
            row["raw_t"] += raw_t / seeds
            row["pipe_t"] += t / seeds
            row["removed"] += len(removed)
            if seed == 0:
                row["raw"], row["pipe"] = raw_text, text
                if it.lang == "zh":
                    zh_segments += [s.text for s in segs]
        rows.append(row)
    print(f"\n== per file (CER zh / WER en, %, over {seeds} seeds; mean time s)")
    print(f"{'file':<58}{'lang':>5}{'raw':>8}{'memo':>8}{'delta':>8}{'raw s':>8}{'memo s':>8}")
    for r in rows:
        d = rate(r["pipe_e"], r["n"]) - rate(r["raw_e"], r["n"])
        print(f"{r['name']:<58}{r['lang']:>5}{rate(r['raw_e'], r['n']):8.1f}{rate(r['pipe_e'], r['n']):8.1f}"
              f"{d:+8.1f}{r['raw_t']:8.2f}{r['pipe_t']:8.2f}")  # fmt: skip
    print("\n== overall (errors / reference length, summed over files)")
    print(f"{'lang':<6}{'files':>6}{'metric':>8}{'raw':>8}{'memo':>8}{'target':>22}{'raw s':>8}{'memo s':>8}")
    summary: dict[str, Any] = {}
    for lang, metric in (("zh", "CER"), ("en", "WER")):
        rs = [r for r in rows if r["lang"] == lang]
        n = sum(r["n"] for r in rs)
        raw_r, pipe_r = rate(sum(r["raw_e"] for r in rs), n), rate(sum(r["pipe_e"] for r in rs), n)
        summary[lang] = (raw_r, pipe_r)
        ok = "met" if pipe_r <= raw_r else "NOT met"
        print(f"{lang:<6}{len(rs):>6}{metric:>8}{raw_r:8.2f}{pipe_r:8.2f}{'memo <= raw: ' + ok:>22}"
              f"{sum(r['raw_t'] for r in rs):8.1f}{sum(r['pipe_t'] for r in rs):8.1f}")  # fmt: skip
    worst = sorted(rows, key=lambda r: rate(r["raw_e"], r["n"]) - rate(r["pipe_e"], r["n"]))[:5]
    print("\n== worst five files (memo minus raw; target: none worse by more than 2 points)")
    for r in worst:
        d = rate(r["pipe_e"], r["n"]) - rate(r["raw_e"], r["n"])
        print(f"{r['name']:<58}{d:+8.1f}  raw: {r['raw'][:60]!r}\n{'':<66}memo: {r['pipe'][:60]!r}")
    over = [r["name"] for r in rows if rate(r["pipe_e"], r["n"]) - rate(r["raw_e"], r["n"]) > 2.0]
    print(f"files worse by > 2 points: {len(over)} {over}")
    mixed = [s for s in zh_segments if not is_in_script(s, "hant")]
    print(
        f"\n== one script: {len(mixed)} of {len(zh_segments)} Mandarin segments not all "
        "Traditional (target 0)"
    )
    summary["mixed"] = (len(mixed), len(zh_segments))
    summary["zh_segments"] = zh_segments
    summary["rows"] = rows
    return summary


def punctuation_share(segments: list[str]) -> tuple[int, int]:
    """Mandarin segments over 10 characters that end with a full-width mark and hold no
    half-width punctuation, and how many such segments there are."""
    long_ = [s for s in segments if len(norm_zh(s)) > 10 and _HAN.search(s)]
    good = [s for s in long_ if s[-1] in FULL_PUNCT and not _HALF_PUNCT.search(s)]
    return len(good), len(long_)


def invented_text(options: Any) -> dict[str, Any]:
    """Text produced on audio that holds no speech (target: none)."""
    TMP.mkdir(parents=True, exist_ok=True)
    cases = {
        "digital silence 60 s": write_wav(TMP / "silence60.wav", np.zeros(60 * SR, dtype=np.float32)),
        "pink noise 60 s": write_wav(TMP / "pink60.wav", pink_noise(60, 0.05)),
        "music-like tones 60 s": write_wav(TMP / "tones60.wav", tones(60)),
    }
    out: dict[str, Any] = {}
    print("\n== invented text on non-speech (target: no text)")
    for name, path in cases.items():
        text, segs, removed, t = pipeline_run(path, options)
        out[name] = text
        print(f"{name:<28} text={text!r:<40} removed={len(removed)}  ({t:.1f} s)")
    # Gaps of a real meeting: corpus speech with 20 s of quiet room noise between turns.
    parts, gaps, pos = [], [], 0.0
    for rel in ("conv/ami_pyannote_dev00.wav", "zh/funasr_nano_far_3.wav", "conv/ami_pyannote_tst01.wav"):
        x = decode(CORPUS / rel)
        parts.append(x)
        pos += len(x) / SR
        noise = pink_noise(20, 0.002, seed=len(parts))
        parts.append(noise)
        gaps.append((pos, pos + 20))
        pos += 20
    path = write_wav(TMP / "gaps.wav", np.concatenate(parts))
    text, segs, removed, t = pipeline_run(path, options)
    inside = [s for s in segs for a, b in gaps if s.start >= a + 1.0 and s.end <= b - 0.5]
    print(f"{'meeting gaps (3 x 20 s)':<28} segments inside a gap: {len(inside)} {[s.text for s in inside]}")
    out["gaps"] = [s.text for s in inside]
    return out


# The names as said in the samples (a rep's glossary: short company names, brand, places).
GLOSSARY_ZH = ("青嶺", "新安寵物", "山嵐", "南投", "草屯", "新竹", "湖口")
GLOSSARY_EN = ("Bluecrest", "Prairie Line", "Laura", "Mike", "Michigan", "Grand Rapids", "Denver", "Cheyenne")


class _BeforeFinish:
    """Keeps the segments ``transcribe`` had before its last step (``postprocess.finish``).

    Decoding is the same with and without that step, so one run gives both sides:
    before and after the glossary corrections and the Mandarin punctuation.
    """

    def __init__(self) -> None:
        self.segments: list[Any] = []

    def __enter__(self) -> _BeforeFinish:
        import pipeline.asr.transcribe as tr

        self._finish = tr.finish

        def spy(segments: Any, *args: Any, **kwargs: Any) -> Any:
            self.segments = list(segments)
            return self._finish(segments, *args, **kwargs)

        tr.finish = spy
        return self

    def __exit__(self, *exc: object) -> None:
        import pipeline.asr.transcribe as tr

        tr.finish = self._finish


def _names_found(text: str, ref: str, names: tuple[str, ...], lang: str) -> tuple[int, int]:
    hits = total = 0
    for name in names:
        norm = norm_zh if lang == "zh" else norm_en
        want, got = norm(ref).count(norm(name)), norm(text).count(norm(name))
        hits += min(want, got)
        total += want
    return hits, total


def glossary_gain(options: Any) -> None:
    """Names heard in the samples: without the glossary, with it only to correct what was
    decoded, and with it in decoding too (hotwords, Mandarin prompt), before and after the
    corrections. Also the longest Mandarin run without a mark, before and after punctuation."""
    from pipeline.asr.postprocess import finish
    from pipeline.asr.punctuation import longest_run

    print("\n== glossary (names in the samples' scripts found in the transcript)")
    print(f"{'sample':<26}{'glossary':>34}{'names':>9}{'err %':>8}{'fixes':>7}")
    for audio_name, script_name, names, lang in (
        ("zh-hant-meeting.wav", "zh-hant-meeting.json", GLOSSARY_ZH, "zh"),
        ("en-meeting.mp3", "en-meeting.json", GLOSSARY_EN, "en"),
    ):
        script = json.loads((ROOT / "samples" / script_name).read_text("utf-8"))
        ref = " ".join(t["text"] for t in script["turns"])
        for gl in ((), names):
            opts = dataclasses.replace(options, glossary=gl, language=lang)
            with _BeforeFinish() as before:
                text, segs, *_ = pipeline_run(ROOT / "samples" / audio_name, opts)
            raw_text = " ".join(s.text for s in before.segments)
            rows: list[tuple[str, str, int]] = []
            if gl:
                rows += [("in decoding, before correction", raw_text, 0)]
                fixes = len(finish(before.segments, opts.script, gl, opts.sentences)[1])
                rows += [("in decoding, corrected", text, fixes)]
            else:
                fixed, corrections = finish(before.segments, opts.script, names, opts.sentences)
                rows += [("none", text, 0)]
                rows += [("only to correct", " ".join(s.text for s in fixed), len(corrections))]
            for label, t, fixes in rows:
                hits, total = _names_found(t, ref, names, lang)
                e, n = errors(ref, t, lang)
                print(f"{audio_name:<26}{label:>34}{f'{hits}/{total}':>9}{rate(e, n):8.1f}{fixes:>7}")
            if lang == "zh":
                print(
                    f"{'':<26}{'longest run without a mark':>34}  "
                    f"{max(map(longest_run, (s.text for s in before.segments)), default=0)} -> "
                    f"{max(map(longest_run, (s.text for s in segs)), default=0)} Han characters"
                )


def long_runs(items: list[Item], options: Any) -> None:
    """Mandarin segments with a run of more than 25 Han characters without a mark, before
    and after ``postprocess.finish`` punctuates them (one run of each corpus file, seed 0)."""
    from pipeline.asr.punctuation import longest_run

    before_runs: list[int] = []
    after_runs: list[int] = []
    for it in (i for i in items if i.lang == "zh"):
        with _BeforeFinish() as before:
            _, segs, *_ = pipeline_run(it.path, dataclasses.replace(options, language="zh"))
        b = [longest_run(s.text) for s in before.segments]
        a = [longest_run(s.text) for s in segs]
        before_runs += b
        after_runs += a
        print(
            f"{it.name:<58}{max(b, default=0):>5} -> {max(a, default=0):<5}{len(b):>4} -> {len(a)} segments"
        )
    print(
        f"\n== Mandarin runs without a mark: longest {max(before_runs, default=0)} -> "
        f"{max(after_runs, default=0)} Han characters; segments with a run > 25: "
        f"{sum(r > 25 for r in before_runs)}/{len(before_runs)} -> "
        f"{sum(r > 25 for r in after_runs)}/{len(after_runs)}"
    )


def mixed_speech(options: Any) -> None:
    """Mandarin and English in one recording: are the English words kept?

    Two cases: a Mandarin corpus clip then JFK 0.5 s later (both fall in the first 30 s
    window, which is decoded in one language), and a meeting made of the samples:
    45 s Mandarin, 31 s English, 30 s Mandarin.
    """
    zh = decode(CORPUS / "zh/funasr_nano_far_3.wav")
    en = decode(CORPUS / "en/jfk.flac")
    cases = {
        "corpus zh clip + JFK": (
            np.concatenate([zh, np.zeros(SR // 2, np.float32), en]),
            "And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.",
        ),
    }
    zh_s, en_s = decode(ROOT / "samples" / "zh-hant-meeting.wav"), decode(ROOT / "samples" / "en-meeting.mp3")
    gap = np.zeros(SR, np.float32)
    script = json.loads((ROOT / "samples" / "en-meeting.json").read_text("utf-8"))
    cases["samples zh 45 s + en 31 s + zh 30 s"] = (
        np.concatenate([zh_s[: 45 * SR], gap, en_s[9 * SR : 40 * SR], gap, zh_s[45 * SR : 75 * SR]]),
        " ".join(t["text"] for t in script["turns"][2:6]),
    )
    print("\n== mixed Mandarin-English (English words of the reference found in the transcript)")
    for name, (samples, ref_en) in cases.items():
        path = write_wav(TMP / "mixed.wav", samples)
        text, *_ = pipeline_run(path, options)
        words = set(norm_en(ref_en).split())
        kept = {w for w in norm_en(text).split() if w in words}
        print(f"{name:<38} {len(kept)}/{len(words)} English words kept")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.asr", description=__doc__)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--opt", action="append", default=[], help="TranscribeOptions field=value")
    ap.add_argument("--only-corpus", action="store_true")
    ap.add_argument("--skip-corpus", action="store_true", help="only the checks after the corpus table")
    ap.add_argument(
        "--raw-cache", action="store_true", help="reuse raw results of earlier runs (for trying settings)"
    )
    ap.add_argument("--seeds", type=int, default=SEEDS, help="runs per file and side (default %(default)s)")
    ap.add_argument("--lang", choices=("zh", "en"), help="score one language only")
    ap.add_argument("--only-glossary", action="store_true", help="only the glossary check on the samples")
    ap.add_argument("--only-runs", action="store_true", help="only the Mandarin runs without a mark (corpus)")
    args = ap.parse_args(argv)
    options = _options(args.opt)
    print(f"options: {options}")
    if args.only_glossary:
        glossary_gain(options)
        return 0
    items = [i for i in corpus_items(args.corpus) if args.lang in (None, i.lang)]
    if args.only_runs:
        long_runs(items, options)
        return 0
    if not args.skip_corpus:
        summary = corpus_table(items, options, args.seeds, args.raw_cache)
        if args.only_corpus:
            return 0
        good, n = punctuation_share(summary["zh_segments"])
        print(
            f"\n== punctuation: {good}/{n} = {100 * good / max(n, 1):.0f}% of Mandarin segments > 10 "
            "characters end with full-width punctuation and hold no half-width (target >= 90%)"
        )
    invented_text(options)
    glossary_gain(options)
    mixed_speech(options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
