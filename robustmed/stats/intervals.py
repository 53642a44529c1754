"""Metric values with bootstrap intervals, as rows of a tidy table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from robustmed._validation import check_in
from robustmed.metrics.registry import get_metric
from robustmed.stats.bootstrap import INTERVAL_METHODS, Resampler, bca_interval, jackknife_values, percentile_interval
from robustmed.stats.replicates import metric_jackknife, metric_replicates

INTERVAL_METHOD = "bootstrap percentile (stratified by class, clustered by patient)"


def interval_method_label(method: str = "percentile") -> str:
    """Return the ``interval_method`` column text for a bootstrap interval of ``method``."""
    check_in(method, INTERVAL_METHODS, name="method", owner="interval_method_label")
    if method == "percentile":
        return INTERVAL_METHOD
    return "bootstrap BCa (stratified by class, clustered by patient; jackknife over patients)"


def interval(
    replicates: np.ndarray,
    confidence: float,
    *,
    method: str = "percentile",
    estimate: float | None = None,
    jackknife: np.ndarray | None = None,
) -> tuple[float, float]:
    """Interval of ``method`` from replicate values; BCa also needs the estimate and jackknife values."""
    check_in(method, INTERVAL_METHODS, name="method", owner="interval")
    if method == "percentile":
        return percentile_interval(replicates, confidence)
    if estimate is None or jackknife is None:
        raise ValueError("interval: method 'bca' needs estimate and jackknife values; pass both.")
    return bca_interval(replicates, estimate, jackknife, confidence)


@dataclass(frozen=True)
class MetricEstimate:
    """A metric's point value, its replicate values and its interval.

    ``jackknife`` contains the leave-one-patient-out values when the interval is
    BCa (None for percentile intervals); curve summaries reuse them.
    """

    metric: str
    value: float
    replicates: np.ndarray
    low: float
    high: float
    reason: str = ""
    jackknife: np.ndarray | None = None


def estimate(
    metric_name: str,
    y: np.ndarray,
    p: np.ndarray,
    weights: np.ndarray | tuple[Resampler, int],
    confidence: float,
    *,
    method: str = "percentile",
    clusters: np.ndarray | None = None,
) -> MetricEstimate:
    """Evaluate ``metric_name`` on (y, p) and on every bootstrap replicate in ``weights``.

    Parameters
    ----------
    metric_name : str
    y, p : arrays of shape (n,)
    weights : array of shape (R, n), or (resampler, R)
        Bootstrap draw counts (see :func:`robustmed.stats.resampling_weights`), or
        the resampler that draws them and the number of replicates. The second
        form streams the replicates (:func:`robustmed.stats.metric_replicates`)
        and gives the same values without holding the (R, n) matrix.
    confidence : float
    method : {"percentile", "bca"}, default="percentile"
    clusters : array of shape (n,), optional
        Patient ids; the BCa jackknife deletes whole patients. Default: samples.
    """
    check_in(method, INTERVAL_METHODS, name="method", owner="estimate")
    metric = get_metric(metric_name)
    streamed = isinstance(weights, tuple)
    n_resamples = weights[1] if streamed else len(weights)
    if len(y) == 0:
        empty = np.full(n_resamples, np.nan)
        return MetricEstimate(metric_name, float("nan"), empty, float("nan"), float("nan"), "no samples")
    if metric.needs_both_classes and len(np.unique(y)) < 2:
        empty = np.full(n_resamples, np.nan)
        return MetricEstimate(
            metric_name, float("nan"), empty, float("nan"), float("nan"), "only one class present"
        )
    value = metric.value(y, p)
    if streamed:
        replicates = metric_replicates(metric_name, y, p, weights[0], n_resamples)
    else:
        replicates = metric.weighted(y, p, weights)
    jackknife = None
    if method == "bca":
        jackknife = metric_jackknife(metric_name, y, p, clusters=clusters)
    low, high = interval(replicates, confidence, method=method, estimate=value, jackknife=jackknife)
    return MetricEstimate(metric_name, value, replicates, low, high, jackknife=jackknife)


def recipe_interval_method(recipe: object) -> str:
    """Return the recipe's ``bootstrap.method``, or "bca" (the recipe default) when it has no bootstrap block."""
    return getattr(getattr(recipe, "bootstrap", None), "method", "bca")


