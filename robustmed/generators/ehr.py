"""EHR table generators: MAR and MNAR missingness, unit changes, miscoded categories,
stale (copied-forward) values and decimal-point outliers.

Values are (B, F) tensors of one modality; metadata columns of the batch (subgroups,
site, ...) are never passed to generators, so they are never changed. Generators
that need to know a feature's spread use the spec's training-split range
(``feature_range``) and standard deviation (``feature_scale``).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import torch

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators.base import Generator, clip_to_spec, expand_like, per_sample
from robustmed.generators.random import normal, uniform
from robustmed.generators.tabular import FEATURE_KINDS
from robustmed.generators.tabular import _check_float as check_float

TABULAR_KINDS = frozenset({ModalityKind.TABULAR})


def _check_features(x, owner: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"Generator {owner!r} needs a (batch, features) tensor; got {shape}.")
    return x


def relative_position(x: torch.Tensor, spec: ModalitySpec, owner: str) -> torch.Tensor:
    """Return each value's position in its feature's training range, clipped to [0, 1]."""
    if spec.feature_range is None:
        raise ValueError(
            f"Generator {owner!r} needs the training range of each feature of modality {spec.name!r}; "
            "set ModalitySpec.feature_range."
        )
    low, high = (t.to(device=x.device, dtype=x.dtype) for t in spec.feature_range)
    span = (high - low).clamp_min(torch.finfo(x.dtype).tiny)
    return ((x - low) / span).clamp(0.0, 1.0).nan_to_num(0.0)


class MARMissing(Generator):
    """Missing at random: the first feature (the driver) stays observed, and each other
    value is NaN with probability ``2 p r``, where ``r`` is the driver's position in its
    training range (so ``p`` at the middle of the range)."""

    name = "mar_missing"
    kinds = FEATURE_KINDS
    description = "values missing at random, driven by the first feature (p: missing probability at mid-range of the driver, growing linearly with it, at most 1)"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        check_float(_check_features(x, self.name), self.name)
        driver = relative_position(x[:, :1], _first_feature(spec), self.name)
        probability = (2.0 * expand_like(params["p"], x) * driver).clamp(0.0, 1.0)
        u = uniform(keys, x.shape[1:], stream=0, device=x.device)
        drop = u < probability
        drop[:, 0] = False
        return torch.where(drop, torch.nan, x), present


def _first_feature(spec: ModalitySpec) -> ModalitySpec:
    from dataclasses import replace

    if spec.feature_range is None:
        return spec
    low, high = spec.feature_range
    return replace(spec, feature_range=(low[:1], high[:1]))


class MNARMissing(Generator):
    """Missing not at random: each value is NaN with probability ``2 p r``, where ``r`` is
    the value's own position in its feature's training range (high values go missing
    more often, as results above an assay's reporting limit do)."""

    name = "mnar_missing"
    kinds = FEATURE_KINDS
    description = "values missing not at random, more often when high (p: missing probability at mid-range, growing linearly with the value, at most 1)"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        check_float(_check_features(x, self.name), self.name)
        position = relative_position(x, spec, self.name)
        probability = (2.0 * expand_like(params["p"], x) * position).clamp(0.0, 1.0)
        u = uniform(keys, x.shape[1:], stream=0, device=x.device)
        return torch.where(u < probability, torch.nan, x), present


@cache
def unit_conversions() -> tuple[dict, ...]:
    """Rows of ``generators/data/unit_conversions.tsv`` (analyte, aliases, units, factor)."""
    text = resources.files("robustmed.generators").joinpath("data/unit_conversions.tsv").read_text()
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(csv.DictReader(rows, delimiter="\t"))


def _normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def conversion_factors(spec: ModalitySpec) -> torch.Tensor:
    """Factor per feature from the spec's units to the other system (1 for unmatched features).

    Values count as conventional units (mg/dL) unless ``spec.unit`` names SI units
    (``SI``, ``mmol`` or ``umol``); SI values are converted back by dividing.
    """
    aliases = {}
    for row in unit_conversions():
        for alias in row["aliases"].split("|"):
            aliases[_normalise_name(alias)] = float(row["factor"])
    unit = spec.unit.lower()
    to_conventional = bool(re.search(r"\bsi\b|mmol|umol|µmol", unit)) and "mg/dl" not in unit
    factors = [aliases.get(_normalise_name(name), 1.0) for name in spec.feature_names]
    factors = torch.tensor(factors, dtype=torch.float64)
    return 1.0 / factors if to_conventional else factors


class UnitChange(Generator):
    """Unit changes: each value of a known analyte (glucose, cholesterol, creatinine, ...)
    is reported in the other unit system (mg/dL ↔ mmol/L) with probability ``p``.

    Analytes are recognised by feature name; the factors are in
    ``generators/data/unit_conversions.tsv``.
    """

    name = "unit_change"
    kinds = TABULAR_KINDS
    description = "analyte values reported in the other unit system (mg/dL <-> mmol/L)"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_features(x, self.name)
        check_float(x, self.name)
        factors = conversion_factors(spec).to(x.device)
        if torch.all(factors == 1.0):
            known = ", ".join(row["aliases"].replace("|", "/") for row in unit_conversions())
            raise ValueError(
                f"Generator {self.name!r}: no feature of modality {spec.name!r} names a known analyte; "
                f"known feature names: {known}."
            )
        u = uniform(keys, x.shape[1:], stream=0, device=x.device)
        converted = (u < expand_like(params["p"], x)) & (factors != 1.0)
        out = torch.where(converted, (x.double() * factors).to(x.dtype), x)
        return clip_to_spec(out, spec), present


def categorical_mask(spec: ModalitySpec, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Features coded as integers with at most 11 training levels, and their code ranges."""
    if spec.feature_range is None:
        raise ValueError(f"Modality {spec.name!r} needs feature_range to find categorical features.")
    low, high = (t.to(device=x.device, dtype=torch.float64) for t in spec.feature_range)
    integer = (low == low.round()) & (high == high.round())
    return integer & (high - low >= 1) & (high - low <= 10), low, high


class CategoryMiscoding(Generator):
    """Miscoded categories: each integer-coded categorical value (a feature with integer
    training range of 2-11 codes) is replaced by another valid code with probability ``p``."""

    name = "category_miscoding"
    kinds = TABULAR_KINDS
    description = "categorical codes replaced by another valid code"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_features(x, self.name)
        categorical, low, high = categorical_mask(spec, x)
        if not categorical.any():
            raise ValueError(
                f"Generator {self.name!r}: modality {spec.name!r} has no categorical feature "
                "(integer codes with 2 to 11 levels in feature_range)."
            )
        values = x.double()
        codes = high - low + 1
        u = uniform(keys, (2, *x.shape[1:]), stream=0, device=x.device).double()
        shift = 1 + (u[:, 1] * (codes - 1)).floor()
        recoded = low + torch.remainder(values - low + shift, codes)
        eligible = categorical & (values == values.round()) & (values >= low) & (values <= high)
        hit = eligible & (u[:, 0] < expand_like(params["p"], values))
        return torch.where(hit, recoded.to(x.dtype), x), present


class StaleValues(Generator):
    """Copy-forward of stale values: each value is, with probability ``p``, an earlier
    measurement carried forward.

    NOTE: without longitudinal records the earlier measurement is simulated as the
    current value minus a within-patient change of 0.5 training standard deviations
    (Gaussian), so the generator needs ``feature_scale``.
    """

    name = "stale_values"
    kinds = FEATURE_KINDS
    description = "stale values copied forward from an earlier measurement"
    within_patient_sd = 0.5

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_features(x, self.name)
        check_float(x, self.name)
        if spec.feature_scale is None:
            raise ValueError(f"Generator {self.name!r} needs feature_scale of modality {spec.name!r}.")
        scale = spec.feature_scale.to(device=x.device, dtype=x.dtype)
        u = uniform(keys, x.shape[1:], stream=0, device=x.device)
        change = self.within_patient_sd * scale * normal(keys, x.shape[1:], stream=1, device=x.device, dtype=x.dtype)
        stale = u < expand_like(params["p"], u)
        return clip_to_spec(torch.where(stale, x - change, x), spec), present


class DecimalOutliers(Generator):
    """Outliers from a misplaced decimal point: each value is multiplied or divided by 10
    with probability ``p``."""

    name = "outliers"
    kinds = FEATURE_KINDS
    description = "outliers from misplaced decimal points (x10 or /10)"

    def sample_params(self, severity, keys, spec, x):
        return {"p": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        _check_features(x, self.name)
        check_float(x, self.name)
        u = uniform(keys, (2, *x.shape[1:]), stream=0, device=x.device)
        factor = torch.where(u[:, 1] < 0.5, 10.0, 0.1).to(x.dtype)
        hit = u[:, 0] < expand_like(params["p"], u[:, 0])
        return clip_to_spec(torch.where(hit, x * factor, x), spec), present


GENERATORS = (MARMissing, MNARMissing, UnitChange, CategoryMiscoding, StaleValues, DecimalOutliers)
