"""Which speaker is the rep, from what each one says (speaker labels without an enrollment).

A first-time user has enrolled no voice, so the speaker labels are ``S1``, ``S2``… The rep
presents the manufacturer (our factory, our brand, our price to you, samples, training your
staff); the distributor side talks about its own network and customers, its territory and
terms, and asks about the maker's margins, exclusivity, returns, payment. Those cues are
rules (``rep_cue`` and ``dist_cue`` in ``rules/<lang>/patterns.jsonl``); advice and
descriptions of one's own means count for the distributor too. Each speaker's balance of
cues gives a score; the rep is the speaker whose balance leans furthest to the maker, and
the confidence is how clearly it stands apart from the next one. Below ``MIN_CONFIDENCE``
the labels stay ``S1``/``S2`` and the memo says the sides are unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .classify import SentenceLabels

MIN_CONFIDENCE = 0.6
"""Below this the rep is not named (chosen with ``bench/train_notes.py --sides``)."""
# How much the rule balance counts next to the learned head's mean log-odds.
RULE_WEIGHT = 2.0
# Below this many segments with business content, the confidence shrinks in proportion:
# who offered the coffee says little about who sells the product.
MIN_EVIDENCE = 6
_BUSINESS = ("parties", "market", "product", "concerns")
# Evidence that a turn is the distributor's besides the side cues: its advice and its own means.
_DIST_EXTRA = {"suggestion": 0.5, "strength": 0.5}
_REP_EXTRA = {"reputation": 0.5}


@dataclass(frozen=True)
class SideGuess:
    """Who the rep is, how sure, and each speaker's evidence."""

    rep: str | None  # the rep's speaker label, or None when not sure enough
    confidence: float  # 0..1
    balance: dict[str, float] = field(default_factory=dict)  # speaker -> rep-ness (higher: more the rep)
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)  # speaker -> rule ids heard

    @property
    def sure(self) -> bool:
        return self.rep is not None


def infer_rep(
    speakers: list[str | None], labels: list[list[SentenceLabels]], rep_logits: np.ndarray | None
) -> SideGuess:
    """The rep among the speakers, from what each one says.

    Args:
        speakers: each segment's speaker label (None: unknown).
        labels: each segment's sentences' rule labels.
        rep_logits: each segment's log-odds that the rep said it, from the back-off model's
            ``rep`` head (which learned from the labelled meetings who says what), or None.

    Two kinds of evidence, per speaker: the balance of the side cue rules, and the mean
    log-odds over the speaker's turns. The confidence is the gap between the most rep-like
    speaker and the next, squashed into 0..1.
    """
    names = sorted({s for s in speakers if s is not None})
    if len(names) < 2:
        return SideGuess(None, 0.0)
    rep: dict[str, float] = dict.fromkeys(names, 0.0)
    dist: dict[str, float] = dict.fromkeys(names, 0.0)
    cues: dict[str, list[str]] = {s: [] for s in names}
    for speaker, sents in zip(speakers, labels, strict=True):
        if speaker is None:
            continue
        for lab in sents:
            rep[speaker] += lab.scores.get("rep_cue", 0.0)
            dist[speaker] += lab.scores.get("dist_cue", 0.0)
            for label, w in _DIST_EXTRA.items():
                dist[speaker] += w * lab.scores.get(label, 0.0)
            for label, w in _REP_EXTRA.items():
                rep[speaker] += w * lab.scores.get(label, 0.0)
            cues[speaker].extend(lab.rules.get("rep_cue", ()) + lab.rules.get("dist_cue", ()))
    # Rep-ness: +1 all maker cues, -1 all distributor cues; the +2 keeps a speaker who said
    # almost nothing near 0 instead of at an extreme.
    score = {s: RULE_WEIGHT * (rep[s] - dist[s]) / (rep[s] + dist[s] + 2.0) for s in names}
    if rep_logits is not None:
        for s in names:
            own = [float(v) for sp, v in zip(speakers, rep_logits, strict=True) if sp == s]
            score[s] += sum(own) / len(own) if own else 0.0
    ranked = sorted(names, key=lambda s: score[s], reverse=True)
    gap = score[ranked[0]] - score[ranked[1]]
    business = sum(
        1
        for speaker, sents in zip(speakers, labels, strict=True)
        if speaker is not None and any(lab.scores.get(c, 0.0) > 0 for lab in sents for c in _BUSINESS)
    )
    confidence = (1.0 - math.exp(-max(0.0, gap))) * min(1.0, business / MIN_EVIDENCE)
    chosen = ranked[0] if confidence >= MIN_CONFIDENCE else None
    return SideGuess(chosen, confidence, score, {s: tuple(dict.fromkeys(c)) for s, c in cues.items()})
