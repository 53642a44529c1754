import numpy as np
import pytest
from sklearn import metrics as skm

from robustmed.metrics import multiclass


def _case(n_classes: int, seed: int = 0, n: int = 60):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    weights = rng.integers(0, 4, size=(5, n)).astype(float)
    return y, proba, weights


@pytest.mark.parametrize("n_classes", [2, 3])
def test_weighted_forms_match_sklearn_sample_weight(n_classes):
    y, proba, weights = _case(n_classes)
    predicted = proba.argmax(axis=1)
    labels = list(range(n_classes))
    balanced = multiclass.balanced_accuracy_weighted(y, proba, weights)
    f1 = multiclass.macro_f1_weighted(y, proba, weights)
    auroc = multiclass.macro_auroc_weighted(y, proba, weights)
    for row, w in enumerate(weights):
        assert balanced[row] == pytest.approx(skm.balanced_accuracy_score(y, predicted, sample_weight=w))
        assert f1[row] == pytest.approx(
            skm.f1_score(y, predicted, labels=labels, average="macro", sample_weight=w, zero_division=0.0)
        )
        if n_classes == 2:
            expected = skm.roc_auc_score(y, proba[:, 1], sample_weight=w)
        else:
            expected = np.mean([skm.roc_auc_score(y == k, proba[:, k], sample_weight=w) for k in labels])
        assert auroc[row] == pytest.approx(expected)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_unit_weights_give_point_values(n_classes):
    y, proba, _ = _case(n_classes, seed=1)
    ones = np.ones((1, len(y)))
    scores = multiclass.weighted_scores(y, proba, ones, multiclass.TRANSFER_METRICS)
    for metric in multiclass.TRANSFER_METRICS:
        assert scores[metric][0] == pytest.approx(multiclass.POINT[metric](y, proba)), metric


def test_macro_auroc_one_class_is_nan():
    proba = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert np.isnan(multiclass.macro_auroc(np.array([1, 1]), proba))
