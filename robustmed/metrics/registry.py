"""Metric registry: every metric with its direction and its two evaluation forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from robustmed.metrics import calibration
from robustmed.metrics import classification as cls


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    ``value(y, p)`` is the reported number; ``weighted(y, p, weights)`` returns one
    value per row of a (replicates, n) weight matrix, for bootstrap intervals.
    """

    name: str
    higher_is_better: bool
    value: Callable[[np.ndarray, np.ndarray], float]
    weighted: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    description: str = ""
    needs_both_classes: bool = False


_METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    _METRICS[metric.name] = metric
    return metric


class UnknownMetricError(KeyError, ValueError):
    """A metric name that is not registered; a KeyError for lookups and a ValueError for callers."""

    def __str__(self) -> str:
        # KeyError's own str() would wrap the message in quotes.
        return str(self.args[0])


def get_metric(name: str) -> Metric:
    if name not in _METRICS:
        raise UnknownMetricError(f"Unknown metric {name!r}; registered metrics: {', '.join(sorted(_METRICS))}.")
    return _METRICS[name]


def metric_names() -> list[str]:
    return sorted(_METRICS)


for _metric in (
    Metric("auroc", True, cls.auroc, cls.auroc_weighted, "area under the ROC curve", True),
    Metric(
        "balanced_accuracy",
        True,
        cls.balanced_accuracy,
        cls.balanced_accuracy_weighted,
        "mean per-class recall at threshold 0.5",
    ),
    Metric("accuracy", True, cls.accuracy, cls.accuracy_weighted, "accuracy at threshold 0.5"),
    Metric("ece", False, cls.ece, cls.ece_weighted, "expected calibration error, 15 equal-width bins"),
    Metric(
        "ece_equal_mass",
        False,
        calibration.ece_equal_mass,
        calibration.ece_equal_mass_weighted,
        "expected calibration error, 15 equal-mass bins",
    ),
    Metric("brier", False, cls.brier, cls.brier_weighted, "Brier score summed over classes"),
    Metric("nll", False, cls.nll, cls.nll_weighted, "negative log-likelihood"),
    Metric(
        "auprc",
        True,
        cls.auprc,
        cls.auprc_weighted,
        "area under the precision-recall curve (average precision)",
        True,
    ),
    Metric(
        "sensitivity_at_90_specificity",
        True,
        cls.sensitivity_at_specificity,
        cls.sensitivity_at_specificity_weighted,
        "highest sensitivity on the ROC curve with specificity at least 0.9",
        True,
    ),
    Metric(
        "specificity_at_90_sensitivity",
        True,
        cls.specificity_at_sensitivity,
        cls.specificity_at_sensitivity_weighted,
        "highest specificity on the ROC curve with sensitivity at least 0.9",
        True,
    ),
):
    register_metric(_metric)
