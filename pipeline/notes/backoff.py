"""The learned back-off of the notes stage: a linear model over the rules' own evidence.

The rules decide first and explain themselves; where a meeting says things the rules have
no cue for, or their cues point two ways, a logistic-regression model trained on the
labelled meetings (``bench/train_notes.py``) weighs the same evidence together with the
words and the neighbouring turns. Its features are the rules' scores and decisions, the
speaker's side, the words (character n-grams for Chinese, word n-grams for English), the
previous turn's words and, in a second pass, the neighbours' predicted sections. Whatever
the model changes carries ``model:<what>:<probability>`` in the segment's ``rules``, so a
supervisor still sees why.

The weights ship as package data (``model/notes-backoff.npz``, a few MB); the features are
hashed (crc32), so the file holds only the weights the training data touched.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..resources import package_file

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "pipeline.notes.model"
MODEL_NAME = "notes-backoff.npz"
DIMS = 1 << 18
HEADS = ("cat1", "cat2", "question", "suggestion", "strength", "rep")
# Weight of the previous turn's words among a turn's features (cross-validated: 0.0 < 0.3 > 0.6).
PREV_WEIGHT = 0.3
_PUNCT = re.compile(r"[\s，。？！、：；「」『』“”‘’（）《》…—·,.?!:;\"'()\-]+")
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class SegmentInput:
    """What the model sees of one segment: its words and what the rules made of it."""

    key: str  # the text the rules matched (Simplified for Chinese)
    scores: dict[str, float]  # label -> summed rule weight
    aspects: tuple[str, ...]  # aspects of the rules that hit
    category: str  # the rules' category (context included)
    question: bool
    suggestion: bool
    strength: bool
    side: str  # rep, dist or unknown


@dataclass(frozen=True)
class Prediction:
    """The model's view of one segment."""

    category: str
    category_p: float
    question_p: float
    suggestion_p: float
    strength_p: float


def _ngrams(key: str, language: str) -> dict[str, float]:
    out: dict[str, float] = {}
    if language == "zh":
        text = _PUNCT.sub("", key)
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                k = f"c{n}:{text[i : i + n]}"
                out[k] = out.get(k, 0.0) + 1.0
    else:
        words = _WORD.findall(key.lower())
        for w in words:
            out["w:" + w] = out.get("w:" + w, 0.0) + 1.0
        for a, b in itertools.pairwise(words):
            k = f"b:{a}_{b}"
            out[k] = out.get(k, 0.0) + 1.0
    return out


def features(segments: Sequence[SegmentInput], language: str) -> list[dict[str, float]]:
    """First-pass features of every segment (see the module docstring)."""
    grams = [_ngrams(s.key, language) for s in segments]
    n = len(segments)
    rows = []
    for i, s in enumerate(segments):
        f = dict(grams[i])
        for label, value in s.scores.items():
            f["r:" + label] = f.get("r:" + label, 0.0) + value
        for aspect in s.aspects:
            f["a:" + aspect] = f.get("a:" + aspect, 0.0) + 1.0
        f["rc:" + s.category] = 2.0
        for flag in ("question", "suggestion", "strength"):
            if getattr(s, flag):
                f["rf:" + flag] = 1.0
        f["side:" + s.side] = 1.0
        f[f"side_rc:{s.side}:{s.category}"] = 1.0
        if i > 0:
            p = segments[i - 1]
            f["prc:" + p.category] = 1.0
            if p.question:
                f["pq"] = 1.0
            if p.side != s.side:
                f["pside:other"] = 1.0
            for k, v in grams[i - 1].items():
                f["p" + k] = v * PREV_WEIGHT
            for label, value in p.scores.items():
                f["pr:" + label] = value * PREV_WEIGHT
        if i + 1 < n:
            f["nrc:" + segments[i + 1].category] = 1.0
        f[f"pos:{int(5 * i / max(n, 1))}"] = 1.0
        size = len(_PUNCT.sub("", s.key)) if language == "zh" else len(_WORD.findall(s.key.lower()))
        f[f"len:{min(6, int(math.log2(size + 1)))}"] = 1.0
        f["lang:" + language] = 1.0
        rows.append(f)
    return rows


def stacked(
    first: list[dict[str, float]], probs: np.ndarray, classes: Sequence[str]
) -> list[dict[str, float]]:
    """Second-pass features: the first pass's, plus this and the neighbours' section probabilities."""
    rows = []
    for i, f in enumerate(first):
        g = dict(f)
        for off, name in ((0, "S"), (-1, "P"), (1, "N"), (-2, "PP")):
            j = i + off
            if 0 <= j < len(first):
                for c, v in zip(classes, probs[j], strict=True):
                    g[f"s{name}:{c}"] = float(v)
        rows.append(g)
    return rows


Hashed = tuple[np.ndarray, np.ndarray, np.ndarray, int]
"""Rows as (row, column, value) triples and the number of rows."""


