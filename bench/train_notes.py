"""Train the notes stage's learned back-off, and cross-validate it by file halves.

Usage::

    python -m bench.train_notes            # train on every development meeting, write the model
    python -m bench.train_notes --cv       # figures: rules alone vs rules + model, by file halves
    python -m bench.train_notes --frozen   # once, at the end: train on all, score the frozen set

Development meetings: ``../shared/meetings``, ``bench/heldout``, ``bench/heldout2`` and
``bench/meetings/dev``. ``bench/meetings/frozen`` is never read except by ``--frozen``.

Each meeting is seen four ways in training: with its speakers' sides and without (one
segment per turn, as from a recording without speaker labels), and as written and
"ASR-like" (other script, no Chinese punctuation, digits; see ``bench.notes``), so the model
does not lean on what a recogniser will not give it. The features are exactly the run-time
ones (``pipeline.notes.build.backoff_inputs`` and ``pipeline.notes.backoff``). Needs
scikit-learn (installed with the ``speakers`` extra); the package itself does not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.notes import load, meeting_files, score
from pipeline.notes import backoff
from pipeline.notes.build import NotesOptions, backoff_inputs, build_notes
from pipeline.notes.classify import rules_version
from pipeline.resources import package_file
from pipeline.types import CATEGORIES, Transcript

ROOT = Path(__file__).resolve().parent.parent
DEV_DIRS = (
    ROOT.parent / "shared" / "meetings",
    ROOT / "bench" / "heldout",
    ROOT / "bench" / "heldout2",
    ROOT / "bench" / "meetings" / "dev",
)
FROZEN_DIR = ROOT / "bench" / "meetings" / "frozen"
FLAGS = ("question", "suggestion", "strength")
C = 3.0  # inverse regularisation; cross-validated 0.3 < 1 < 3 ≈ 10


def _meetings(dirs: Iterable[Path]) -> list[Path]:
    return [p for d in dirs if d.is_dir() for p in meeting_files(d)]


def _variants(path: Path) -> list[tuple[dict[str, Any], Transcript, NotesOptions]]:
    out = []
    for asr in (False, True):
        meeting, transcript = load(path, asr=asr)
        out.append((meeting, transcript, NotesOptions()))
        out.append((meeting, _without_speakers(transcript), NotesOptions()))
    return out


def _rows(
    paths: list[Path],
) -> tuple[list[list[dict[str, float]]], list[dict[str, list[Any]]], list[bool]]:
    """First-pass features per meeting variant, the gold labels, and whether the variant has sides."""
    feats: list[list[dict[str, float]]] = []
    golds: list[dict[str, list[Any]]] = []
    sided: list[bool] = []
    for path in paths:
        for meeting, transcript, options in _variants(path):
            inputs = backoff_inputs(transcript, options)
            feats.append(backoff.features(inputs, transcript.language))
            turns = meeting["turns"]
            gold: dict[str, list[Any]] = {"category": [t["category"] for t in turns]}
            gold.update({f: [int(bool(t[f])) for t in turns] for f in FLAGS})
            gold["rep"] = [int(t["speaker"] == "rep") for t in turns]
            golds.append(gold)
            sided.append(any(s.speaker is not None for s in transcript.segments))
    return feats, golds, sided


def _matrix(rows: list[dict[str, float]]) -> Any:
    from scipy.sparse import csr_matrix

    r, c, v, n = backoff.hashed(rows)
    return csr_matrix((v, (r, c)), shape=(n, backoff.DIMS))


def _head(clf: Any, classes: tuple[str, ...]) -> backoff.Head:
    coef = np.asarray(clf.coef_, np.float32).T  # [DIMS, k]
    keep = np.flatnonzero(np.abs(coef).max(axis=1) > 1e-4)
    return backoff.Head(
        classes=classes,
        index=keep.astype(np.int64),
        weight=coef[keep],
        bias=np.asarray(clf.intercept_, np.float32),
    )


def _fit(x: Any, y: list[Any], balanced: bool) -> Any:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced" if balanced else None)
    return clf.fit(x, y)


def train(paths: list[Path], meta: dict[str, Any] | None = None) -> backoff.Model:
    """Fit the five heads on the meetings at ``paths``; the second section pass is stacked on
    first-pass probabilities predicted out of fold (two folds by file), as at run time."""
    feats, golds, sided = _rows(paths)
    flat = [r for rows in feats for r in rows]
    x = _matrix(flat)
    heads: dict[str, backoff.Head] = {}
    cat = [c for g in golds for c in g["category"]]
    clf1 = _fit(x, cat, balanced=False)
    heads["cat1"] = _head(clf1, tuple(str(c) for c in clf1.classes_))
    # Out-of-fold first-pass probabilities for the stacked pass (per source file, 4 variants each).
    per_file = 4
    fold = [(i // per_file) % 2 for i in range(len(feats))]
    probs: list[np.ndarray] = [np.empty(0)] * len(feats)
    for k in (0, 1):
        train_idx = [i for i in range(len(feats)) if fold[i] != k]
        clf = _fit(
            _matrix([r for i in train_idx for r in feats[i]]),
            [c for i in train_idx for c in golds[i]["category"]],
            False,
        )
        head = _head(clf, tuple(str(c) for c in clf.classes_))
        for i in range(len(feats)):
            if fold[i] == k:
                probs[i] = head.proba(backoff.hashed(feats[i]))
    second = [
        r
        for rows, p in zip(feats, probs, strict=True)
        for r in backoff.stacked(rows, p, heads["cat1"].classes)
    ]
    clf2 = _fit(_matrix(second), cat, balanced=False)
    heads["cat2"] = _head(clf2, tuple(str(c) for c in clf2.classes_))
    for flag in FLAGS:
        clf = _fit(x, [v for g in golds for v in g[flag]], balanced=True)
        heads[flag] = _head(clf, ("0", "1"))
    # Who speaks: learned only from variants without speakers, where no side feature tells it.
    bare = [i for i in range(len(feats)) if not sided[i]]
    clf = _fit(_matrix([r for i in bare for r in feats[i]]), [v for i in bare for v in golds[i]["rep"]], True)
    heads["rep"] = _head(clf, ("0", "1"))
    info = {
        "rules_version": rules_version(),
        "trained": dt.date.today().isoformat(),
        "meetings": [p.stem for p in paths],
        "C": C,
        **(meta or {}),
    }
    return backoff.Model(heads, info)


def _without_speakers(transcript: Transcript) -> Transcript:
    return replace(transcript, segments=tuple(replace(s, speaker=None) for s in transcript.segments))


def _pairs(
    paths: list[Path], model_of: Any, asr: bool = False, speakers: bool = True
) -> list[tuple[dict[str, Any], Any]]:
    """(gold meeting, notes) for each path; ``model_of(path)`` gives the model (None: rules alone)."""
    pairs = []
    for path in paths:
        meeting, transcript = load(path, asr=asr)
        if not speakers:
            transcript = replace(
                transcript, segments=tuple(replace(s, speaker=None) for s in transcript.segments)
            )
        pairs.append((meeting, build_notes(transcript, NotesOptions(), model=model_of(path))))
    return pairs


def _row(name: str, r: dict[str, Any]) -> str:
    ok, n = r["parting"]
    return (
        f"{name:<42}{r['macro']:7.3f}" + "".join(f"{r[c][2]:7.3f}" for c in CATEGORIES)
        + "".join(f"{r[f][2]:7.3f}" for f in FLAGS) + f"{ok:>5}/{n}"
    )  # fmt: skip


def _header() -> str:
    return (
        f"{'set':<42}{'macro':>7}"
        + "".join(f"{c[:7]:>7}" for c in CATEGORIES)
        + "  quest   sugg   strg  parting"
    )


VIEWS = (("as written", False, True), ("no speakers", False, False), ("ASR-like", True, True))


def cross_validate(paths: list[Path]) -> None:
    """Two folds by file (alternate files); each half scored by a model trained on the other."""
    halves = [paths[0::2], paths[1::2]]
    models = [train(halves[1]), train(halves[0])]
    which = {p: m for h, m in zip(halves, models, strict=True) for p in h}
    subsets = {"all": paths, "half 1": halves[0], "half 2": halves[1],
               "new dev only": [p for p in paths if p.parent.name == "dev"]}  # fmt: skip
    print(_header())
    for label, asr, speakers in VIEWS:
        for name, model_of in (("rules", lambda _p: None), ("rules + model", which.get)):
            scored = dict(zip(paths, _pairs(paths, model_of, asr, speakers), strict=True))
            for sub, sel in subsets.items():
                if sel:
                    print(_row(f"{label}: {name}, {sub}", score([scored[p] for p in sel])))


def _renamed(transcript: Transcript) -> tuple[Transcript, str]:
    """Speakers as S1, S2… in order of first speech (as without enrollment); the rep's new label."""
    order: list[str] = []
    for s in transcript.segments:
        if s.speaker is not None and s.speaker not in order:
            order.append(s.speaker)
    names = {sp: f"S{i + 1}" for i, sp in enumerate(order)}
    segs = tuple(replace(s, speaker=names.get(s.speaker or "")) for s in transcript.segments)
    return replace(transcript, segments=segs), names["rep"]


