"""Multiple-testing control and summaries of repeats over seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from robustmed._validation import check_in, check_range

# robustmed names mapped to statsmodels' method names.
CORRECTIONS = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni", "by": "fdr_by"}


def adjust_p_values(p_values, method: str = "holm", alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Adjust p-values for multiple testing with statsmodels' ``multipletests``.

    Parameters
    ----------
    p_values : array of shape (k,)
        NaN entries (tests that could not be run) are left out of the family
        and stay NaN in the output.
    method : {"holm", "bh", "bonferroni", "by"}, default="holm"
        Holm's step-down family-wise control, Benjamini–Hochberg false discovery
        rate control, Bonferroni, or Benjamini–Yekutieli.
    alpha : float, default=0.05

    Returns
    -------
    (reject, adjusted) : tuple of ndarray
        Boolean rejections (False where the input is NaN) and adjusted p-values.
    """
    check_in(method, CORRECTIONS, name="method", owner="adjust_p_values")
    check_range(alpha, name="alpha", owner="adjust_p_values", low=0.0, high=1.0, low_inclusive=False)
    p_values = np.asarray(p_values, dtype=np.float64)
    if np.any((p_values < 0) | (p_values > 1)):
        raise ValueError("adjust_p_values: p_values must lie in [0, 1] (NaN allowed for tests not run).")
    finite = np.isfinite(p_values)
    reject = np.zeros(p_values.shape, dtype=bool)
    adjusted = np.full(p_values.shape, np.nan)
    if finite.any():
        reject[finite], adjusted[finite], _, _ = multipletests(p_values[finite], alpha=alpha, method=CORRECTIONS[method])
    return reject, adjusted


@dataclass(frozen=True)
class SeedSummary:
    """Mean over repeats with the sample standard deviation (ddof = 1) and a t-interval."""

    mean: float
    std: float
    low: float
    high: float
    n: int
    interval_method: str = "t-interval over seeds"


def summarize_seeds(values, confidence: float = 0.95) -> SeedSummary:
    """Summarise one metric repeated over seeds (or folds) as mean ± t-interval.

    The interval is mean ± t_{n−1, 1−α/2} · s / sqrt(n) with the sample standard
    deviation s (ddof = 1), as :func:`scipy.stats.t.interval` gives. Non-finite
    values are dropped; with fewer than two values the std and interval are NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return SeedSummary(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    mean = float(values.mean())
    if n < 2:
        return SeedSummary(mean, float("nan"), float("nan"), float("nan"), n)
    std = float(values.std(ddof=1))
    if std == 0:
        return SeedSummary(mean, 0.0, mean, mean, n)
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=std / np.sqrt(n))
    return SeedSummary(mean, std, float(low), float(high), n)