def bca_jackknife(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    method: str = "percentile",
    clusters: np.ndarray | None = None,
) -> np.ndarray | None:
    """Compute the leave-one-patient-out values of ``statistic`` for a BCa interval.

    Parameters
    ----------
    statistic : callable
        Maps a (k, n) matrix of sample weights to k values, or to a (k, q)
        matrix for q quantities at once.
    n : int
        Number of samples the weights cover.
    method : {"percentile", "bca"}, default="percentile"
        For "percentile" nothing is computed and the result is None.
    clusters : array of shape (n,), optional
        Patient id of every sample; the jackknife deletes whole patients.
        Default: each sample is its own patient.

    Returns
    -------
    ndarray of shape (G,) or (G, q), or None
        One row per deleted patient (or patient group, see
        :func:`robustmed.stats.jackknife_values`).

    Notes
    -----
    Give every quantity of an analysis the same ``n`` and ``clusters`` (all
    samples of the run), also when ``statistic`` reads only some samples, such
    as one subgroup. Deleting a patient outside the subgroup then leaves its
    value unchanged, and the rows of all quantities refer to the same deleted
    patient. A derived quantity (a difference, a gap, a Shapley value) can then
    combine these rows exactly as it combines bootstrap replicates.
    """
    check_in(method, INTERVAL_METHODS, name="method", owner="bca_jackknife")
    if method != "bca":
        return None
    return jackknife_values(statistic, n, clusters=clusters)


def stack_jackknife(jackknives: Sequence[np.ndarray | None]) -> np.ndarray | None:
    """Stack the jackknife values of k quantities into a (G, k) matrix.

    A quantity without jackknife values (None, because it is undefined on the
    data) gets a column of NaN. The result is None when no quantity has any.
    """
    present = [j for j in jackknives if j is not None]
    if not present:
        return None
    size = len(present[0])
    columns = [np.full(size, np.nan) if j is None else np.asarray(j, dtype=np.float64) for j in jackknives]
    return np.column_stack(columns)


def derived_interval(
    value: float,
    replicates: np.ndarray,
    confidence: float,
    *,
    method: str = "percentile",
    jackknife: np.ndarray | None = None,
) -> tuple[float, float]:
    """Interval of ``method`` for a quantity computed from other estimates.

    ``replicates`` are the quantity on every bootstrap replicate and, for BCa,
    ``jackknife`` the quantity on every leave-one-patient-out weight vector
    (see :func:`bca_jackknife`). A BCa interval is NaN when the value is not
    finite or there are no jackknife values, which happens only when every
    component is undefined.
    """
    check_in(method, INTERVAL_METHODS, name="method", owner="derived_interval")
    replicates = np.asarray(replicates, dtype=np.float64)
    if method == "bca" and (jackknife is None or not np.isfinite(value)):
        return float("nan"), float("nan")
    return interval(replicates, confidence, method=method, estimate=float(value), jackknife=jackknife)


def pooled_jackknife(*jackknives: np.ndarray) -> np.ndarray:
    """Combine the jackknife values of independently resampled samples for one BCa acceleration.

    A statistic of several samples, each resampled on its own (test patients
    and few-shot support draws, say), is jackknifed over each sample in turn.
    Its acceleration is a = Σ_j Σ_i U_ji³ / n_j³ / (6 (Σ_j Σ_i U_ji² / n_j²)^(3/2))
    with U_ji = (n_j − 1)(mean_i θ_ji − θ_ji), as ``scipy.stats.bootstrap``
    computes it for multi-sample statistics (``_bca_interval`` in scipy 1.17).
    This function returns every U_ji / n_j with its sign flipped, so the values
    have mean 0. :func:`robustmed.stats.bca_interval` takes the deviations from
    the mean of the values it is given, so it computes that same acceleration.
    Non-finite values are dropped first.
    """
    parts = []
    for values in jackknives:
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        size = values.size
        parts.append((size - 1) / size * (values - values.mean()))
    return np.concatenate(parts) if parts else np.empty(0)
