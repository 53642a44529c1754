"""Binary classification metrics: scikit-learn for point values, weighted counts for replicates.

Every metric has two forms. ``value(y, p)`` calls scikit-learn and is the number
robustmed reports. ``weighted(y, p, weights)`` evaluates the same metric for many
bootstrap replicates at once, where row r of ``weights`` counts how often each
sample was drawn in replicate r; the tests check that both forms agree.
Probabilities ``p`` are those of the positive class, shape (n,).
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

ECE_BINS = 15
THRESHOLD = 0.5


def _as_arrays(y, p) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(y).astype(np.int64), np.asarray(p, dtype=np.float64)


def auroc(y, p) -> float:
    y, p = _as_arrays(y, p)
    if y.min() == y.max():
        return float("nan")
    return float(skm.roc_auc_score(y, p))


class SortedScores:
    """Scores sorted once, with tied scores grouped, for AUROC of many replicates.

    Parameters
    ----------
    y : array of shape (n,)
        Binary labels.
    p : array of shape (n,)
        Scores of the positive class.

    Attributes
    ----------
    order : ndarray of shape (n,)
        Stable ascending order of ``p``; weights passed to :meth:`auroc` follow it.
    group : ndarray of shape (n,)
        Tie group of every sorted position (0 for the lowest score).
    n_groups : int
    """

    def __init__(self, y, p) -> None:
        y, p = _as_arrays(y, p)
        self.order = np.argsort(p, kind="stable")
        p_sorted = p[self.order]
        self.positive = (y[self.order] == 1).astype(np.float64)
        new_group = np.r_[True, np.diff(p_sorted) != 0] if len(p) else np.empty(0, bool)
        self.starts = np.flatnonzero(new_group)
        self.group = np.cumsum(new_group) - 1
        self.n_groups = len(self.starts)
        self.tied = self.n_groups < len(p)
        # Sorted positions of the positives and the bounds [start, stop) of their tie groups.
        self.positive_index = np.flatnonzero(self.positive)
        stops = np.r_[self.starts[1:], len(p)]
        self.positive_start = self.starts[self.group[self.positive_index]]
        self.positive_stop = stops[self.group[self.positive_index]]

    def auroc(self, sorted_weights: np.ndarray) -> np.ndarray:
        """AUROC of each row of ``sorted_weights`` (columns in :attr:`order`), ties counted one half.

        Let C be the cumulative negative weight along the sorted order. A positive
        in the tie group [start, stop) beats C[start] negatives and ties with
        C[stop] − C[start], so it wins (C[start] + C[stop]) / 2. The cost is O(n)
        per replicate after the one sort.
        """
        weights = np.atleast_2d(sorted_weights).astype(np.float64, copy=False)
        cumulative = np.zeros((len(weights), weights.shape[1] + 1))
        np.cumsum(weights * (1.0 - self.positive), axis=1, out=cumulative[:, 1:])
        wins_twice = cumulative[:, self.positive_start] + cumulative[:, self.positive_stop]
        positive = weights[:, self.positive_index]
        numerator = 0.5 * np.einsum("ij,ij->i", positive, wins_twice)
        denominator = positive.sum(axis=1) * cumulative[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)


def auroc_weighted(y, p, weights: np.ndarray) -> np.ndarray:
    """AUROC for every replicate (row of ``weights``) from one sort of the scores."""
    scores = SortedScores(y, p)
    return scores.auroc(np.atleast_2d(weights)[:, scores.order])


def auprc(y, p) -> float:
    """Area under the precision-recall curve as average precision (scikit-learn)."""
    y, p = _as_arrays(y, p)
    if y.max(initial=0) == 0:
        return float("nan")
    return float(skm.average_precision_score(y, p))


def auprc_weighted(y, p, weights: np.ndarray) -> np.ndarray:
    """Average precision for every replicate, equal to scikit-learn's with ``sample_weight``.

    AP = Σ_k (R_k − R_{k−1}) P_k over the distinct thresholds in descending
    order, so with tie groups in descending order it is Σ_g tp_g / TP · TP_g / (TP_g + FP_g),
    where TP_g and FP_g are cumulative weights down to group g.
    """
    scores = SortedScores(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)[:, scores.order[::-1]]
    positive_sorted = scores.positive[::-1]
    group_desc = (scores.n_groups - 1 - scores.group)[::-1]
    starts = np.flatnonzero(np.r_[True, np.diff(group_desc) != 0]) if len(group_desc) else np.empty(0, int)
    positive = np.add.reduceat(weights * positive_sorted, starts, axis=1)
    total = np.add.reduceat(weights, starts, axis=1)
    true_positive = np.cumsum(positive, axis=1)
    predicted = np.cumsum(total, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, true_positive / predicted, 0.0)
        all_positive = true_positive[:, -1]
        value = (positive * precision).sum(axis=1) / all_positive
        return np.where(all_positive > 0, value, np.nan)


def balanced_accuracy(y, p) -> float:
    y, p = _as_arrays(y, p)
    return float(skm.balanced_accuracy_score(y, (p >= THRESHOLD).astype(np.int64)))


def balanced_accuracy_weighted(y, p, weights: np.ndarray) -> np.ndarray:
    y, p = _as_arrays(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)
    predicted = p >= THRESHOLD
    recalls = []
    for cls in (0, 1):
        members = y == cls
        total = weights[:, members].sum(axis=1)
        hits = weights[:, members & (predicted == bool(cls))].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            recalls.append(np.where(total > 0, hits / total, np.nan))
    # scikit-learn averages the recall of the classes present in y_true.
    return np.nanmean(np.vstack(recalls), axis=0)


def _confidence_bins(p: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    predicted = (p >= THRESHOLD).astype(np.int64)
    confidence = np.where(predicted == 1, p, 1.0 - p)
    # Bin b covers (b/n_bins, (b+1)/n_bins]; confidence 0 falls in the first bin.
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    return predicted, confidence, bins


def ece(y, p, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error on top-1 confidence with equal-width bins."""
    return float(ece_weighted(y, p, np.ones((1, len(np.asarray(y)))), n_bins)[0])


