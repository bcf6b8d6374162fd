"""Score the notes stage against the labelled meetings.

Usage: ``python -m bench.notes [DIR ...]`` (default ``/work/shared/meetings``), e.g.
``python -m bench.notes /work/shared/meetings samples bench/heldout``: one set of
tables per folder and a summary table over all of them. Files without ``turns``
or without labels (timelines, voice files) are skipped.

Each meeting becomes a Transcript (one segment per turn, the turn's speaker,
start = index * 10 s) and goes through ``build_notes``. The tables give
precision/recall/F1 per category, macro-F1 over the five categories, F1 of the
question/suggestion/strength flags, and the number of meetings whose parting
question is exactly the gold turn.

How the halves were used (rules cannot be re-fitted per half automatically, so
the split is kept honest by process): the first rule set was written while
reading only half A (en-01, zh-hans-01, zh-hans-03, zh-hant-01) and then scored
on half B without looking at B's text. Only after that were B's errors read; the
fixes were written as general lexicon entries (not phrases from B) and half A
was re-scored to check they did not just move errors. Both halves are printed.
The one honest held-out figure is that first pass: half A macro-F1 0.923, half B
(unseen) macro-F1 0.719 (question 0.935, suggestion 0.759, strength 0.875, parting
3/4). The figures printed now are after both halves were read, so they are
development-set figures; expect unseen meetings to land between the two.

``bench/heldout`` (six meetings written before the rules were read; see its
README) is split by file: H1 (``*-h1``) errors were read while the rules were
generalised, H2 (``*-h2``) was only scored, so H2 is the unseen figure. Before
that work the rules scored macro-F1 0.688 on H1 and 0.719 on H2, 0.835 on samples.

``bench/heldout2`` (six more, written before the rules were read in round 3) is split the
same way: H3 (``*-h3``) was read, H4 (``*-h4``) only scored. Round 3 took H3 from 0.845 to
1.000 and left H4 at 0.733 and H2 at 0.776 (see ``bench/heldout2/README.md``).

The "ASR-like" variant imitates recogniser output: Chinese is converted to the
other script, Chinese punctuation is removed, and numbers are written as digits.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import opencc
from text_to_num import alpha2digit

from pipeline.notes.build import build_notes
from pipeline.types import CATEGORIES, Notes, Segment, Transcript

HALF_A = ("en-01", "zh-hans-01", "zh-hans-03", "zh-hant-01")
FLAGS = ("question", "suggestion", "strength")
_ZH_PUNCT = re.compile(r"[，。？！、：；「」『』“”‘’（）《》…—·]")
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千万]{2,}")
_S2T = opencc.OpenCC("s2t")
_T2S = opencc.OpenCC("t2s")


def zh_number(text: str) -> str:
    """One run of Chinese numerals as digits: 三百 -> 300, 零九 -> 09, 二十二 -> 22."""
    if not any(c in _ZH_UNITS or c == "万" for c in text):
        return "".join(str(_ZH_DIGITS[c]) for c in text)
    total = section = num = 0
    for c in text:
        if c in _ZH_DIGITS:
            num = _ZH_DIGITS[c]
        elif c in _ZH_UNITS:
            section += (num or 1) * _ZH_UNITS[c]
            num = 0
        else:  # 万
            total += (section + num) * 10000
            section = num = 0
    return str(total + section + num)


def asr_like(text: str, language: str, script: str | None) -> tuple[str, str | None]:
    """Text as a recogniser would give it, and its new script."""
    if language == "en":
        return alpha2digit(text, "en"), script
    text = _T2S.convert(text) if script == "hant" else _S2T.convert(text)
    text = _ZH_PUNCT.sub("", text)
    # 千万/万万 alone are adverbs ("千万不要…"), not numbers.
    text = _ZH_NUM.sub(lambda m: m.group() if m.group() in ("千万", "万万") else zh_number(m.group()), text)
    return text, "hans" if script == "hant" else "hant"


def load(path: Path, asr: bool = False) -> tuple[dict[str, Any], Transcript]:
    """A labelled meeting and the Transcript made from its turns."""
    meeting = json.loads(path.read_text(encoding="utf-8"))
    language, script = meeting["language"], meeting["script"]
    segments = []
    new_script = script
    for i, turn in enumerate(meeting["turns"]):
        text = turn["text"]
        if asr:
            text, new_script = asr_like(text, language, script)
        segments.append(Segment(i, i * 10.0, i * 10.0 + 9.0, text, turn["speaker"]))
    return meeting, Transcript(language=language, script=new_script, segments=tuple(segments))


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(pairs: Iterable[tuple[dict[str, Any], Notes]]) -> dict[str, Any]:
    """Per-category P/R/F1, flag F1s and parting-question exact matches."""
    counts = {k: [0, 0, 0] for k in (*CATEGORIES, *FLAGS)}
    parting_ok = meetings = 0
    for meeting, notes in pairs:
        meetings += 1
        for turn, note in zip(meeting["turns"], notes.segments, strict=True):
            for c in CATEGORIES:
                gold, pred = turn["category"] == c, note.category == c
                counts[c][0] += gold and pred
                counts[c][1] += pred and not gold
                counts[c][2] += gold and not pred
            for f in FLAGS:
                gold, pred = bool(turn[f]), bool(getattr(note, f))
                counts[f][0] += gold and pred
                counts[f][1] += pred and not gold
                counts[f][2] += gold and not pred
        gold_p = [i for i, t in enumerate(meeting["turns"]) if t["parting_question"]]
        pred_p = [i for i, n in enumerate(notes.segments) if n.parting_question]
        parting_ok += gold_p == pred_p
    result: dict[str, Any] = {k: _prf(*v) for k, v in counts.items()}
    result["macro"] = sum(result[c][2] for c in CATEGORIES) / len(CATEGORIES)
    result["parting"] = (parting_ok, meetings)
    return result


def print_table(title: str, r: dict[str, Any]) -> None:
    """One score table."""
    print(f"\n== {title}")
    print(f"{'label':<12}{'P':>7}{'R':>7}{'F1':>7}")
    for k in (*CATEGORIES, *FLAGS):
        p, rec, f = r[k]
        print(f"{k:<12}{p:7.3f}{rec:7.3f}{f:7.3f}")
    print(f"{'macro-F1':<12}{'':>14}{r['macro']:7.3f}")
    ok, n = r["parting"]
    print(f"{'parting':<12}{'':>14}{ok:>4}/{n}")


def meeting_files(folder: Path) -> list[Path]:
    """The labelled meetings in a folder: JSON files whose ``turns`` all carry a ``category``."""
    files = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        turns = data.get("turns") if isinstance(data, dict) else None
        if isinstance(turns, list) and turns and all(isinstance(t, dict) and "category" in t for t in turns):
            files.append(path)
    return files


def _subsets(
    pairs: list[tuple[dict[str, Any], Notes]],
) -> list[tuple[str, list[tuple[dict[str, Any], Notes]]]]:
    """Named parts of one folder worth their own table: dev halves A/B, held-out H1-H4."""
    ids = {m["id"] for m, _ in pairs}
    if ids & set(HALF_A):
        return [
            (f"half A ({', '.join(HALF_A)})", [x for x in pairs if x[0]["id"] in HALF_A]),
            ("half B (the rest)", [x for x in pairs if x[0]["id"] not in HALF_A]),
        ]
    out = []
    for part in ("h1", "h2", "h3", "h4"):
        sel = [x for x in pairs if x[0]["id"].endswith(f"-{part}")]
        if sel:
            out.append((f"{part.upper()} (*-{part})", sel))
    return out


def _summary_row(name: str, r: dict[str, Any], asr: dict[str, Any]) -> str:
    ok, n = r["parting"]
    return (
        f"{name:<28}{r['macro']:7.3f}{asr['macro']:7.3f}{r['question'][2]:7.3f}"
        f"{r['suggestion'][2]:7.3f}{r['strength'][2]:7.3f}{ok:>5}/{n}"
    )


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [Path("/work/shared/meetings")]
    summary: list[str] = []
    transcripts: list[Transcript] = []
    for folder in folders:
        files = meeting_files(folder)
        if not files:
            print(f"{folder}: no labelled meetings (JSON files with labelled 'turns')", file=sys.stderr)
            return 1
        clean = [load(p) for p in files]
        asr = [load(p, asr=True) for p in files]
        runs = [(m, build_notes(t)) for m, t in clean]
        asr_runs = [(m, build_notes(t)) for m, t in asr]
        transcripts += [t for _, t in clean] + [t for _, t in asr]
        print(f"\n######## {folder} ({len(files)} meetings)")
        print_table("all meetings", score(runs))
        parts = [("all", runs, asr_runs)]
        for name, sel in _subsets(runs):
            print_table(name, score(sel))
            ids = {m["id"] for m, _ in sel}
            parts.append((name.split(" (")[0], sel, [x for x in asr_runs if x[0]["id"] in ids]))
        print_table("ASR-like (other script, no zh punctuation, digits)", score(asr_runs))
        for name, sel, asr_sel in parts:
            summary.append(_summary_row(f"{folder.name}: {name}", score(sel), score(asr_sel)))

    header = f"{'set':<28}{'macro':>7}{'ASR':>7}{'quest':>7}{'sugg':>7}{'strg':>7}{'parting':>8}"
    print(f"\n== summary (F1)\n{header}")
    print("\n".join(summary))

    n_segments = sum(len(t.segments) for t in transcripts)
    rounds = 5
    # CPU time of this process: the figure per core, not disturbed by other load on the box.
    t0, w0 = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for t in transcripts:
            build_notes(t)
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    print(
        f"\nspeed: {rounds * n_segments / cpu:,.0f} segments per CPU-second "
        f"({rounds * n_segments / wall:,.0f}/s wall; one process, warm)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
