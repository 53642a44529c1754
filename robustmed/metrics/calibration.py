"""Calibration of binary classifiers: equal-mass ECE and reliability-diagram bins.

Equal-width ECE, Brier score and NLL live in :mod:`robustmed.metrics.classification`.
Both ECE variants bin the top-1 confidence max(p, 1 − p) of the predicted class
and compare it with the accuracy in the bin, Σ_b (n_b / N)·|conf_b − acc_b| over
non-empty bins (Ovadia et al. 2019, "Can you trust your model's uncertainty?").
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from robustmed.metrics.classification import ECE_BINS, THRESHOLD

Binning = Literal["equal_width", "equal_mass"]


def _top1(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y).astype(np.int64)
    p = np.asarray(p, dtype=np.float64)
    predicted = (p >= THRESHOLD).astype(np.int64)
    confidence = np.where(predicted == 1, p, 1.0 - p)
    correct = (predicted == y).astype(np.float64)
    return confidence, correct


def bin_index(confidence: np.ndarray, n_bins: int, binning: Binning) -> np.ndarray:
    """Assign each confidence to a bin.

    ``equal_width``: bin b covers (b/n_bins, (b+1)/n_bins], confidence 0 in the first bin.
    ``equal_mass``: samples sorted by confidence (stable) and cut into ``n_bins``
    runs whose sizes differ by at most one, so tied confidences may straddle bins.
    """
    if binning == "equal_width":
        return np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    if binning == "equal_mass":
        order = np.argsort(confidence, kind="stable")
        bins = np.empty(len(confidence), dtype=np.int64)
        for b, members in enumerate(np.array_split(order, n_bins)):
            bins[members] = b
        return bins
    raise ValueError(f"bin_index: binning must be 'equal_width' or 'equal_mass'; got {binning!r}.")


def ece_binned_weighted(y, p, weights: np.ndarray, n_bins: int = ECE_BINS, binning: Binning = "equal_width") -> np.ndarray:
    """ECE for every row of a (replicates, n) weight matrix.

    Bin membership is fixed by the unweighted sample, so an equal-mass replicate
    keeps the point estimate's bins; NaN where a row's weights sum to zero.
    """
    confidence, correct = _top1(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)
    bins = bin_index(confidence, n_bins, binning)
    one_hot = np.zeros((len(confidence), n_bins))
    one_hot[np.arange(len(confidence)), bins] = 1.0
    gap = (weights * (confidence - correct)) @ one_hot
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.abs(gap).sum(axis=1) / total, np.nan)


def ece_equal_mass(y, p, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error on top-1 confidence with ``n_bins`` equal-mass bins."""
    if len(np.asarray(y)) == 0:
        return float("nan")
    return float(ece_binned_weighted(y, p, np.ones((1, len(np.asarray(y)))), n_bins, "equal_mass")[0])


def ece_equal_mass_weighted(y, p, weights: np.ndarray, n_bins: int = ECE_BINS) -> np.ndarray:
    return ece_binned_weighted(y, p, weights, n_bins, "equal_mass")


def reliability_bins(y, p, n_bins: int = ECE_BINS, binning: Binning = "equal_width") -> pd.DataFrame:
    """Per-bin mean confidence, accuracy and count for a reliability diagram.

    Returns
    -------
    DataFrame
        Columns ``bin``, ``confidence``, ``accuracy``, ``count``, ``bin_low``, ``bin_high``
        (the bin's confidence range: fixed edges for equal-width bins, the
        observed minimum and maximum for equal-mass bins). Empty bins are left out.
    """
    confidence, correct = _top1(y, p)
    bins = bin_index(confidence, n_bins, binning)
    rows = []
    for b in range(n_bins):
        members = bins == b
        if not members.any():
            continue
        if binning == "equal_width":
            low, high = b / n_bins, (b + 1) / n_bins
        else:
            low, high = float(confidence[members].min()), float(confidence[members].max())
        rows.append(
            {
                "bin": b,
                "confidence": float(confidence[members].mean()),
                "accuracy": float(correct[members].mean()),
                "count": int(members.sum()),
                "bin_low": low,
                "bin_high": high,
            }
        )
    return pd.DataFrame(rows, columns=["bin", "confidence", "accuracy", "count", "bin_low", "bin_high"])
