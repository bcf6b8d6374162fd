"""Score speaker labels: DER, rep identification, added time and memory.

Usage::

    python -m bench.speakers [--corpus ../shared/corpus/conv] [--work DIR] [--tts-venv /tmp/venv-tts]

- AMI: the 30 s excerpts ``ami_pyannote_*`` with their RTTM and UEM. DER is frame-based
  (10 ms), speakers mapped one-to-one (Hungarian), with a collar of 0 and of ±0.25 s around
  every reference boundary (md-eval's convention), overlapped speech excluded.
- Rendered two-voice meetings, scored against the render timeline: the two samples (one
  voice and its gender-shifted copy) and two meetings from ``../shared/meetings`` (the
  first 30 turns) rendered with clearly different voices. Those and the enrollment clips
  are rendered into ``--work`` with ``../shared/tts`` when missing (needs the TTS venv).
- Rep identification: share of the reference speech time whose label is right about
  rep / not rep, with the enrollment taken from a different recording of the rep's voice.
  Speech the VAD misses counts as wrong when it is the rep's.
- Added time: wall seconds of ``diarize`` (VAD, embeddings, clustering) per audio second,
  and CPU seconds per audio second (steadier when the machine is shared); model loading is
  timed apart. Peak memory: the process's peak RSS (torch, CAM++, Silero, one recording).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.asr.audio import load
from pipeline.speakers import Diarization, Enrollment, SpeakerOptions, diarize, embed_windows, speech_regions

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FRAME = 0.01

Turns = list[tuple[float, float, str]]

# name: (meeting script, turns kept, rep voice, dist voice, enrollment script)
RENDERS = {
    "en-02-joe-alpha": ("en-02", 30, "piper-joe", "kokoro-jf_alpha", "en-01"),
    "zh-hans-02-baker-kumo": ("zh-hans-02", 30, "zh-baker", "kokoro-jm_kumo", "zh-hans-01"),
}
SAMPLES = {
    "sample-en (joe-female/joe)": ("en-meeting.mp3", "rep-voice-en.mp3"),
    "sample-zh (baker/baker-male)": ("zh-hant-meeting.wav", "rep-voice-zh.mp3"),
}


@dataclass
class Score:
    name: str
    err0: tuple[float, float]
    err25: tuple[float, float]
    rep_share: float | None
    seconds: float
    cpu: float
    duration: float
    speakers_ref: int
    speakers_hyp: int


def read_rttm(path: Path) -> Turns:
    turns: Turns = []
    for line in path.read_text().splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            turns.append((start, start + dur, f[7]))
    return turns


def read_uem(path: Path) -> tuple[float, float]:
    f = path.read_text().split()
    return float(f[2]), float(f[3])


def frames(turns: Turns, n: int, start: float) -> list[set[str]]:
    out: list[set[str]] = [set() for _ in range(n)]
    for s, e, spk in turns:
        for i in range(max(0, round((s - start) / FRAME)), min(n, round((e - start) / FRAME))):
            out[i].add(spk)
    return out


def der(ref: Turns, hyp: Turns, uem: tuple[float, float], collar: float) -> tuple[float, float]:
    """Frame DER with a ±collar around reference boundaries and overlap excluded.

    Returns:
        (error seconds: missed + false alarm + confusion, scored reference speech seconds).
    """
    from scipy.optimize import linear_sum_assignment

    start, end = uem
    n = round((end - start) / FRAME)
    r, h = frames(ref, n, start), frames(hyp, n, start)
    keep = np.ones(n, dtype=bool)
    for s, e, _ in ref:
        for b in (s, e):
            a, z = round((b - collar - start) / FRAME), round((b + collar - start) / FRAME)
            keep[max(0, a) : max(0, min(n, z))] = False
    keep &= np.array([len(x) < 2 for x in r])
    rs = sorted({s for x in r for s in x})
    hs = sorted({s for x in h for s in x})
    co = np.zeros((len(rs), len(hs)))
    miss = fa = total = 0
    for i in np.flatnonzero(keep):
        if r[i]:
            total += 1
            if not h[i]:
                miss += 1
        elif h[i]:
            fa += 1
        for ra in r[i]:
            for hb in h[i]:
                co[rs.index(ra), hs.index(hb)] += 1
    rows, cols = linear_sum_assignment(-co) if co.size else ([], [])
    matched = co[rows, cols].sum() if co.size else 0.0
    both = sum(1 for i in np.flatnonzero(keep) if r[i] and h[i])
    confusion = both - matched
    return (miss + fa + confusion) * FRAME, total * FRAME


def rate(err: tuple[float, float]) -> str:
    return f"{err[0] / max(err[1], 1e-9):.1%}"


def rep_share(ref: Turns, hyp: Diarization) -> float:
    """Share of reference speech frames whose label is right about rep / not rep."""
    ok = total = 0
    for s, e, spk in ref:
        for t in np.arange(s, e, FRAME):
            label = None
            for turn in hyp.turns:
                if turn.start <= t < turn.end:
                    label = turn.speaker
                    break
            total += 1
            ok += (label == "rep") == (spk == "rep")
    return ok / max(total, 1)


def enrollment_of(path: Path, options: SpeakerOptions) -> Enrollment:
    samples = load(path).samples
    regions = speech_regions(samples, options)
    _, emb = embed_windows(samples, regions, options)
    mean = emb.mean(axis=0)
    mean /= np.linalg.norm(mean)
    return Enrollment("bench", tuple(mean.tolist()), sum(e - s for s, e in regions))


def run(
    name: str,
    wav: Path,
    ref: Turns,
    uem: tuple[float, float] | None,
    enroll: Path | None,
    options: SpeakerOptions,
) -> Score:
    samples = load(wav).samples
    duration = len(samples) / 16000
    enrollment = enrollment_of(enroll, options) if enroll else None
    t, c = time.perf_counter(), time.process_time()
    result = diarize(samples, enrollment, options)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    hyp = [(x.start, x.end, x.speaker) for x in result.turns]
    uem = uem or (0.0, duration)
    return Score(
        name=name,
        err0=der(ref, hyp, uem, 0.0),
        err25=der(ref, hyp, uem, 0.25),
        rep_share=rep_share(ref, result) if enrollment else None,
        seconds=seconds,
        cpu=cpu,
        duration=duration,
        speakers_ref=len({s for *_, s in ref}),
        speakers_hyp=len({s for *_, s in hyp}),
    )


def render(work: Path, venv: Path) -> None:
    """Render the two clearly-different-voice meetings and their enrollment clips."""
    tts = SHARED / "tts" / "render_meeting.py"
    work.mkdir(parents=True, exist_ok=True)
    for name, (src, keep, rep, dist, enroll_src) in RENDERS.items():
        meeting = json.loads((SHARED / "meetings" / f"{src}.json").read_text("utf-8"))
        if not (work / f"{name}.wav").exists():
            meeting["turns"] = meeting["turns"][:keep]
            script = work / f"{name}.json"
            script.write_text(json.dumps(meeting, ensure_ascii=False), "utf-8")
            subprocess.run(
                [
                    str(venv / "bin/python"),
                    str(tts),
                    str(script),
                    str(work / f"{name}.wav"),
                    "--timeline",
                    str(work / f"{name}.timeline.json"),
                    "--voice",
                    f"rep={rep}",
                    "--voice",
                    f"dist={dist}",
                ],
                check=True,
            )
        if not (work / f"{name}.enroll.wav").exists():
            # A different recording of the rep's voice: the rep's turns of another meeting.
            other = json.loads((SHARED / "meetings" / f"{enroll_src}.json").read_text("utf-8"))
            turns, chars = [], 0
            for t in other["turns"]:
                if t["speaker"] == "rep" and chars < (450 if other["language"] == "en" else 130):
                    turns.append({"speaker": "rep", "text": t["text"]})
                    chars += len(t["text"])
            script = work / f"{name}.enroll.json"
            script.write_text(json.dumps({"language": other["language"], "turns": turns}), "utf-8")
            subprocess.run(
                [
                    str(venv / "bin/python"),
                    str(tts),
                    str(script),
                    str(work / f"{name}.enroll.wav"),
                    "--voice",
                    f"rep={rep}",
                ],
                check=True,
            )


def timeline_turns(path: Path) -> Turns:
    return [(t["start"], t["end"], t["speaker"]) for t in json.loads(path.read_text("utf-8"))]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "conv")
    p.add_argument("--work", type=Path, default=Path("/tmp/meeting-memo-bench-speakers"))
    p.add_argument("--tts-venv", type=Path, default=Path("/tmp/venv-tts"))
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    options = SpeakerOptions(threads=args.threads)

    t = time.perf_counter()
    from pipeline.speakers import get_model

    get_model()
    print(f"model load: {time.perf_counter() - t:.1f} s")

    ami = []
    for rttm in sorted(args.corpus.glob("ami_pyannote_*.rttm")):
        ami.append(
            run(
                rttm.stem,
                rttm.with_suffix(".wav"),
                read_rttm(rttm),
                read_uem(rttm.with_suffix(".uem")),
                None,
                options,
            )
        )
    rendered = []
    for name, (wav, enroll) in SAMPLES.items():
        ref = timeline_turns(ROOT / "samples" / (wav.rsplit(".", 1)[0] + ".timeline.json"))
        rendered.append(run(name, ROOT / "samples" / wav, ref, None, ROOT / "samples" / enroll, options))
    if args.tts_venv.joinpath("bin/python").exists():
        render(args.work, args.tts_venv)
    for name in RENDERS:
        wav = args.work / f"{name}.wav"
        if wav.exists():
            ref = timeline_turns(args.work / f"{name}.timeline.json")
            rendered.append(run(name, wav, ref, None, args.work / f"{name}.enroll.wav", options))
        else:
            print(f"{name}: not rendered (no TTS venv at {args.tts_venv})", file=sys.stderr)

    def table(title: str, scores: list[Score]) -> None:
        print(f"\n{title}\n")
        print("| recording | spk ref/hyp | DER c=0 | DER c=0.25 | rep ok | RTF wall | CPU s/s |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for s in scores:
            rep = f"{s.rep_share:.1%}" if s.rep_share is not None else "—"
            print(
                f"| {s.name} | {s.speakers_ref}/{s.speakers_hyp} | {rate(s.err0)} | {rate(s.err25)} | {rep} "
                f"| {s.seconds / s.duration:.3f} | {s.cpu / s.duration:.3f} |"
            )
        dur = sum(s.duration for s in scores)
        w0 = rate((sum(s.err0[0] for s in scores), sum(s.err0[1] for s in scores)))
        w25 = rate((sum(s.err25[0] for s in scores), sum(s.err25[1] for s in scores)))
        reps = [s for s in scores if s.rep_share is not None]
        share = sum(s.rep_share * s.duration for s in reps if s.rep_share is not None) / max(
            sum(s.duration for s in reps), 1e-9
        )
        print(
            f"| **all ({dur:.0f} s)** | | **{w0}** | **{w25}** | {f'{share:.1%}' if reps else '—'} "
            f"| {sum(s.seconds for s in scores) / dur:.3f} | {sum(s.cpu for s in scores) / dur:.3f} |"
        )

    table("AMI excerpts (overall DER: all errors over all scored speech)", ami)
    table("Rendered two-voice meetings", rendered)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
