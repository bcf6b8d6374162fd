"""Batch throughput: audio hours drafted per hour with ``memo batch --workers 1`` and ``2``.

Usage: ``python -m bench.batch [--copies N] [--workers 1 2]``, or ``python -m bench.batch --ray``:
local workers against Ray actors at equal cores (a local Ray instance with 1 and 2 actors),
and a cluster of two nodes on this machine (head + a second ``ray start``), on the same
recordings; Ray's overhead is its loss against local workers with the same cores.

The inputs are the two samples plus re-encoded copies (flac/ogg/m4a/opus; different
bytes, so the batch does not skip them as duplicates), about 2.5 min each: ten
recordings by default. Each run is a fresh
``memo batch`` process with an empty run store and output folder, so model loading
(once per worker) is counted. Wall time includes everything from start to exit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.asr.audio import ffmpeg_exe
from pipeline.runs.batch import probe_duration

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "samples" / "zh-hant-meeting.wav", ROOT / "samples" / "en-meeting.mp3"]
VARIANTS = [".flac", ".ogg", ".m4a", ".opus"]


def inputs(folder: Path, copies: int) -> list[Path]:
    """The samples, plus ``copies - 1`` re-encoded variants of each."""
    paths = []
    for sample in SAMPLES:
        paths.append(Path(shutil.copy(sample, folder / sample.name)))
        for suffix in VARIANTS[: copies - 1]:
            out = folder / f"{sample.stem}-{suffix[1:]}{suffix}"  # distinct names: distinct memos
            subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(sample), str(out)], check=True)
            paths.append(out)
    return paths


@contextmanager
def recordings(copies: int) -> Iterator[tuple[Path, list[Path], float]]:
    """A work folder with the inputs (``inputs``) in it: (folder, recordings, seconds of audio);
    the table's first line says how much."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        paths = inputs(work / "in", copies)
        audio_s = sum(probe_duration(p) for p in paths)
        print(f"{len(paths)} recordings, {audio_s / 60:.1f} min of audio, {os.cpu_count()} CPU cores")
        yield work, paths, audio_s


def run(paths: list[Path], workers: int, work: Path, extra: tuple[str, ...] = (), tag: str = "") -> float:
    """Seconds of wall time for one ``memo batch`` over ``paths`` (``extra``: more options;
    ``workers`` 0: the default count)."""
    from bench.raynodes import ENV

    memo = [sys.executable, "-m", "pipeline"]  # this checkout's code (run from ROOT)
    env = {**os.environ, **ENV, "HF_HUB_OFFLINE": "1", "XDG_CONFIG_HOME": str(work / "cfg")}
    tag = tag or f"{workers}{''.join(extra)}"
    cmd = [*memo, "batch", *map(str, paths), "-o", str(work / f"out{tag}"), *extra]
    cmd += ["--db", str(work / f"runs{tag}.sqlite")] + (["--workers", str(workers)] if workers else [])
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def throughput(
    copies: int = 5, workers: tuple[int, ...] = (1, 2), extra: tuple[str, ...] = ()
) -> dict[int, float]:
    """Audio hours per hour of ``memo batch`` for each worker count (and print them)."""
    out: dict[int, float] = {}
    with recordings(copies) as (work, paths, audio_s):
        print(f"{'workers':>7}  {'wall s':>7}  {'audio h per hour':>16}")
        for n in workers:
            wall = run(paths, n, work, extra)
            out[n] = audio_s / wall
            print(f"{n:>7}  {wall:>7.1f}  {out[n]:>16.1f}", flush=True)
    return out


def ray_throughput(copies: int = 3) -> dict[str, float]:
    """Audio hours per hour: local workers, Ray actors (1 and 2), two Ray nodes; printed as a table."""
    from bench.raynodes import LocalCluster

    cores = os.cpu_count() or 1
    half = max(1, cores // 2)
    configs: list[tuple[str, int, tuple[str, ...]]] = [
        (f"local, 1 worker x {cores} threads", 1, ("--threads", str(cores))),
        (f"Ray, 1 actor x {cores} threads", 1, ("--threads", str(cores), "--ray", "local")),
        (f"local, 2 workers x {half} threads", 2, ("--threads", str(half))),
        (f"Ray, 2 actors x {half} threads", 2, ("--threads", str(half), "--ray", "local")),
        (f"Ray, 2 nodes x {half} CPUs, 2 actors", 2, ("--threads", str(half), "--ray", "NODES")),
    ]
    out: dict[str, float] = {}
    with recordings(copies) as (work, paths, audio_s):
        print(f"| {'run':<34} | {'wall s':>7} | {'audio h per hour':>16} | {'Ray overhead':>12} |")
        print(f"|{'-' * 36}|{'-' * 9}|{'-' * 18}|{'-' * 14}|")
        for n, (name, workers, extra) in enumerate(configs):
            nodes = LocalCluster(nodes=2, cpus=half) if "NODES" in extra else None
            try:
                args = tuple(nodes.address if a == "NODES" else a for a in extra) if nodes else extra
                wall = run(paths, workers, work, args, tag=str(n))
            finally:
                if nodes is not None:
                    nodes.stop()
            out[name] = audio_s / wall
            local = next((v for k, v in out.items() if k.startswith(f"local, {workers} ")), None)
            overhead = f"{(1 - out[name] / local) * 100:+.1f} %" if local and "Ray" in name else ""
            print(f"| {name:<34} | {wall:>7.1f} | {out[name]:>16.2f} | {overhead:>12} |", flush=True)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, help="versions of each sample (1-5); default 5, 3 with --ray")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sequential", action="store_true", help="memo batch --sequential")
    parser.add_argument("--ray", action="store_true", help="local workers vs Ray actors and two nodes")
    args = parser.parse_args(argv)
    if args.ray:
        ray_throughput(args.copies or 3)
        return 0
    throughput(args.copies or 5, tuple(args.workers), ("--sequential",) if args.sequential else ())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
