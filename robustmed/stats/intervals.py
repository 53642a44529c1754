"""Metric values with bootstrap intervals, as rows of a tidy table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robustmed._validation import check_in
from robustmed.metrics.registry import get_metric
from robustmed.stats.bootstrap import INTERVAL_METHODS, bca_interval, jackknife_values, percentile_interval

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
    weights: np.ndarray,
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
    weights : array of shape (R, n)
        Bootstrap draw counts (see :func:`robustmed.stats.resampling_weights`).
    confidence : float
    method : {"percentile", "bca"}, default="percentile"
    clusters : array of shape (n,), optional
        Patient ids; the BCa jackknife deletes whole patients. Default: samples.
    """
    check_in(method, INTERVAL_METHODS, name="method", owner="estimate")
    metric = get_metric(metric_name)
    if len(y) == 0:
        empty = np.full(len(weights), np.nan)
        return MetricEstimate(metric_name, float("nan"), empty, float("nan"), float("nan"), "no samples")
    if metric.needs_both_classes and len(np.unique(y)) < 2:
        empty = np.full(len(weights), np.nan)
        return MetricEstimate(
            metric_name, float("nan"), empty, float("nan"), float("nan"), "only one class present"
        )
    value = metric.value(y, p)
    replicates = metric.weighted(y, p, weights)
    jackknife = None
    if method == "bca":
        jackknife = jackknife_values(lambda w: metric.weighted(y, p, w), len(y), clusters=clusters)
    low, high = interval(replicates, confidence, method=method, estimate=value, jackknife=jackknife)
    return MetricEstimate(metric_name, value, replicates, low, high, jackknife=jackknife)
