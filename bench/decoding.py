"""Sequential against batched decoding on the rendered meetings of ``bench/memo``, scored
against their scripts (the words the voices were given), the same seed and a fresh model
for each run.

Usage: ``python -m bench.decoding [--batch-size 8] [--only MEETING ...]``

Prints, per meeting and over each language, CER (Mandarin) or WER (English) and the
real-time factor of each side, and what batched decoding decoded again. Mandarin is scored
as written (the corpus convention) and with numbers read out (``common.norm_zh``): batched
decoding writes more numbers in digits ("95%"), the scripts write characters. The 10-minute
meeting of ``python -m bench`` has no reference, so there "words kept" stands in for it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.common import errors

MEETINGS = Path(__file__).resolve().parent / "memo"


def main(argv: list[str]) -> int:
    import ctranslate2

    from pipeline.asr import transcribe as asr

    ap = argparse.ArgumentParser(prog="python -m bench.decoding", description=__doc__)
    ap.add_argument("--batch-size", type=int, default=asr.BATCH_SIZE)
    ap.add_argument("--only", nargs="*", default=[], metavar="MEETING", help="these meetings (default: all)")
    args = ap.parse_args(argv)
    totals: dict[tuple[str, int], list[float]] = {}
    for mp3 in sorted(MEETINGS.glob("*.mp3")):
        if args.only and mp3.stem not in args.only:
            continue
        script = json.loads(mp3.with_suffix(".json").read_text("utf-8"))
        lang = script["language"]
        reference = ("" if lang == "zh" else " ").join(t["text"] for t in script["turns"])
        cells = []
        for batch_size in (0, args.batch_size):
            asr.reset_models()
            ctranslate2.set_random_seed(0)
            options = asr.TranscribeOptions(cpu_threads=2, language=lang, batch_size=batch_size)
            asr.model_for(options)
            t0 = time.perf_counter()
            tr = asr.transcribe(mp3, options)
            wall = time.perf_counter() - t0
            text = " ".join(s.text for s in tr.segments)
            e, n = errors(reference, text, lang)
            read_out, _ = errors(reference, text, lang, numbers=True)
            total = totals.setdefault((lang, batch_size), [0.0, 0.0, 0.0, 0.0, 0.0])
            for k, v in enumerate((e, n, wall, tr.duration_s, read_out)):
                total[k] += v
            extra = f"  decoded again: {tr.settings['batched']}" if batch_size else ""
            numbers = f" ({100 * read_out / n:.1f} % numbers read out)" if lang == "zh" else ""
            cells.append(f"{100 * e / n:5.1f} %{numbers} RTF {wall / tr.duration_s:.3f}{extra}")
        print(f"{mp3.stem:12} {lang}  sequential {cells[0]}  batched {cells[1]}", flush=True)
    for (lang, batch_size), (errs, length, wall, dur, spoken) in sorted(totals.items()):
        side = f"batched {batch_size}" if batch_size else "sequential"
        metric = "CER" if lang == "zh" else "WER"
        numbers = f" ({100 * spoken / length:.2f} % numbers read out)" if lang == "zh" else ""
        print(f"all {lang}: {side:<11} {metric} {100 * errs / length:.2f} %{numbers}  RTF {wall / dur:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
