"""Class-balanced metrics over class-probability matrices, for transfer protocols.

Labels ``y`` are integers 0..K-1 and ``proba`` has shape (n, K). Each metric has
a point form that calls scikit-learn and a ``*_weighted(y, proba, weights)`` form
that evaluates every row of a (replicates, n) matrix of bootstrap draw counts at
once. The weighted forms equal scikit-learn called with ``sample_weight`` set to
that row, which the tests check. They exist because calling scikit-learn once per
replicate is about a thousand times slower for 1000 replicates.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from robustmed.metrics.classification import auroc_weighted

TRANSFER_METRICS = ("balanced_accuracy", "macro_auroc", "macro_f1")


def predicted_labels(proba: np.ndarray) -> np.ndarray:
    """Arg-max class of each row (the first class wins ties, as in scikit-learn)."""
    return np.asarray(proba).argmax(axis=1)


def balanced_accuracy(y, proba) -> float:
    """Mean recall over the classes present in ``y``."""
    return float(skm.balanced_accuracy_score(np.asarray(y), predicted_labels(proba)))


def macro_f1(y, proba) -> float:
    """Unweighted mean of per-class F1 over all K classes (F1 of a class never predicted nor present is 0)."""
    n_classes = np.asarray(proba).shape[1]
    return float(
        skm.f1_score(np.asarray(y), predicted_labels(proba), labels=list(range(n_classes)), average="macro", zero_division=0.0)
    )


def macro_auroc(y, proba) -> float:
    """One-vs-rest AUROC averaged over classes; for two classes, the AUROC of class 1."""
    y, proba = np.asarray(y), np.asarray(proba, dtype=np.float64)
    if len(np.unique(y)) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return float(skm.roc_auc_score(y, proba[:, 1]))
    return float(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=list(range(proba.shape[1]))))


def confusion_weighted(y, proba, weights: np.ndarray) -> np.ndarray:
    """Weighted confusion matrices, shape (replicates, K, K): [r, true, predicted]."""
    y = np.asarray(y, dtype=np.int64)
    n_classes = np.asarray(proba).shape[1]
    cell = y * n_classes + predicted_labels(proba)
    one_hot = np.zeros((len(y), n_classes * n_classes))
    one_hot[np.arange(len(y)), cell] = 1.0
    counts = np.atleast_2d(weights).astype(np.float64) @ one_hot
    return counts.reshape(-1, n_classes, n_classes)


def balanced_accuracy_from_confusion(confusion: np.ndarray) -> np.ndarray:
    """Balanced accuracy of each (K, K) confusion matrix in a (replicates, K, K) stack."""
    support = confusion.sum(axis=2)
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, hits / support, np.nan)
    # scikit-learn averages the recall of the classes present in y_true.
    return np.nanmean(recall, axis=1)


def macro_f1_from_confusion(confusion: np.ndarray) -> np.ndarray:
    """Macro-F1 of each (K, K) confusion matrix in a (replicates, K, K) stack."""
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=2) + confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2.0 * hits / denominator, 0.0)
    return f1.mean(axis=1)


def balanced_accuracy_weighted(y, proba, weights: np.ndarray) -> np.ndarray:
    return balanced_accuracy_from_confusion(confusion_weighted(y, proba, weights))


def macro_f1_weighted(y, proba, weights: np.ndarray) -> np.ndarray:
    return macro_f1_from_confusion(confusion_weighted(y, proba, weights))


def macro_auroc_weighted(y, proba, weights: np.ndarray) -> np.ndarray:
    y, proba = np.asarray(y, dtype=np.int64), np.asarray(proba, dtype=np.float64)
    if proba.shape[1] == 2:
        return auroc_weighted(y, proba[:, 1], weights)
    per_class = [auroc_weighted((y == k).astype(np.int64), proba[:, k], weights) for k in range(proba.shape[1])]
    return np.mean(np.vstack(per_class), axis=0)


POINT = {"balanced_accuracy": balanced_accuracy, "macro_auroc": macro_auroc, "macro_f1": macro_f1}
def weighted_scores(y, proba, weights: np.ndarray, metrics) -> dict[str, np.ndarray]:
    """Compute every metric in ``metrics`` for every row of ``weights``, sharing one confusion stack."""
    scores = {}
    if {"balanced_accuracy", "macro_f1"} & set(metrics):
        confusion = confusion_weighted(y, proba, weights)
    for metric in metrics:
        if metric == "balanced_accuracy":
            scores[metric] = balanced_accuracy_from_confusion(confusion)
        elif metric == "macro_f1":
            scores[metric] = macro_f1_from_confusion(confusion)
        else:
            scores[metric] = WEIGHTED[metric](y, proba, weights)
    return scores


WEIGHTED = {
    "balanced_accuracy": balanced_accuracy_weighted,
    "macro_auroc": macro_auroc_weighted,
    "macro_f1": macro_f1_weighted,
}
