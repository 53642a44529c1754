"""Shared argument checks.

Every message names the parameter, its owner, what is allowed and what was
received, so that the caller can fix the call without reading the source.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np


def check_in(value: Any, allowed: Collection[Any], *, name: str, owner: str) -> None:
    if value not in allowed:
        choices = ", ".join(repr(a) for a in sorted(allowed, key=str))
        raise ValueError(f"{owner}: {name} must be one of {choices}; got {value!r}.")


def check_range(
    value: float,
    *,
    name: str,
    owner: str,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{owner}: {name} must be a number; got {type(value).__name__} {value!r}.")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{owner}: {name} must be a number, not NaN.")
    below = low is not None and (value < low if low_inclusive else value <= low)
    above = high is not None and (value > high if high_inclusive else value >= high)
    if below or above:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{owner}: {name} must lie in {interval}; got {value!r}.")
    return value


def check_positive_int(value: Any, *, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name} must be an integer; got {type(value).__name__} {value!r}.")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer; got {value!r}.")
    return value


def check_binary_labels(y: Any, *, owner: str) -> np.ndarray:
    """Return ``y`` as int64 after checking that it contains only 0 (negative) and 1 (positive)."""
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"{owner}: y must be one-dimensional; got shape {labels.shape}.")
    values = np.unique(labels)
    if values.dtype.kind not in "biuf" or not np.isin(values, (0, 1)).all():
        found = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:5])
        raise ValueError(
            f"{owner}: y must contain binary labels 0 (negative) and 1 (positive); got values {found}"
            f"{', ...' if len(values) > 5 else ''}. Map the positive class to 1 and every other to 0, "
            "for example y = (labels == positive_label).astype(int)."
        )
    return labels.astype(np.int64)


def check_scores(p: Any, n: int, *, name: str, owner: str) -> np.ndarray:
    """Return scores ``p`` as float64 after checking their shape (n,) and that every value is finite."""
    scores = np.asarray(p, dtype=np.float64)
    if scores.shape != (n,):
        raise ValueError(f"{owner}: {name} must have one score per sample, shape ({n},); got shape {scores.shape}.")
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size:
        raise ValueError(
            f"{owner}: {name} contains {bad.size} NaN or infinite values (first at index {bad[0]}); "
            "drop those samples or fix the model's output first."
        )
    return scores
