"""Omics profile generators: dropout (zero inflation), library-size scaling, batch
effects and Poisson resampling.

Values are (B, F) tensors of non-negative abundances (counts or linear intensities).
"""

from __future__ import annotations

import numpy as np
import torch

from robustmed.data.spec import ModalityKind
from robustmed.generators.base import Generator, clip_to_spec, expand_like, per_sample
from robustmed.generators.random import normal, numpy_generator, sample_keys, uniform

OMICS = frozenset({ModalityKind.OMICS})
N_BATCHES = 3


def _check_abundances(x, owner: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"Generator {owner!r} needs a (batch, features) tensor; got {shape}.")
    finite = x[~torch.isnan(x)] if x.is_floating_point() else x
    if finite.numel() and finite.min() < 0:
        raise ValueError(
            f"Generator {owner!r} needs non-negative abundances (counts or linear intensities); "
            f"got a minimum of {finite.min().item():g}. Convert log-scale profiles to linear scale."
        )
    return x


def _restore(y: torch.Tensor, x: torch.Tensor, spec) -> torch.Tensor:
    if not x.is_floating_point():
        y = y.round().clamp(0, torch.iinfo(x.dtype).max)
    return clip_to_spec(y.to(x.dtype), spec)


class Dropout(Generator):
    """Dropout (zero inflation): each value becomes 0 with probability ``p``."""

    name = "omics_dropout"
    kinds = OMICS
    description = "values dropped to zero (zero inflation)"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_abundances(x, self.name)
        u = uniform(keys, x.shape[1:], stream=0, device=x.device)
        return torch.where(u < expand_like(params["p"], u), torch.zeros_like(x), x), present


class LibrarySize(Generator):
    """Library-size (sequencing depth or loading) scaling: each profile is multiplied by
    ``exp(sigma * e)``, e ~ N(0, 1) per sample."""

    name = "omics_library_size"
    kinds = OMICS
    description = "whole-profile scaling by a log-normal library-size factor"

    def sample_params(self, severity, keys, spec, x):
        e = normal(keys, (1,), stream=1, device=keys.device)[:, 0]
        return {"sigma": per_sample(severity, keys), "log_factor": severity * e}

    def apply(self, x, present, params, keys, spec):
        _check_abundances(x, self.name)
        factor = torch.exp(params["log_factor"].to(x.device)).reshape(-1, 1)
        return _restore(x.double() * factor.double(), x, spec), present


class BatchEffect(Generator):
    """Batch effects: each sample is processed in one of three batches, and every batch
    shifts each feature's log abundance by ``sigma * g`` plus a batch-wide ``sigma * c``
    (g, c ~ N(0, 1)), so the offsets are shared by all samples of a batch.

    NOTE: the batch offsets are keyed by batch number, not by the root seed, because a
    generator sees only per-sample keys; the seed changes which samples share a batch.
    """

    name = "omics_batch_effect"
    kinds = OMICS
    description = "batch offsets and scales shared by the samples of a batch"

    def sample_params(self, severity, keys, spec, x):
        u = uniform(keys, (1,), stream=2, device=keys.device)[:, 0]
        return {"sigma": per_sample(severity, keys), "batch": (u * N_BATCHES).long().clamp_max(N_BATCHES - 1)}

    def apply(self, x, present, params, keys, spec):
        _check_abundances(x, self.name)
        batch_keys = sample_keys(0, self.name, [f"batch-{b}" for b in range(N_BATCHES)]).to(x.device)
        feature_offsets = normal(batch_keys, x.shape[1:], stream=3, device=x.device)
        batch_offsets = normal(batch_keys, (1,), stream=4, device=x.device)
        batch = params["batch"].to(x.device)
        log_shift = feature_offsets[batch] + batch_offsets[batch]
        factor = torch.exp(expand_like(params["sigma"], log_shift).to(log_shift.dtype) * log_shift)
        return _restore(x.double() * factor.double(), x, spec), present


class PoissonResampling(Generator):
    """Poisson resampling at lower depth: ``x' = t * Poisson(x / t)``, where ``t`` is the
    inverse relative depth (``t`` = 0.5 resamples at twice, ``t`` = 4 at a quarter of
    one count per unit of ``x``). Drawn with NumPy per sample on the CPU."""

    name = "omics_poisson"
    kinds = OMICS
    description = "Poisson resampling at reduced depth"

    def sample_params(self, severity, keys, spec, x):
        return {"inverse_depth": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_abundances(x, self.name)
        values = x.detach().to("cpu", torch.float64).numpy()
        out = np.empty_like(values)
        for i, (key, t) in enumerate(zip(keys.tolist(), params["inverse_depth"].tolist(), strict=True)):
            rng = numpy_generator(int(key), stream=5)
            rate = np.nan_to_num(values[i], nan=0.0) / max(t, 1e-12)
            resampled = t * rng.poisson(rate)
            out[i] = np.where(np.isnan(values[i]), np.nan, resampled)
        return _restore(torch.from_numpy(out).to(x.device), x, spec), present


GENERATORS = (Dropout, LibrarySize, BatchEffect, PoissonResampling)
