"""Clinical operating points: threshold choice, rates at a fixed threshold, net benefit.

A sample is predicted positive when its probability is at least the threshold,
the convention of :func:`sklearn.metrics.roc_curve`. Every rate has a weighted
form over a (replicates, n) matrix of bootstrap draw counts; a rate whose
denominator has zero weight is NaN, never 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.metrics import roc_curve

ThresholdRule = Literal["youden", "sensitivity", "specificity"]

RATE_NAMES = ("sensitivity", "specificity", "ppv", "npv", "fpr", "selection_rate")


def choose_threshold(y, p, rule: ThresholdRule = "youden", target: float | None = None) -> float:
    """Choose a decision threshold on the ROC curve of (y, p).

    Parameters
    ----------
    y : array of shape (n,)
        Binary labels; both classes must be present.
    p : array of shape (n,)
        Probability of the positive class.
    rule : {"youden", "sensitivity", "specificity"}, default="youden"
        ``youden`` maximises sensitivity + specificity − 1 (the highest threshold
        among ties). ``sensitivity`` takes the highest threshold whose sensitivity
        is at least ``target``, which keeps specificity as high as possible.
        ``specificity`` takes the lowest threshold whose specificity is at least
        ``target``, which keeps sensitivity as high as possible.
    target : float, optional
        Required for the ``sensitivity`` and ``specificity`` rules, in [0, 1].

    Returns
    -------
    float
        The threshold; ``inf`` when only "predict nobody positive" meets the target.

    Raises
    ------
    ValueError
        If ``rule`` is unknown, ``target`` is missing or out of [0, 1], or y has one class.
    """
    y = np.asarray(y).astype(np.int64)
    p = np.asarray(p, dtype=np.float64)
    if len(np.unique(y)) < 2:
        raise ValueError("choose_threshold: y must contain both classes to place a threshold on the ROC curve.")
    if rule not in ("youden", "sensitivity", "specificity"):
        raise ValueError(f"choose_threshold: rule must be 'youden', 'sensitivity' or 'specificity'; got {rule!r}.")
    if rule != "youden" and (target is None or not 0.0 <= target <= 1.0):
        raise ValueError(f"choose_threshold: rule {rule!r} needs a target in [0, 1]; got {target!r}.")
    fpr, tpr, thresholds = roc_curve(y, p, drop_intermediate=False)
    if rule == "youden":
        return float(thresholds[int(np.argmax(tpr - fpr))])
    if rule == "sensitivity":
        # Thresholds decrease along the curve, so the first point meeting the target is the highest.
        return float(thresholds[int(np.flatnonzero(tpr >= target)[0])])
    return float(thresholds[int(np.flatnonzero(1.0 - fpr >= target)[-1])])


def confusion_weighted(y, p, threshold: float, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted confusion counts tp, fp, tn, fn for every row of ``weights``."""
    y = np.asarray(y).astype(np.int64)
    p = np.asarray(p, dtype=np.float64)
    weights = np.atleast_2d(weights).astype(np.float64)
    predicted = p >= threshold
    positive = y == 1
    return {
        "tp": weights[:, predicted & positive].sum(axis=1),
        "fp": weights[:, predicted & ~positive].sum(axis=1),
        "tn": weights[:, ~predicted & ~positive].sum(axis=1),
        "fn": weights[:, ~predicted & positive].sum(axis=1),
    }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def rates_weighted(y, p, threshold: float, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Sensitivity (TPR), specificity, PPV, NPV, FPR and selection rate for every row of ``weights``."""
    c = confusion_weighted(y, p, threshold, weights)
    total = c["tp"] + c["fp"] + c["tn"] + c["fn"]
    return {
        "sensitivity": _ratio(c["tp"], c["tp"] + c["fn"]),
        "specificity": _ratio(c["tn"], c["tn"] + c["fp"]),
        "ppv": _ratio(c["tp"], c["tp"] + c["fp"]),
        "npv": _ratio(c["tn"], c["tn"] + c["fn"]),
        "fpr": _ratio(c["fp"], c["tn"] + c["fp"]),
        "selection_rate": _ratio(c["tp"] + c["fp"], total),
    }


def rates(y, p, threshold: float) -> dict[str, float]:
    """Unweighted :func:`rates_weighted`: one float per rate."""
    n = len(np.asarray(y))
    return {name: float(value[0]) for name, value in rates_weighted(y, p, threshold, np.ones((1, n))).items()}


def net_benefit_weighted(y, p, threshold_probability: float, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Decision-curve net benefit of the model and of treating everyone.

    Net benefit = TP/N − FP/N · pt/(1 − pt) where a sample is treated when
    p ≥ pt (Vickers & Elkin 2006, "Decision curve analysis", Med Decis Making
    26:565). Treat-all uses prevalence − (1 − prevalence) · pt/(1 − pt); treat
    none is 0 by definition.

    Returns
    -------
    dict with ``model`` and ``treat_all``, each of shape (replicates,); NaN where
    a row's weights sum to zero.
    """
    if not 0.0 < threshold_probability < 1.0:
        raise ValueError(
            f"net_benefit_weighted: threshold_probability must lie in (0, 1); got {threshold_probability!r}."
        )
    c = confusion_weighted(y, p, threshold_probability, weights)
    total = c["tp"] + c["fp"] + c["tn"] + c["fn"]
    odds = threshold_probability / (1.0 - threshold_probability)
    positives = c["tp"] + c["fn"]
    negatives = c["fp"] + c["tn"]
    return {
        "model": _ratio(c["tp"] - odds * c["fp"], total),
        "treat_all": _ratio(positives - odds * negatives, total),
    }


def net_benefit(y, p, threshold_probability: float) -> dict[str, float]:
    """Unweighted :func:`net_benefit_weighted`."""
    n = len(np.asarray(y))
    result = net_benefit_weighted(y, p, threshold_probability, np.ones((1, n)))
    return {name: float(value[0]) for name, value in result.items()}
