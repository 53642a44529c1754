"""Shared argument checks.

Every message names the parameter, its owner, what is allowed and what was
received, so that the caller can fix the call without reading the source.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any


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
