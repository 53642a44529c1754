"""Building blocks shared by the recipe schema and every analysis spec."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from robustmed.generators.base import MAX_LEVEL

STANDARD_LEVELS = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


class StrictModel(BaseModel):
    """A frozen pydantic model that rejects unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_levels(levels: list[float]) -> list[float]:
    """Validate severity levels (0 to 5, no repeats) and return them sorted."""
    for level in levels:
        if not 0.0 <= level <= MAX_LEVEL:
            raise ValueError(f"level {level!r} is out of range; allowed: numbers from 0 to {MAX_LEVEL:g}")
    if len(set(levels)) != len(levels):
        raise ValueError("levels must not repeat")
    return sorted(levels)


def check_generator_names(names: list[str]) -> list[str]:
    from robustmed.generators.registry import generator_names

    known = generator_names()
    for name in names:
        if name not in known:
            raise ValueError(f"unknown generator {name!r}; allowed: {', '.join(known)}")
    return names


def check_metric_names(names: list[str]) -> list[str]:
    from robustmed.metrics import metric_names

    for name in names:
        if name not in metric_names():
            raise ValueError(f"unknown metric {name!r}; allowed: {', '.join(metric_names())}")
    return names
