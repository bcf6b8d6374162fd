"""The glossary corrects what was misheard: near-misses of company names, after decoding.

The glossary already biases decoding (hotwords; the Mandarin prompt), yet the model still
writes a common word that sounds like a rare name: 青嶺 → 清靈, 山嵐 → 山蘭, Bluecrest →
Bluegrass. Here a decoded word is replaced by a glossary name only when it is a close,
rare-enough match, and every replacement is recorded (``Correction``) so a supervisor
sees what was changed and why.

Mandarin, by sound (pypinyin): a run of Han characters as long as the name whose
toneless pinyin equals the name's (``pinyin-equal``); for names of three or more
characters, one syllable may differ if its initial and final are each the same or a
known near pair (``pinyin-near``, ``data/glossary.json``). Two-character names collide
with common words most: they need every syllable, and where the tones differ the model
must have been unsure (the decoded characters' mean word probability below
``UNSURE_PROBABILITY``), so 戶口 said clearly never becomes 湖口.

English, by spelling: a word, or two words run together, of at least ``MIN_LETTERS``
letters within ``MIN_RATIO`` of a name (1 - edits / length, case-insensitive) and with
its first letter; a common word (``data/common_en.txt``) only when it is a single edit
from the name.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources

from ..script import is_han
from ..types import Correction, Segment, Word
from .textmap import CharMap, char_map

UNSURE_PROBABILITY = 0.9
"""Mean word probability under which a two-character word whose tones differ from a
name's may be replaced by it. On the Mandarin sample the misheard two-character names
scored 0.73-0.74 (清靈, 山蘭); characters said clearly mostly score 0.95 and more."""
MIN_LETTERS = 5
"""English words shorter than this are never corrected: short names (Mike, Laura) are one
or two edits from too many words."""
MIN_RATIO = 0.65
"""English similarity (1 - edit distance / longer length) a rare word needs: Bluegrass ->
Bluecrest is 3 edits in 9 letters, 0.67."""
MAX_COMMON_EDITS = 1
"""A common English word is corrected only this close to a name (Denvor -> Denver yes;
Danger -> Denver never)."""
_LATIN = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


@dataclass(frozen=True)
class Sounds:
    """Near initials and finals (``data/glossary.json``)."""

    initials: frozenset[frozenset[str]]
    finals: frozenset[frozenset[str]]

    def near(self, a: tuple[str, str], b: tuple[str, str]) -> bool:
        """Two (initial, final) syllables that differ only by near pairs."""
        ini = a[0] == b[0] or frozenset((a[0], b[0])) in self.initials
        fin = a[1] == b[1] or frozenset((a[1], b[1])) in self.finals
        return ini and fin


@functools.lru_cache(maxsize=1)
def load_sounds() -> Sounds:
    """The near pairs shipped in ``pipeline/asr/data/glossary.json``, checked on load.

    Raises:
        ValueError: an entry lacks a unique id or its pair is not two strings.
    """
    raw = json.loads(resources.files("pipeline.asr.data").joinpath("glossary.json").read_text("utf-8"))
    out: dict[str, frozenset[frozenset[str]]] = {}
    for key in ("near_initials", "near_finals"):
        ids = [e.get("id") for e in raw[key]]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
            raise ValueError(f"glossary.json: every {key} entry needs a unique string id")
        if not all(len(e["pair"]) == 2 and all(isinstance(x, str) for x in e["pair"]) for e in raw[key]):
            raise ValueError(f"glossary.json: every {key} pair must be two strings")
        out[key] = frozenset(frozenset(e["pair"]) for e in raw[key])
    return Sounds(out["near_initials"], out["near_finals"])


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Common English words of five letters or more (``data/common_en.txt``)."""
    text = resources.files("pipeline.asr.data").joinpath("common_en.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@functools.lru_cache(maxsize=4096)
def _readings(ch: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


@functools.lru_cache(maxsize=4096)
def _syllables(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Tonal syllables (qing1) and (initial, final) pairs of a Han string, in context."""
    from pypinyin import Style, lazy_pinyin

    tones = tuple(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
    ini = lazy_pinyin(text, style=Style.INITIALS, strict=False)
    fin = lazy_pinyin(text, style=Style.FINALS, strict=False)
    return tones, tuple(zip(ini, fin, strict=True))


def _mean_probability(seg: Segment, cmap: CharMap | None, a: int, b: int) -> float | None:
    if cmap is None:
        return None
    owners = sorted({cmap.word_of[p] for p in range(a, b) if cmap.word_of[p] >= 0})
    probs = [p for p in (seg.words[i].probability for i in owners) if p is not None]
    return sum(probs) / len(probs) if probs else None


def _match_zh(window: str, name: str, unsure: bool) -> tuple[str, float] | None:
    """(rule, score) when ``window`` sounds like ``name``, else ``None``.

    ``unsure``: the model's mean word probability over the window is low. Only a
    two-character name needs it, and only where the tones differ: that is where common
    words collide with names (戶口/湖口). Three or more syllables alike are rare enough.
    """
    if len(window) != len(name) or window == name:
        return None
    same = [bool(_readings(w) & _readings(n)) for w, n in zip(window, name, strict=True)]
    w_tones, w_parts = _syllables(window)
    n_tones, n_parts = _syllables(name)
    if all(same):
        return ("pinyin-equal", 1.0) if w_tones == n_tones or len(name) >= 3 or unsure else None
    if len(name) >= 3 and same.count(False) == 1:
        i = same.index(False)
        if load_sounds().near(w_parts[i], n_parts[i]):
            return "pinyin-near", round((len(name) - 0.5) / len(name), 3)
    return None


def _edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _match_en(words: Sequence[str], name: str) -> tuple[str, float] | None:
    """(rule, score) when ``words`` (one, or two run together) nearly spell ``name``."""
    cand = "".join(words).lower()
    target = re.sub(r"[^a-z]", "", name.lower())
    name_words = {w.lower() for w in name.split()}
    if cand == target and len(words) == len(name_words):
        return None  # said right (the case may differ: left as the model wrote it)
    if len(cand) < MIN_LETTERS or len(target) < MIN_LETTERS or cand[0] != target[0]:
        return None
    d = _edits(cand, target)
    score = round(1 - d / max(len(cand), len(target)), 3)
    # Short words are all common; the name's own words do not make it a common phrase.
    common = all(
        w.lower() in common_words() or len(w) < MIN_LETTERS for w in words if w.lower() not in name_words
    )
    if (common and d <= MAX_COMMON_EDITS) or (not common and score >= MIN_RATIO):
        return "spelling", score
    return None


@dataclass(frozen=True)
class _Hit:
    a: int
    b: int
    name: str
    rule: str
    score: float


def _find(seg: Segment, cmap: CharMap | None, names: Sequence[str]) -> list[_Hit]:
    """Non-overlapping near-misses in one segment; names said right are left alone."""
    text = seg.text
    taken = [False] * len(text)
    hits: list[_Hit] = []
    for name in sorted(names, key=len, reverse=True):  # exact names block their span first
        at = text.find(name)
        while at >= 0:
            taken[at : at + len(name)] = [True] * len(name)
            at = text.find(name, at + 1)
    latin = [(m.start(), m.end(), m.group()) for m in _LATIN.finditer(text)]
    for name in sorted(names, key=len, reverse=True):
        if all(is_han(c) for c in name) and len(name) >= 2:
            for a in range(len(text) - len(name) + 1):
                b = a + len(name)
                window = text[a:b]
                if any(taken[a:b]) or not all(is_han(c) for c in window):
                    continue
                p = _mean_probability(seg, cmap, a, b)
                found = _match_zh(window, name, p is not None and p < UNSURE_PROBABILITY)
                if found:
                    hits.append(_Hit(a, b, name, *found))
                    taken[a:b] = [True] * len(name)
        elif _LATIN.fullmatch(name.replace(" ", "")) or all(_LATIN.fullmatch(w) for w in name.split()):
            k = len(name.split())
            for size in {k, k + 1} if k == 1 else {k}:
                for i in range(len(latin) - size + 1):
                    group = latin[i : i + size]
                    a, b = group[0][0], group[-1][1]
                    if any(taken[a:b]) or not text[a:b].replace(" ", "").isascii():
                        continue
                    if any(text[x[1] : y[0]] != " " for x, y in itertools.pairwise(group)):
                        continue  # only words next to each other, one space apart
                    found = _match_en([g[2] for g in group], name)
                    if found:
                        hits.append(_Hit(a, b, name, *found))
                        taken[a:b] = [True] * (b - a)
    return sorted(hits, key=lambda h: h.a)


def _rewrite_words(seg: Segment, cmap: CharMap, hit: _Hit) -> tuple[Word, ...]:
    """The words with the hit's characters replaced: the words it touches become one."""
    owners = [cmap.word_of[p] for p in range(hit.a, hit.b) if cmap.word_of[p] >= 0]
    i0, i1 = min(owners), max(owners)
    # Core (letter/character) offsets of the hit inside the joined words i0..i1.
    before = sum(1 for p in range(hit.a) if cmap.word_of[p] >= 0 and cmap.word_of[p] >= i0)
    length = len(owners)
    joined = "".join(w.word for w in seg.words[i0 : i1 + 1])
    core = [j for j, ch in enumerate(joined) if re.match(r"[^\s\W_]", ch)]
    x, y = core[before], core[before + length - 1] + 1
    probs = [w.probability for w in seg.words[i0 : i1 + 1] if w.probability is not None]
    merged = Word(
        seg.words[i0].start,
        seg.words[i1].end,
        joined[:x] + hit.name + joined[y:],
        min(probs) if probs else None,
    )
    return (*seg.words[:i0], merged, *seg.words[i1 + 1 :])


def correct_segment(seg: Segment, names: Sequence[str]) -> tuple[Segment, list[Correction]]:
    """Replace the near-misses of ``names`` in one segment (its words too, where known).

    Args:
        seg: a decoded segment, in its final script.
        names: the glossary, Chinese names already in the segment's script.

    Returns:
        The corrected segment and one ``Correction`` per replacement (segment id as given).
    """
    cmap = char_map(seg)
    hits = _find(seg, cmap, names)
    if not hits:
        return seg, []
    corrections = []
    for hit in reversed(hits):  # right to left: earlier offsets stay valid
        start = seg.start
        if cmap is not None:
            owner = next(cmap.word_of[p] for p in range(hit.a, hit.b) if cmap.word_of[p] >= 0)
            start = seg.words[owner].start
            words = _rewrite_words(seg, cmap, hit)
        else:
            words = seg.words
        text = seg.text[: hit.a] + hit.name + seg.text[hit.b :]
        corrections.append(Correction(seg.id, seg.text[hit.a : hit.b], hit.name, start, hit.rule, hit.score))
        seg = replace(seg, text=text, words=words)
        cmap = char_map(seg)
        if cmap is None and seg.words:  # cannot happen when the map held before; be safe
            break
    return seg, corrections[::-1]