@functools.lru_cache(maxsize=1 << 17)
def _column(key: str) -> int:
    # The same n-grams come back in every meeting: hash each once per process.
    return zlib.crc32(key.encode("utf-8")) % DIMS


def hashed(rows: list[dict[str, float]]) -> Hashed:
    """Rows as (row, column, value) triples; counts are log-scaled so long turns do not dominate."""
    r: list[int] = []
    c: list[int] = []
    v: list[float] = []
    for i, f in enumerate(rows):
        r.extend([i] * len(f))
        c.extend(map(_column, f))
        v.extend(f.values())
    values = np.asarray(v, np.float32)
    values = np.sign(values) * np.log1p(np.abs(values))
    return np.asarray(r, np.int64), np.asarray(c, np.int64), values.astype(np.float32), len(rows)


@dataclass(frozen=True)
class Head:
    """One linear model: weights for the hashed columns it has, per class."""

    classes: tuple[str, ...]
    index: np.ndarray  # sorted hashed columns
    weight: np.ndarray  # [len(index), n_classes or 1]
    bias: np.ndarray  # [n_classes or 1]

    @functools.cached_property
    def _row_of(self) -> np.ndarray:
        # Column -> weight row (-1: no weight); 1 MB, and a lookup instead of a search per feature.
        rows = np.full(DIMS, -1, np.int32)
        rows[self.index] = np.arange(len(self.index), dtype=np.int32)
        return rows

    def scores(self, x: Hashed) -> np.ndarray:
        r, c, v, n = x
        out = np.tile(self.bias.astype(np.float64), (n, 1))
        pos = self._row_of[c]
        found = pos >= 0
        np.add.at(out, r[found], self.weight[pos[found]].astype(np.float64) * v[found, None])
        return out

    def proba(self, x: Hashed) -> np.ndarray:
        """Class probabilities [rows, classes]; for two classes, logistic on one score."""
        s = self.scores(x)
        if s.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-s[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        s -= s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return np.asarray(e / e.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Model:
    """The back-off model: its heads (sections, flags, who speaks) and what they were trained on."""

    heads: dict[str, Head]
    meta: dict[str, Any]

    def predict(self, segments: Sequence[SegmentInput], language: str) -> list[Prediction]:
        if not segments:
            return []
        first = features(segments, language)
        x = hashed(first)
        cat1 = self.heads["cat1"]
        p1 = cat1.proba(x)
        cat2 = self.heads["cat2"]
        pc = cat2.proba(hashed(stacked(first, p1, cat1.classes)))
        flags = {k: self.heads[k].proba(x)[:, 1] for k in ("question", "suggestion", "strength")}
        out = []
        for i in range(len(segments)):
            best = int(np.argmax(pc[i]))
            out.append(
                Prediction(
                    category=cat2.classes[best],
                    category_p=float(pc[i, best]),
                    question_p=float(flags["question"][i]),
                    suggestion_p=float(flags["suggestion"][i]),
                    strength_p=float(flags["strength"][i]),
                )
            )
        return out

    def rep_logits(self, segments: Sequence[SegmentInput], language: str) -> np.ndarray:
        """Per segment, the log-odds that the rep said it (from its words, not its speaker)."""
        if not segments:
            return np.zeros(0)
        scores = self.heads["rep"].scores(hashed(features(segments, language)))
        return np.asarray(scores[:, 0])

    def save(self, path: Path) -> None:
        """Write the model as one .npz, atomically.

        Not compressed: inflating the 8 MB compressed file was 50 ms of the 1.1 s ``memo
        draft`` takes to start on a transcript, the 12 MB plain one reads in 7 ms, and git
        and the wheel compress it anyway."""
        from ..outputs import write_with

        arrays: dict[str, np.ndarray] = {"meta": np.asarray(json.dumps(self.meta, ensure_ascii=False))}
        for name, h in self.heads.items():
            arrays[f"{name}.classes"] = np.asarray(h.classes)
            arrays[f"{name}.index"] = h.index.astype(np.int32)
            arrays[f"{name}.weight"] = h.weight.astype(np.float16)
            arrays[f"{name}.bias"] = h.bias.astype(np.float32)
        write_with(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def load(path: Path) -> Model:
    """Read a model written by ``Model.save``."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        heads = {
            name: Head(
                classes=tuple(str(c) for c in data[f"{name}.classes"]),
                # Kept as stored (int32, float16): widening 6 M weights here took 60 ms of
                # ``memo draft``'s start; ``scores`` widens only the rows a meeting uses.
                index=data[f"{name}.index"],
                weight=data[f"{name}.weight"],
                bias=data[f"{name}.bias"].astype(np.float32),
            )
            for name in HEADS
        }
    return Model(heads, meta)


@functools.lru_cache(maxsize=1)
def shipped() -> Model | None:
    """The model shipped with the package, loaded once per process; None when absent."""
    path = package_file(MODEL_PACKAGE, MODEL_NAME)
    if not path.is_file():
        logger.warning("notes back-off model %s is missing; the rules decide alone", path)
        return None
    return load(path)
