"""Metric values with bootstrap intervals, as rows of a tidy table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robustmed.metrics.registry import get_metric
from robustmed.stats.bootstrap import percentile_interval

INTERVAL_METHOD = "bootstrap percentile (stratified by class, clustered by patient)"


@dataclass(frozen=True)
class MetricEstimate:
    """A metric's point value, its replicate values and its interval."""

    metric: str
    value: float
    replicates: np.ndarray
    low: float
    high: float
    reason: str = ""


def estimate(metric_name: str, y: np.ndarray, p: np.ndarray, weights: np.ndarray, confidence: float) -> MetricEstimate:
    """Evaluate ``metric_name`` on (y, p) and on every bootstrap replicate in ``weights``."""
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
    low, high = percentile_interval(replicates, confidence)
    return MetricEstimate(metric_name, value, replicates, low, high)
