"""Published robustness measures, computed exactly as their benchmarks define them.

Notation: E is an error (1 − accuracy for ImageNet-C, 1 − balanced accuracy for
MedMNIST-C), s a severity level above 0, c a corruption, and "ref" the
reference model whose stored results normalise the measure.

- Corruption error (Hendrycks and Dietterich 2019, ImageNet-C):
  CE_c = Σ_s E_{s,c} / Σ_s E^ref_{s,c}; mCE is the mean of CE_c over corruptions.
  Relative CE_c = (Σ_s E_{s,c} − L·E_clean) / (Σ_s E^ref_{s,c} − L·E^ref_clean)
  with L severity levels (5 in ImageNet-C).
- Balanced error (Di Salvo et al. 2024, MedMNIST-C ``medmnistc/eval.py``):
  BE_c = mean_s E_{s,c} / mean_s E^ref_{s,c};
  rBE_c = (mean_s E_{s,c} − E_clean) / (mean_s E^ref_{s,c} − E^ref_clean);
  BE and rBE average over corruptions.
- MultiBench robustness (Liang et al. 2021, ``eval_scripts/robustness.py``):
  relative robustness is the trapezoid area under the curve, which MultiBench
  computes with a fixed step of 0.1; robustmed uses the true severity spacing
  unless asked for MultiBench's step. Effective robustness against a reference
  curve R is Σ_i [(y_i − y_0) − (R_i − R_0)]. MultiBench then min–max normalises
  both against its stored curves of other methods; robustmed reports raw values.
- Flip probability (Hendrycks and Dietterich 2019, ImageNet-P): the share of
  samples whose top-1 prediction differs between clean and perturbed input.
"""

from __future__ import annotations

import numpy as np

from robustmed.metrics.classification import THRESHOLD

MULTIBENCH_STEP = 0.1


def _errors(values, name: str) -> np.ndarray:
    errors = np.asarray(values, dtype=np.float64)
    if errors.ndim != 1 or errors.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of errors; got shape {errors.shape}.")
    return errors


def _check_same_levels(errors: np.ndarray, reference: np.ndarray) -> None:
    if errors.shape != reference.shape:
        raise ValueError(
            f"the model has {errors.size} severity levels but the reference has {reference.size}; "
            "both must be evaluated on the same levels."
        )


def corruption_error(errors, reference_errors) -> float:
    """ImageNet-C corruption error CE_c = Σ_s E_s / Σ_s E^ref_s over the severity levels above 0."""
    errors = _errors(errors, "errors")
    reference = _errors(reference_errors, "reference_errors")
    _check_same_levels(errors, reference)
    return float(errors.sum() / reference.sum())


def relative_corruption_error(errors, clean_error: float, reference_errors, reference_clean_error: float) -> float:
    """ImageNet-C relative CE_c = (Σ_s E_s − L·E_clean) / (Σ_s E^ref_s − L·E^ref_clean)."""
    errors = _errors(errors, "errors")
    reference = _errors(reference_errors, "reference_errors")
    _check_same_levels(errors, reference)
    levels = errors.size
    return float((errors.sum() - levels * clean_error) / (reference.sum() - levels * reference_clean_error))


def balanced_error(errors, reference_errors) -> float:
    """MedMNIST-C BE_c = mean_s E_s / mean_s E^ref_s, with E = 1 − balanced accuracy."""
    errors = _errors(errors, "errors")
    reference = _errors(reference_errors, "reference_errors")
    _check_same_levels(errors, reference)
    return float(errors.mean() / reference.mean())


def relative_balanced_error(errors, clean_error: float, reference_errors, reference_clean_error: float) -> float:
    """MedMNIST-C rBE_c = (mean_s E_s − E_clean) / (mean_s E^ref_s − E^ref_clean)."""
    errors = _errors(errors, "errors")
    reference = _errors(reference_errors, "reference_errors")
    _check_same_levels(errors, reference)
    return float((errors.mean() - clean_error) / (reference.mean() - reference_clean_error))


def mean_over_corruptions(values) -> float:
    """mCE, BE or rBE of a model: the mean of the per-corruption values (NaN entries raise)."""
    values = np.asarray(list(values), dtype=np.float64)
    if values.size == 0:
        raise ValueError("mean_over_corruptions needs at least one corruption value.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"mean_over_corruptions: every corruption value must be finite; got {values.tolist()}.")
    return float(values.mean())


def relative_robustness(severity, values, *, spacing: str = "true") -> float:
    """MultiBench-style relative robustness: trapezoid area under the curve y(severity).

    Parameters
    ----------
    severity : array of shape (L,)
        Severity values, ascending, the first one the clean input.
    values : array of shape (L,)
        The metric at each severity.
    spacing : {"true", "multibench"}, default="true"
        ``true`` integrates over the real severity values. ``multibench`` uses
        MultiBench's fixed step: Σ_i 0.1·(y_i + y_{i+1})/2, whatever the levels.
    """
    x = np.asarray(severity, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"relative_robustness: severity and values need the same 1-D shape with 2+ levels; got {x.shape} and {y.shape}.")
    if np.any(np.diff(x) <= 0):
        raise ValueError(f"relative_robustness: severity must be strictly ascending; got {x.tolist()}.")
    if spacing == "multibench":
        return float((MULTIBENCH_STEP * (y[:-1] + y[1:]) / 2.0).sum())
    if spacing != "true":
        raise ValueError(f"relative_robustness: spacing must be 'true' or 'multibench'; got {spacing!r}.")
    return float(np.trapezoid(y, x))


def effective_robustness(values, reference_values, *, higher_is_better: bool = True) -> float:
    """MultiBench effective robustness Σ_i [(y_i − y_0) − (R_i − R_0)] against a reference curve R.

    Positive means the curve loses less than the reference. For lower-is-better
    metrics the sum is negated so that positive keeps that meaning (MultiBench
    negates its finance regression scores the same way before normalising).
    This is not Taori et al.'s (2020) effective robustness.
    """
    y = _errors(values, "values")
    reference = _errors(reference_values, "reference_values")
    _check_same_levels(y, reference)
    total = float(((y - y[0]) - (reference - reference[0])).sum())
    return total if higher_is_better else -total


def flip_probability(p_clean, p_perturbed, threshold: float = THRESHOLD) -> float:
    """Share of samples whose top-1 prediction changes under perturbation (ImageNet-P).

    ``p_clean`` and ``p_perturbed`` are positive-class probabilities of shape
    (n,), thresholded at ``threshold``, or class probabilities of shape (n, k),
    compared by argmax. Labels are not needed.
    """
    return float(flip_probability_weighted(p_clean, p_perturbed, np.ones((1, len(np.asarray(p_clean)))), threshold)[0])


def _top1(p: np.ndarray, threshold: float) -> np.ndarray:
    return p.argmax(axis=1) if p.ndim == 2 else (p >= threshold).astype(np.int64)


def flip_probability_weighted(p_clean, p_perturbed, weights: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Flip probability for every bootstrap replicate (row of ``weights``)."""
    p_clean = np.asarray(p_clean, dtype=np.float64)
    p_perturbed = np.asarray(p_perturbed, dtype=np.float64)
    if p_clean.shape != p_perturbed.shape:
        raise ValueError(f"flip_probability: clean and perturbed shapes differ: {p_clean.shape} vs {p_perturbed.shape}.")
    flipped = (_top1(p_clean, threshold) != _top1(p_perturbed, threshold)).astype(np.float64)
    weights = np.atleast_2d(weights).astype(np.float64)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weights @ flipped / total, np.nan)
