"""The generator contract: sample per-sample parameters, then apply them purely.

A generator corrupts one modality of a batch at a severity level. Level 0 is the
identity, levels 1 to 5 follow the generator's ladder (loaded from a YAML suite in
``perturbations/``), and any float in between interpolates the ladder linearly.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from robustmed._validation import check_range
from robustmed.data.spec import ModalityKind, ModalitySpec

MAX_LEVEL = 5.0


@dataclass(frozen=True)
class Ladder:
    """Severity ladder: the parameter value at levels 1..5 and its value at level 0."""

    parameter: str
    values: tuple[float, ...]
    identity: float = 0.0
    unit: str = ""

    def __post_init__(self) -> None:
        if len(self.values) != 5:
            raise ValueError(
                f"Ladder of {self.parameter!r}: needs exactly 5 values (levels 1-5); got {len(self.values)}."
            )

    def value(self, level: float) -> float:
        """Parameter value at ``level``, linear between the ladder points."""
        points = (self.identity, *self.values)
        low = int(level)
        if low >= MAX_LEVEL:
            return points[-1]
        frac = level - low
        return points[low] + frac * (points[low + 1] - points[low])


@dataclass(frozen=True)
class Perturbed:
    """Result of a generator on one modality: new values, present mask and applied parameters."""

    values: torch.Tensor | list[str]
    present: torch.Tensor
    params: dict[str, torch.Tensor]


class Generator(ABC):
    """Base class of all generators.

    Subclasses set ``name`` and ``kinds`` and implement :meth:`sample_params`
    (per-sample parameters, a function of the keys only) and :meth:`apply`
    (a pure function of the input, the parameters and the keys).
    """

    name: ClassVar[str]
    kinds: ClassVar[frozenset[ModalityKind]]
    description: ClassVar[str] = ""

    def __init__(self, ladder: Ladder) -> None:
        self.ladder = ladder

    def check_level(self, level: float) -> float:
        return check_range(level, name="level", owner=f"generator {self.name!r}", low=0.0, high=MAX_LEVEL)

    def check_spec(self, spec: ModalitySpec) -> None:
        if spec.kind not in self.kinds:
            allowed = ", ".join(sorted(self.kinds))
            raise ValueError(
                f"Generator {self.name!r} accepts modality kinds {allowed}; "
                f"modality {spec.name!r} is {spec.kind.value!r}."
            )

    def __call__(
        self,
        x: torch.Tensor | list[str],
        present: torch.Tensor,
        level: float,
        keys: torch.Tensor,
        spec: ModalitySpec,
    ) -> Perturbed:
        """Corrupt ``x`` at ``level``; ``keys`` come from :func:`~robustmed.generators.random.sample_keys`."""
        level = self.check_level(level)
        self.check_spec(spec)
        if len(keys) != len(x):
            raise ValueError(f"Generator {self.name!r}: {len(keys)} keys for {len(x)} samples.")
        if level == 0.0:
            return Perturbed(x, present, {})
        device = x.device if isinstance(x, torch.Tensor) else torch.device("cpu")
        params = self.sample_params(self.ladder.value(level), keys.to(device), spec, x)
        values, new_present = self.apply(x, present, params, keys.to(device), spec)
        return Perturbed(values, new_present, params)

    @abstractmethod
    def sample_params(
        self, severity: float, keys: torch.Tensor, spec: ModalitySpec, x: torch.Tensor | list[str]
    ) -> dict[str, torch.Tensor]:
        """Draw the per-sample parameters (each a tensor with the batch dimension first)."""

    @abstractmethod
    def apply(
        self,
        x: torch.Tensor | list[str],
        present: torch.Tensor,
        params: dict[str, torch.Tensor],
        keys: torch.Tensor,
        spec: ModalitySpec,
    ) -> tuple[torch.Tensor | list[str], torch.Tensor]:
        """Apply ``params`` to ``x``; must not modify its inputs."""

    @staticmethod
    def record(params: dict[str, torch.Tensor]) -> list[str]:
        """Serialise per-sample parameters to one JSON string per sample."""
        if not params:
            return []
        columns = {k: v.detach().cpu().tolist() for k, v in params.items()}
        n = len(next(iter(columns.values())))
        return [json.dumps({k: v[i] for k, v in columns.items()}, sort_keys=True) for i in range(n)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ladder={self.ladder})"


def clip_to_spec(x: torch.Tensor, spec: ModalitySpec) -> torch.Tensor:
    """Clip into the modality's physical value range (and the dtype's range for integers)."""
    low, high = spec.value_range if spec.value_range is not None else (None, None)
    if not x.dtype.is_floating_point:
        info = torch.iinfo(x.dtype)
        low = info.min if low is None else max(low, info.min)
        high = info.max if high is None else min(high, info.max)
    if low is None and high is None:
        return x
    return x.clamp(min=low, max=high)


def as_float_features(x: Any, owner: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"Generator {owner!r} needs a tensor; got {type(x).__name__}.")
    return x


def per_sample(value: float, keys: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Broadcast a severity value to one entry per sample."""
    return torch.full((len(keys),), float(value), dtype=dtype, device=keys.device)


def expand_like(param: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Reshape a per-sample parameter of shape (B,) to broadcast against ``x``."""
    return param.reshape(-1, *([1] * (x.dim() - 1))).to(x.dtype)


def ladder_levels() -> Sequence[int]:
    return range(int(MAX_LEVEL) + 1)
