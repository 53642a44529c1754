"""Bootstrap replicates of registered metrics, streamed in chunks, and paired differences.

AUROC has a dedicated path. The scores are sorted once; a replicate is a
vector of draw counts, and its AUROC follows from cumulative negative counts
along the sorted order, ties grouped, in O(n) and without a (replicates, n)
weight matrix (see ``benchmarks/bench_bootstrap.py``). Other metrics are
evaluated on streamed chunks of weights. Every path yields the same replicate
values, because all draw their counts from :meth:`Resampler.slot_counts`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from robustmed._validation import check_binary_labels, check_in, check_positive_int, check_scores
from robustmed.metrics.registry import get_metric
from robustmed.stats._kernels import MAX_SLOTS, auroc_block, pack_sorted
from robustmed.stats.bootstrap import (
    INTERVAL_METHODS,
    Resampler,
    bca_interval,
    bootstrap_replicates,
    jackknife_groups,
    jackknife_values,
    percentile_interval,
)


def _auroc_replicates(
    y: np.ndarray, p: np.ndarray, resampler: Resampler, n_resamples: int, n_jobs: int = 1
) -> np.ndarray:
    """Compute AUROC replicates from one sort of the scores, for any strata, clusters and scheme.

    Samples are put in score order once, with the boundaries of tied scores.
    A replicate then draws its counts (:meth:`Resampler.slot_counts`) and
    walks the sorted samples once, reading each sample's count through its
    cluster's slot: O(n) per replicate and no (replicates, n) weight matrix.
    """
    if len(p) == 0:
        return np.full(n_resamples, np.nan)
    order = np.argsort(p, kind="stable")
    sorted_scores = p[order]
    group_end = np.append(np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]) + 1, len(p))
    packed = pack_sorted(resampler.slot_of_cluster[resampler.cluster_index[order]], y[order] == 1, group_end)
    keys = resampler.key_table(n_resamples)
    poisson = resampler.scheme == "poisson"
    values = np.empty(n_resamples)

    def evaluate_block(replicates: np.ndarray) -> None:
        auroc_block(
            replicates, keys, poisson, resampler.slot_offsets, resampler.slot_sizes, packed,
            resampler.n_clusters, values,
        )

    # The kernel releases the GIL and every replicate has its own counter-based stream,
    # so threads share the work and the values do not depend on n_jobs.
    blocks = [np.arange(start, n_resamples, n_jobs, dtype=np.int64) for start in range(n_jobs)]
    if n_jobs == 1:
        evaluate_block(blocks[0])
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(evaluate_block, blocks))
    return values


def _grouped_midranks(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Return the midrank (1-based, ties averaged) of every score among the scores of its group."""
    order = np.lexsort((scores, groups))
    sorted_scores, sorted_groups = scores[order], groups[order]
    n = len(scores)
    new_block = np.ones(n, dtype=bool)
    new_block[1:] = (sorted_scores[1:] != sorted_scores[:-1]) | (sorted_groups[1:] != sorted_groups[:-1])
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = sorted_groups[1:] != sorted_groups[:-1]
    positions = np.arange(n)
    block_start = np.maximum.accumulate(np.where(new_block, positions, 0))
    ends = np.append(np.flatnonzero(new_block)[1:], n) - 1
    block_end = ends[np.cumsum(new_block) - 1]
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    ranks = np.empty(n)
    ranks[order] = (block_start + block_end) / 2.0 + 1.0 - group_start
    return ranks


def auroc_jackknife(
    y, p, *, clusters=None, max_groups: int = 1000, seed: int = 0
) -> np.ndarray:
    """Compute the leave-one-group-out AUROC of every jackknife group, exactly and in O(n log n).

    The values equal :func:`robustmed.stats.bootstrap.jackknife_values` of the
    weighted AUROC with the same groups, without evaluating the metric once per
    group. Let S count the positive-negative pairs won, ties one half. Deleting
    group g leaves S − A_g − B_g + C_g pairs won. A_g sums the wins of the
    group's positives over all negatives, and B_g the wins of all positives over
    the group's negatives. C_g counts the pairs inside the group, because the
    two sums removed them twice. Wins come from midranks, as in DeLong's method.
    On 10^6 predictions and 1,000 groups this took 0.9 s, against about 27 s for
    the generic jackknife.
    """
    y = check_binary_labels(y, owner="auroc_jackknife")
    p = check_scores(p, len(y), name="p", owner="auroc_jackknife")
    groups, n_groups = jackknife_groups(len(y), clusters=clusters, max_groups=max_groups, seed=seed)
    positive = y == 1
    n_positive, n_negative = int(positive.sum()), int((~positive).sum())
    everyone = np.zeros(len(y), dtype=np.int64)
    rank_all = _grouped_midranks(p, everyone)
    rank_class = _grouped_midranks(p, positive.astype(np.int64))
    # Positive i beats rank_all - rank_class negatives, ties counting one half. For negative j the
    # same difference counts the positives at or below it, so n_positive minus it beat j.
    below = rank_all - rank_class
    wins_positive = np.where(positive, below, 0.0)
    wins_over_negative = np.where(positive, 0.0, n_positive - below)
    won = wins_positive.sum()
    a = np.bincount(groups, weights=wins_positive, minlength=n_groups)
    b = np.bincount(groups, weights=wins_over_negative, minlength=n_groups)
    rank_in_group = _grouped_midranks(p, groups)
    rank_in_group_class = _grouped_midranks(p, groups * 2 + positive)
    c = np.bincount(groups, weights=np.where(positive, rank_in_group - rank_in_group_class, 0.0), minlength=n_groups)
    positives_left = n_positive - np.bincount(groups, weights=positive, minlength=n_groups)
    negatives_left = n_negative - np.bincount(groups, weights=~positive, minlength=n_groups)
    pairs = positives_left * negatives_left
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, (won - a - b + c) / pairs, np.nan)


