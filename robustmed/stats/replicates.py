"""Bootstrap replicates of registered metrics, streamed in chunks, and paired differences.

AUROC has a dedicated path. The scores are sorted once, so a replicate is a
vector of draw counts in sorted order whose AUROC follows from cumulative
negative counts in O(n). When every stratum contains one class and
samples are not clustered, the draws themselves are mapped to tie groups and
no (replicates, n) weight matrix is formed at all, which is the fastest route
(see ``benchmarks/bench_bootstrap.py``). Every path yields the same replicate
values, because all derive from :meth:`Resampler.draws`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from robustmed._validation import check_in, check_positive_int
from robustmed.metrics.classification import SortedScores
from robustmed.metrics.registry import get_metric
from robustmed.stats.bootstrap import (
    INTERVAL_METHODS,
    Resampler,
    bca_interval,
    bootstrap_replicates,
    jackknife_values,
    percentile_interval,
)


def _auroc_from_draws(
    y: np.ndarray, p: np.ndarray, resampler: Resampler, n_resamples: int, n_jobs: int = 1
) -> np.ndarray:
    """AUROC replicates straight from the draws; needs unclustered, class-pure strata.

    Negatives and positives are each put in score order once. A replicate then
    needs the drawn count of every negative (one bincount) and their cumulative
    sum C. A positive beats C[lo] negatives and ties with C[hi] − C[lo], so its
    wins are (C[lo] + C[hi]) / 2. lo and hi are ascending, so those reads are sequential.
    """
    negatives = np.flatnonzero(y == 0)
    positives = np.flatnonzero(y == 1)
    n_negative, n_positive = len(negatives), len(positives)
    if n_positive == 0 or n_negative == 0:
        return np.full(n_resamples, np.nan)
    negative_order = negatives[np.argsort(p[negatives], kind="stable")]
    positive_order = positives[np.argsort(p[positives], kind="stable")]
    rank = np.empty(len(y), dtype=np.int64)
    rank[negative_order] = np.arange(n_negative)
    rank[positive_order] = np.arange(n_positive)
    negative_scores = p[negative_order]
    lo = np.searchsorted(negative_scores, p[positive_order], side="left")
    hi = np.searchsorted(negative_scores, p[positive_order], side="right")
    targets = [rank[members] for members in resampler.stratum_members]
    is_positive = [bool(y[members[0]] == 1) for members in resampler.stratum_members]
    untied = np.array_equal(lo, hi)
    values = np.empty(n_resamples)

    def evaluate_block(replicates: range) -> None:
        cumulative = np.zeros(n_negative + 1, dtype=np.int64)
        for replicate in replicates:
            rng = resampler.generator(replicate)
            negative_counts, positive_counts = [], []
            # The same calls in the same order as Resampler.draws, so the replicate is identical.
            for stratum_targets, positive in zip(targets, is_positive, strict=True):
                drawn = stratum_targets[rng.integers(0, len(stratum_targets), len(stratum_targets))]
                if positive:
                    positive_counts.append(np.bincount(drawn, minlength=n_positive))
                else:
                    negative_counts.append(np.bincount(drawn, minlength=n_negative))
            negative_total = negative_counts[0] if len(negative_counts) == 1 else np.sum(negative_counts, axis=0)
            positive_total = positive_counts[0] if len(positive_counts) == 1 else np.sum(positive_counts, axis=0)
            np.cumsum(negative_total, out=cumulative[1:])
            wins_twice = 2 * cumulative[lo] if untied else cumulative[lo] + cumulative[hi]
            values[replicate] = float(positive_total @ wins_twice) / (2.0 * n_positive * n_negative)

    # Threads share the work because NumPy releases the GIL in the random draws, gathers and
    # sums; each replicate has its own generator, so the values do not depend on n_jobs.
    blocks = [range(start, n_resamples, n_jobs) for start in range(n_jobs)]
    if n_jobs == 1:
        evaluate_block(blocks[0])
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(evaluate_block, blocks))
    return values


def metric_replicates(
    metric_name: str,
    y,
    p,
    resampler: Resampler,
    n_resamples: int,
    *,
    chunk_size: int | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Values of a registered metric on replicates 0 to ``n_resamples - 1`` of ``resampler``.

    Parameters
    ----------
    metric_name : str
        A name from :func:`robustmed.metrics.metric_names`.
    y, p : arrays of shape (n,)
        Labels and positive-class probabilities, in the sample order of ``resampler``.
    resampler : Resampler
    n_resamples : int
    chunk_size : int, optional
        Replicates evaluated together; default keeps a chunk near 256 MiB.
    n_jobs : int, default=1
        Threads for the AUROC path that works from the draws (class-pure strata,
        no clusters). The values are the same for any ``n_jobs``.

    Returns
    -------
    ndarray of shape (n_resamples,)
    """
    check_positive_int(n_jobs, name="n_jobs", owner="metric_replicates")
    y = np.asarray(y).astype(np.int64)
    p = np.asarray(p, dtype=np.float64)
    if len(y) != resampler.n:
        raise ValueError(f"metric_replicates: y has {len(y)} samples but the resampler has {resampler.n}.")
    if metric_name == "auroc":
        pure = all(np.unique(y[members]).size == 1 for members in resampler.stratum_members)
        if pure and not resampler.clustered and resampler.scheme == "multinomial":
            return _auroc_from_draws(y, p, resampler, n_resamples, n_jobs)
        scores = SortedScores(y, p)
        return bootstrap_replicates(scores.auroc, resampler, n_resamples, chunk_size=chunk_size, order=scores.order)
    metric = get_metric(metric_name)
    return bootstrap_replicates(lambda w: metric.weighted(y, p, w), resampler, n_resamples, chunk_size=chunk_size)


