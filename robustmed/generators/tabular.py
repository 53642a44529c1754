"""Tabular and omics feature generators: measurement noise and missing values.

Values are tensors of shape (B, F). Missing feature values are NaN, which the
model adapter imputes; missingness therefore needs a floating-point dtype.
"""

from __future__ import annotations

import torch

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators.base import Generator, clip_to_spec, expand_like, per_sample
from robustmed.generators.random import normal, uniform

FEATURE_KINDS = frozenset({ModalityKind.TABULAR, ModalityKind.OMICS})


def _feature_scale(spec: ModalitySpec, x: torch.Tensor) -> torch.Tensor:
    if spec.feature_scale is None:
        raise ValueError(
            f"Modality {spec.name!r} has no feature_scale; noise in units of a feature's "
            "spread needs the per-feature standard deviation of the training split."
        )
    return spec.feature_scale.to(device=x.device, dtype=x.dtype)


def _check_float(x: torch.Tensor, name: str) -> None:
    if not x.dtype.is_floating_point:
        raise TypeError(
            f"Generator {name!r} needs floating-point features (NaN marks a missing value); "
            f"got {x.dtype}. Convert the modality to float32."
        )


class GaussianNoise(Generator):
    """Additive Gaussian noise, sigma in units of each feature's training standard deviation."""

    name = "gaussian_noise"
    kinds = FEATURE_KINDS
    description = "additive Gaussian noise scaled to each feature's spread"

    def sample_params(self, severity, keys, spec, x):
        return {"sigma": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_float(x, self.name)
        noise = normal(keys, x.shape[1:], stream=0, device=x.device, dtype=x.dtype)
        scale = _feature_scale(spec, x)
        noisy = x + expand_like(params["sigma"], x) * scale * noise
        return clip_to_spec(noisy, spec), present


class MultiplicativeNoise(Generator):
    """Multiplicative noise x·(1 + sigma·ε), ε ~ N(0, 1): error proportional to the value."""

    name = "multiplicative_noise"
    kinds = FEATURE_KINDS
    description = "multiplicative Gaussian noise, error proportional to the value"

    def sample_params(self, severity, keys, spec, x):
        return {"sigma": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_float(x, self.name)
        noise = normal(keys, x.shape[1:], stream=0, device=x.device, dtype=x.dtype)
        noisy = x * (1.0 + expand_like(params["sigma"], x) * noise)
        return clip_to_spec(noisy, spec), present


class MCARMissing(Generator):
    """Feature values missing completely at random: each value is NaN with probability p."""

    name = "mcar_missing"
    kinds = FEATURE_KINDS
    description = "feature values missing completely at random (NaN)"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_float(x, self.name)
        u = uniform(keys, x.shape[1:], stream=0, device=x.device)
        drop = u < expand_like(params["p"], u)
        return torch.where(drop, torch.nan, x), present

GENERATORS = (GaussianNoise, MultiplicativeNoise, MCARMissing)
