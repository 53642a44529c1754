"""Reference-free summaries of a degradation curve, on the real severity values."""

from __future__ import annotations

import numpy as np


def normalised_auc(severity, values) -> float:
    """Trapezoid area over the severity values divided by their range: a flat curve equals its value."""
    x = np.asarray(severity, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    order = np.argsort(x)
    x, y = x[order], y[order]
    span = x[-1] - x[0]
    if span <= 0:
        return float(y[0])
    return float(np.trapezoid(y, x) / span)


def retention(values, clean) -> np.ndarray:
    """y_s / y_0 for every level."""
    return np.asarray(values, dtype=np.float64) / float(clean)


def worst_drop(clean: float, worst: float, higher_is_better: bool) -> float:
    """y_0 − y_worst when higher is better, y_worst − y_0 otherwise."""
    return float(clean - worst) if higher_is_better else float(worst - clean)