def metric_jackknife(metric_name: str, y, p, *, clusters=None) -> np.ndarray:
    """Return the leave-one-patient-out values of a registered metric on (y, p).

    AUROC uses the exact O(n log n) form of :func:`auroc_jackknife`; other
    metrics are evaluated once per deleted group on weight vectors
    (:func:`robustmed.stats.jackknife_values`). Both delete the same groups.
    """
    if metric_name == "auroc":
        return auroc_jackknife(y, p, clusters=clusters)
    metric = get_metric(metric_name)
    return jackknife_values(lambda w: metric.weighted(y, p, w), len(y), clusters=clusters)


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
        Threads for the AUROC path. The values are the same for any ``n_jobs``.

    Returns
    -------
    ndarray of shape (n_resamples,)
    """
    check_positive_int(n_jobs, name="n_jobs", owner="metric_replicates")
    check_positive_int(n_resamples, name="n_resamples", owner="metric_replicates")
    y = check_binary_labels(y, owner="metric_replicates")
    if len(y) != resampler.n:
        raise ValueError(f"metric_replicates: y has {len(y)} samples but the resampler has {resampler.n}.")
    p = check_scores(p, len(y), name="p", owner="metric_replicates")
    if metric_name == "auroc" and resampler.n_clusters < MAX_SLOTS:
        return _auroc_replicates(y, p, resampler, n_resamples, n_jobs)
    metric = get_metric(metric_name)
    return bootstrap_replicates(lambda w: metric.weighted(y, p, w), resampler, n_resamples, chunk_size=chunk_size)


@dataclass(frozen=True)
class PairedDifference:
    """Difference of one metric between two sets of predictions on the same samples.

    ``difference`` is metric(a) − metric(b); ``replicates`` contains that difference
    on every bootstrap replicate, with both sides evaluated on the same weights.
    ``p_value`` is the two-sided bootstrap p-value 2 (1 + c) / (R + 1), capped
    at 1, where c counts the replicates on the smaller side of 0 among R finite
    ones. Its smallest value is 2 / (R + 1).
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
    y = check_binary_labels(y, owner="paired_difference")
    p_a = check_scores(p_a, len(y), name="p_a", owner="paired_difference")
    p_b = check_scores(p_b, len(y), name="p_b", owner="paired_difference")
    value_a, value_b = metric.value(y, p_a), metric.value(y, p_b)
    replicates = metric_replicates(metric_name, y, p_a, resampler, n_resamples) - metric_replicates(
        metric_name, y, p_b, resampler, n_resamples
    )
    difference = value_a - value_b
    if method == "bca":
        # Both jackknives delete the same groups, so their difference is the jackknife of the difference.
        jackknife = metric_jackknife(metric_name, y, p_a, clusters=clusters) - metric_jackknife(
            metric_name, y, p_b, clusters=clusters
        )
        low, high = bca_interval(replicates, difference, jackknife, confidence)
    else:
        low, high = percentile_interval(replicates, confidence)
    finite = replicates[np.isfinite(replicates)]
    if finite.size:
        # Counting the observed data as one more replicate, (1 + count) / (R + 1), keeps the
        # p-value above 0, so it can be reported and adjusted for multiple testing.
        extreme = min((finite <= 0).sum(), (finite >= 0).sum())
        p_value = float(min(1.0, 2.0 * (extreme + 1) / (finite.size + 1)))
    else:
        p_value = float("nan")
    label = f"paired bootstrap {method} ({resampler.scheme}, {n_resamples} replicates)"
    return PairedDifference(metric_name, value_a, value_b, difference, low, high, p_value, replicates, label)