def ece_weighted(y, p, weights: np.ndarray, n_bins: int = ECE_BINS) -> np.ndarray:
    y, p = _as_arrays(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)
    predicted, confidence, bins = _confidence_bins(p, n_bins)
    correct = (predicted == y).astype(np.float64)
    one_hot = np.zeros((len(y), n_bins))
    one_hot[np.arange(len(y)), bins] = 1.0
    gap = (weights * (confidence - correct)) @ one_hot  # (R, bins): Σ_b w·(conf − acc)
    return np.abs(gap).sum(axis=1) / weights.sum(axis=1)


def brier(y, p) -> float:
    """Brier score summed over both classes, Σ_k (p_k − y_k)², so it lies in [0, 2]."""
    y, p = _as_arrays(y, p)
    return float(skm.brier_score_loss(y, p, scale_by_half=False))


def brier_weighted(y, p, weights: np.ndarray) -> np.ndarray:
    y, p = _as_arrays(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)
    per_sample = 2.0 * (p - y) ** 2
    return (weights * per_sample).sum(axis=1) / weights.sum(axis=1)


def nll(y, p) -> float:
    y, p = _as_arrays(y, p)
    return float(skm.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]))


def nll_weighted(y, p, weights: np.ndarray) -> np.ndarray:
    y, p = _as_arrays(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)
    p = np.clip(p, 1e-15, 1 - 1e-15)
    per_sample = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    return (weights * per_sample).sum(axis=1) / weights.sum(axis=1)


def accuracy(y, p) -> float:
    y, p = _as_arrays(y, p)
    return float(skm.accuracy_score(y, (p >= THRESHOLD).astype(np.int64)))


def accuracy_weighted(y, p, weights: np.ndarray) -> np.ndarray:
    y, p = _as_arrays(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)
    correct = ((p >= THRESHOLD).astype(np.int64) == y).astype(np.float64)
    return (weights * correct).sum(axis=1) / weights.sum(axis=1)


def _roc_points_weighted(y, p, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TPR and FPR of every replicate at every distinct threshold, highest threshold first.

    Column 0 is the point (0, 0) that scikit-learn's ``roc_curve`` adds for an
    infinite threshold. Column g + 1 predicts positive for the g + 1 highest tie groups.
    """
    scores = SortedScores(y, p)
    weights = np.atleast_2d(weights).astype(np.float64)[:, scores.order[::-1]]
    positive_sorted = scores.positive[::-1]
    group_desc = (scores.n_groups - 1 - scores.group)[::-1]
    starts = np.flatnonzero(np.r_[True, np.diff(group_desc) != 0]) if len(group_desc) else np.empty(0, int)
    positive = np.cumsum(np.add.reduceat(weights * positive_sorted, starts, axis=1), axis=1)
    negative = np.cumsum(np.add.reduceat(weights * (1.0 - positive_sorted), starts, axis=1), axis=1)
    zeros = np.zeros((len(weights), 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.hstack([zeros, positive / positive[:, -1:]])
        fpr = np.hstack([zeros, negative / negative[:, -1:]])
    return tpr, fpr


def sensitivity_at_specificity_weighted(y, p, weights: np.ndarray, specificity: float = 0.9) -> np.ndarray:
    """Highest sensitivity on the ROC curve whose specificity is at least ``specificity``, per replicate."""
    tpr, fpr = _roc_points_weighted(y, p, weights)
    # Rounding slack so that a specificity of exactly the target counts as reached.
    allowed = fpr <= 1.0 - specificity + 1e-12
    return np.where(np.isfinite(tpr[:, -1]) & np.isfinite(fpr[:, -1]), np.where(allowed, tpr, 0.0).max(axis=1), np.nan)


def specificity_at_sensitivity_weighted(y, p, weights: np.ndarray, sensitivity: float = 0.9) -> np.ndarray:
    """Highest specificity on the ROC curve whose sensitivity is at least ``sensitivity``, per replicate."""
    tpr, fpr = _roc_points_weighted(y, p, weights)
    reached = tpr >= sensitivity - 1e-12
    return np.where(
        np.isfinite(tpr[:, -1]) & np.isfinite(fpr[:, -1]), np.where(reached, 1.0 - fpr, 0.0).max(axis=1), np.nan
    )


def sensitivity_at_specificity(y, p, specificity: float = 0.9) -> float:
    """Highest sensitivity whose specificity is at least ``specificity``, from scikit-learn's ``roc_curve``."""
    y, p = _as_arrays(y, p)
    if y.min() == y.max():
        return float("nan")
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    return float(tpr[fpr <= 1.0 - specificity + 1e-12].max())


def specificity_at_sensitivity(y, p, sensitivity: float = 0.9) -> float:
    """Highest specificity whose sensitivity is at least ``sensitivity``, from scikit-learn's ``roc_curve``."""
    y, p = _as_arrays(y, p)
    if y.min() == y.max():
        return float("nan")
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    return float((1.0 - fpr[tpr >= sensitivity - 1e-12]).max())
