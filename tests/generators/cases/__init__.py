"""The table that drives the generator contract tests.

Each module in this package defines ``CASES``, a list of :class:`GeneratorCase`.
Every registered generator must appear in at least one case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pkgutil import iter_modules

import torch

from robustmed.data.spec import ModalitySpec


@dataclass(frozen=True)
class GeneratorInput:
    """A real input for a generator: values, present mask, modality spec and sample ids."""

    values: torch.Tensor | list[str]
    present: torch.Tensor
    spec: ModalitySpec
    sample_ids: list[str]


def default_distortion(clean, perturbed, present_before, present_after) -> float:
    """Mean absolute change (NaN counted as changed) plus the fraction of samples made absent."""
    if isinstance(clean, torch.Tensor):
        a = clean.double()
        b = perturbed.double()
        changed = torch.where(torch.isnan(a) | torch.isnan(b), torch.ones_like(a), (a - b).abs())
        value = changed.mean().item()
    else:
        value = sum(x != y for x, y in zip(clean, perturbed, strict=True)) / max(len(clean), 1)
    return value + (present_before & ~present_after).double().mean().item()


@dataclass(frozen=True)
class GeneratorCase:
    """One generator on one real input.

    ``make_input`` builds the input (cached by the tests); ``distortion`` measures
    how far a perturbed output is from the clean one and must grow with level.
    ``kwargs`` are keyword arguments for the generator's constructor besides the ladder.
    ``deterministic`` marks a generator that draws no random numbers (blur, JPEG, a
    contrast change): its output must then be the same under every seed.
    """

    generator: str
    make_input: Callable[[], GeneratorInput]
    id: str = ""
    distortion: Callable = default_distortion
    kwargs: dict = field(default_factory=dict)
    deterministic: bool = False

    @property
    def case_id(self) -> str:
        return self.id or self.generator


def all_cases() -> list[GeneratorCase]:
    cases = []
    for module in sorted(iter_modules(__path__), key=lambda m: m.name):
        cases.extend(import_module(f"{__name__}.{module.name}").CASES)
    return cases
