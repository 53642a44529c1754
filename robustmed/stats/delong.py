"""DeLong intervals for AUROC and DeLong's test for two correlated AUROCs.

DeLong, DeLong and Clarke-Pearson (1988) estimate the covariance of several
AUROCs measured on the same samples from structural components. V10 is, for
every positive, the share of negatives it outscores, and V01 is, for every
negative, the share of positives that outscore it, ties counting one half. Sun and
Xu (2014) compute both from midranks, O(n log n) instead of O(m·n):
V10_i = (Tz_i − Tx_i) / n and V01_j = 1 − (Tz_j − Ty_j) / m, where Tz, Tx and Ty
are midranks among all samples, among positives and among negatives.

DeLong assumes independent samples. With several samples per patient the
variance is underestimated; use the patient-clustered bootstrap instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata

from robustmed._validation import check_binary_labels, check_scores


@dataclass(frozen=True)
class DelongResult:
    """AUROCs of k score vectors on the same samples with DeLong's covariance matrix."""

    auroc: np.ndarray
    covariance: np.ndarray
    n_positive: int
    n_negative: int


def delong_covariance(y, scores) -> DelongResult:
    """AUROC of each score vector and DeLong's covariance matrix (Sun and Xu's midrank algorithm).

    Parameters
    ----------
    y : array of shape (n,)
        Binary labels (1 positive, 0 negative).
    scores : array of shape (n,) or (k, n)
        One or several score vectors on the same samples.

    Returns
    -------
    DelongResult
        ``auroc`` of shape (k,) and ``covariance`` of shape (k, k), S10/m + S01/n
        with sample covariances (ddof = 1) of the structural components.

    Raises
    ------
    ValueError
        When a class has fewer than two samples (the covariance is undefined)
        or the shapes disagree.
    """
    y = check_binary_labels(y, owner="delong_covariance")
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if scores.ndim != 2 or scores.shape[1] != len(y):
        raise ValueError(f"delong_covariance: scores must have shape ({len(y)},) or (k, {len(y)}); got {scores.shape}.")
    if not np.isfinite(scores).all():
        raise ValueError("delong_covariance: scores contain NaN or infinite values; drop those samples first.")
    positive = y == 1
    m, n = int(positive.sum()), int((~positive).sum())
    if m < 2 or n < 2:
        raise ValueError(
            f"delong_covariance: needs at least 2 positives and 2 negatives; got {m} and {n}."
        )
    x, z = scores[:, positive], scores[:, ~positive]
    tx = rankdata(x, axis=1)
    ty = rankdata(z, axis=1)
    tz = rankdata(np.concatenate([x, z], axis=1), axis=1)
    auroc = (tz[:, :m].sum(axis=1) / m - (m + 1) / 2.0) / n
    v10 = (tz[:, :m] - tx) / n
    v01 = 1.0 - (tz[:, m:] - ty) / m
    covariance = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return DelongResult(auroc, covariance, m, n)


def delong_interval(y, p, confidence: float = 0.95) -> tuple[float, float, float]:
    """Compute the AUROC with DeLong's normal-theory interval A ± z·SE, clipped to [0, 1].

    Returns
    -------
    (auroc, low, high) : tuple of float
    """
    result = delong_covariance(y, p)
    auroc = float(result.auroc[0])
    se = float(np.sqrt(result.covariance[0, 0]))
    z = ndtri(1.0 - (1.0 - confidence) / 2.0)
    return auroc, float(max(0.0, auroc - z * se)), float(min(1.0, auroc + z * se))


@dataclass(frozen=True)
class DelongTest:
    """DeLong's test of AUROC(a) = AUROC(b) on the same samples, with an interval for the difference."""

    auroc_a: float
    auroc_b: float
    difference: float
    se: float
    z: float
    p_value: float
    low: float
    high: float


def delong_test(y, p_a, p_b, confidence: float = 0.95) -> DelongTest:
    """DeLong's two-sided test for two correlated AUROCs (the default of pROC's ``roc.test``).

    z = (A_a − A_b) / sqrt(S_aa + S_bb − 2 S_ab); the p-value is 2 Φ(−|z|). When
    the two score vectors rank every pair alike the variance is 0: the p-value
    is then 1 if the AUROCs are equal and 0 otherwise.
    """
    n = len(np.asarray(y))
    p_a = check_scores(p_a, n, name="p_a", owner="delong_test")
    p_b = check_scores(p_b, n, name="p_b", owner="delong_test")
    result = delong_covariance(y, np.vstack([p_a, p_b]))
    cov = result.covariance
    difference = float(result.auroc[0] - result.auroc[1])
    variance = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    se = float(np.sqrt(max(variance, 0.0)))
    if se > 0:
        z = difference / se
        p_value = float(2.0 * ndtr(-abs(z)))
    else:
        z = 0.0 if difference == 0 else float(np.copysign(np.inf, difference))
        p_value = 1.0 if difference == 0 else 0.0
    half_width = float(ndtri(1.0 - (1.0 - confidence) / 2.0)) * se
    return DelongTest(
        float(result.auroc[0]), float(result.auroc[1]), difference, se, float(z), p_value,
        difference - half_width, difference + half_width,
    )
