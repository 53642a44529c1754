"""Metric registry (direction-aware), calibration and curve summaries."""

from robustmed.metrics.registry import Metric, get_metric, metric_names, register_metric

__all__ = ["Metric", "get_metric", "metric_names", "register_metric"]