@dataclass(frozen=True)
class PairedDifference:
    """Difference of one metric between two sets of predictions on the same samples.

    ``difference`` is metric(a) − metric(b); ``replicates`` contains that difference
    on every bootstrap replicate, with both sides evaluated on the same weights.
    ``p_value`` is the two-sided bootstrap p-value, twice the smaller share of
    replicates on either side of 0 (capped at 1).
    """

    metric: str
    value_a: float
    value_b: float
    difference: float
    low: float
    high: float
    p_value: float
    replicates: np.ndarray
    interval_method: str


def paired_difference(
    metric_name: str,
    y,
    p_a,
    p_b,
    resampler: Resampler,
    n_resamples: int,
    *,
    confidence: float = 0.95,
    method: str = "percentile",
    clusters=None,
) -> PairedDifference:
    """Paired bootstrap of metric(a) − metric(b) for two models or two cells on the same samples.

    Both prediction vectors must follow the sample order of ``resampler``.
    Every replicate draws the same samples for both, so the interval reflects
    only the difference and not the sampling noise they share.
    ``clusters`` (patient ids) is used by the BCa jackknife and should match
    the resampler's clusters.
    """
    check_in(method, INTERVAL_METHODS, name="method", owner="paired_difference")
    metric = get_metric(metric_name)
    y = np.asarray(y).astype(np.int64)
    p_a = np.asarray(p_a, dtype=np.float64)
    p_b = np.asarray(p_b, dtype=np.float64)
    if not (len(y) == len(p_a) == len(p_b)):
        raise ValueError(
            f"paired_difference: y, p_a and p_b must have the same length; got {len(y)}, {len(p_a)}, {len(p_b)}."
        )
    value_a, value_b = metric.value(y, p_a), metric.value(y, p_b)
    replicates = metric_replicates(metric_name, y, p_a, resampler, n_resamples) - metric_replicates(
        metric_name, y, p_b, resampler, n_resamples
    )
    difference = value_a - value_b
    if method == "bca":
        jackknife = jackknife_values(
            lambda w: metric.weighted(y, p_a, w) - metric.weighted(y, p_b, w), len(y), clusters=clusters
        )
        low, high = bca_interval(replicates, difference, jackknife, confidence)
    else:
        low, high = percentile_interval(replicates, confidence)
    finite = replicates[np.isfinite(replicates)]
    if finite.size:
        share = min((finite <= 0).mean(), (finite >= 0).mean())
        p_value = float(min(1.0, 2.0 * share))
    else:
        p_value = float("nan")
    label = f"paired bootstrap {method} ({resampler.scheme}, {n_resamples} replicates)"
    return PairedDifference(metric_name, value_a, value_b, difference, low, high, p_value, replicates, label)
