"""Stratified, optionally clustered bootstrap as resampling-count weights.

A replicate is a vector of how often each sample is drawn. Patients (clusters)
are drawn with replacement within each class stratum, so every replicate keeps
the class balance of the data and rare positives are never lost. Replicate r
depends only on (seed, r): adding replicates never changes earlier ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from robustmed._validation import check_positive_int, check_range


@dataclass(frozen=True)
class BootstrapConfig:
    """Bootstrap settings: replicate count, confidence level, interval method and seed."""

    n_resamples: int = 1000
    confidence: float = 0.95
    method: str = "percentile"
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive_int(self.n_resamples, name="n_resamples", owner="BootstrapConfig")
        check_range(
            self.confidence, name="confidence", owner="BootstrapConfig", low=0.0, high=1.0,
            low_inclusive=False, high_inclusive=False,
        )
        if self.method not in ("percentile",):
            raise ValueError(f"BootstrapConfig: method must be 'percentile'; got {self.method!r}.")


def resampling_weights(
    n_resamples: int,
    strata: Sequence | np.ndarray,
    *,
    clusters: Sequence | np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Return a (n_resamples, n) matrix of draw counts, stratified and clustered.

    Parameters
    ----------
    n_resamples : int
    strata : array of shape (n,)
        Stratum of each sample (usually the class label). A cluster belongs to the
        stratum of its first sample.
    clusters : array of shape (n,), optional
        Patient id of each sample; whole patients are drawn. Default: each sample
        is its own cluster.
    seed : int
    """
    strata = np.asarray(strata)
    n = len(strata)
    if clusters is None:
        cluster_index = np.arange(n)
    else:
        _, cluster_index = np.unique(np.asarray(clusters), return_inverse=True)
    n_clusters = int(cluster_index.max()) + 1 if n else 0
    first = np.full(n_clusters, -1)
    for i in range(n - 1, -1, -1):
        first[cluster_index[i]] = i
    cluster_stratum = strata[first]
    groups = [np.flatnonzero(cluster_stratum == s) for s in np.unique(cluster_stratum)]

    counts = np.zeros((n_resamples, n_clusters))
    for r in range(n_resamples):
        rng = np.random.Generator(np.random.Philox(key=[seed, r]))
        for members in groups:
            drawn = members[rng.integers(0, len(members), len(members))]
            counts[r] += np.bincount(drawn, minlength=n_clusters)
    return counts[:, cluster_index]


def percentile_interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite replicate values (NaN when none is finite)."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)