def cross_validate_sides(paths: list[Path]) -> None:
    """Rep identified from the words, without enrollment: by file halves, at each confidence."""
    halves = [paths[0::2], paths[1::2]]
    models = [train(halves[1]), train(halves[0])]
    results = []
    for half, model in zip(halves, models, strict=True):
        for path in half:
            for asr in (False, True):
                _meeting, transcript = load(path, asr=asr)
                renamed, truth = _renamed(transcript)
                for name, use in (("rules", None), ("rules + model", model)):
                    sides = build_notes(renamed, NotesOptions(), model=use).sides
                    assert sides is not None
                    results.append((name, path.stem, asr, sides.rep == truth, sides.confidence or 0.0))
    for name in ("rules", "rules + model"):
        rows = [r for r in results if r[0] == name]
        print(f"{name}: the rep named and right in {sum(r[3] for r in rows)}/{len(rows)}")
        for r in rows:
            if not r[3]:
                print(f"  not named or wrong: {r[1]}{' (ASR-like)' if r[2] else ''} confidence {r[4]:.2f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate by file halves; write nothing")
    parser.add_argument("--frozen", action="store_true", help="score the frozen set (once, at the end)")
    parser.add_argument("--sides", action="store_true", help="cross-validate who is the rep; write nothing")
    args = parser.parse_args(argv)
    paths = _meetings(DEV_DIRS)
    print(f"{len(paths)} development meetings", file=sys.stderr)
    if args.frozen and not meeting_files(FROZEN_DIR):
        print(f"no frozen meetings in {FROZEN_DIR}: put a new round aside first (bench/meetings/README.md)",
              file=sys.stderr)  # fmt: skip
        return 1
    if args.cv:
        cross_validate(paths)
        return 0
    if args.sides:
        cross_validate_sides(paths)
        return 0
    model = train(paths)
    if args.frozen:
        frozen = meeting_files(FROZEN_DIR)
        print(_header())
        for label, asr, speakers in VIEWS:
            print(_row(f"frozen {label}: rules", score(_pairs(frozen, lambda _p: None, asr, speakers))))
            print(
                _row(f"frozen {label}: rules + model", score(_pairs(frozen, lambda _p: model, asr, speakers)))
            )
        return 0
    target = package_file(backoff.MODEL_PACKAGE, backoff.MODEL_NAME)
    model.save(target)
    size = target.stat().st_size
    print(f"wrote {target} ({size / 1e6:.1f} MB; rules {model.meta['rules_version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
