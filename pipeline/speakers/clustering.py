"""Clustering window embeddings into speakers (spectral, eigengap count)."""

from __future__ import annotations

import numpy as np

from .options import SpeakerOptions

# --- clustering ----------------------------------------------------------------------------


def cluster(emb: np.ndarray, options: SpeakerOptions) -> np.ndarray:
    """Cluster labels (0..k-1) for L2-normalised embeddings.

    Spectral clustering on a pruned cosine affinity with the speaker count from the
    largest eigengap (3D-Speaker's recipe, after SpeechBrain), then tiny clusters are
    folded into their nearest neighbour and near-identical ones merged.
    """
    n = len(emb)
    if n < 2 * options.min_cluster_windows:
        return np.zeros(n, dtype=int)
    sim = emb @ emb.T
    keep = max(options.min_pnum, n - int((1 - options.pval) * n))
    keep = min(keep, n)
    pruned = np.zeros_like(sim)
    top = np.argsort(-sim, axis=1)[:, :keep]
    rows = np.arange(n)[:, None]
    pruned[rows, top] = sim[rows, top]
    pruned = np.clip(0.5 * (pruned + pruned.T), 0.0, None)
    np.fill_diagonal(pruned, 0.0)
    laplacian = np.diag(pruned.sum(axis=1)) - pruned
    lambdas, vecs = np.linalg.eigh(laplacian)
    top_k = min(options.max_speakers, n - 1)
    gaps = np.diff(lambdas[: top_k + 1])
    k = int(np.argmax(gaps)) + 1
    if k == 1:
        labels = np.zeros(n, dtype=int)
    else:
        from sklearn.cluster import KMeans

        labels = KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(vecs[:, :k])
    labels = _fold_minor(labels, emb, max(options.min_cluster_windows, options.min_cluster_share * n))
    labels = _merge_close(labels, emb, options.merge_cos)
    return _renumber(labels)


def centroids(labels: np.ndarray, emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.unique(labels)
    cents = np.stack([emb[labels == i].mean(axis=0) for i in ids])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True) + 1e-9
    return ids, cents


def _fold_minor(labels: np.ndarray, emb: np.ndarray, min_size: float) -> np.ndarray:
    ids, counts = np.unique(labels, return_counts=True)
    major = ids[counts >= min_size]
    if len(major) == 0:
        return np.zeros_like(labels)
    if len(major) == len(ids):
        return labels
    cents = np.stack([emb[labels == i].mean(axis=0) for i in major])
    out = labels.copy()
    for k in np.where(~np.isin(labels, major))[0]:
        out[k] = major[int(np.argmax(cents @ emb[k]))]
    return out


def _merge_close(labels: np.ndarray, emb: np.ndarray, threshold: float) -> np.ndarray:
    labels = labels.copy()
    while True:
        ids, cents = centroids(labels, emb)
        if len(ids) < 2:
            return labels
        sim = np.triu(cents @ cents.T, 1)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            return labels
        labels[labels == ids[j]] = ids[i]


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Cluster ids in order of first appearance."""
    order: dict[int, int] = {}
    for x in labels:
        order.setdefault(int(x), len(order))
    return np.array([order[int(x)] for x in labels], dtype=int)
