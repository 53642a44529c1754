"""Building blocks shared by the recipe schema and every analysis spec."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

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


def check_levels_with_clean(levels: list[float]) -> list[float]:
    """Validate severity levels that must include level 0, the clean reference."""
    levels = check_levels(levels)
    if levels[0] != 0.0:
        raise ValueError("levels must include 0 (the clean input), the reference of every curve and grid")
    return levels


# Field types shared by the analysis specs, so every kind validates these fields alike.
GeneratorNames = Annotated[list[str], AfterValidator(check_generator_names)]
MetricNames = Annotated[list[str], AfterValidator(check_metric_names)]
SeverityLevels = Annotated[list[float], AfterValidator(check_levels_with_clean)]
