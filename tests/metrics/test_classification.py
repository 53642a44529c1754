"""Registered metrics agree with scikit-learn, point values and weighted replicates alike."""

import numpy as np
import pytest
from sklearn import metrics as skm

from robustmed.metrics import classification as cls
from robustmed.metrics import get_metric
from robustmed.stats import resampling_weights


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 250)
    # Rounded scores create ties, the hard case for AUROC.
    p = np.clip(np.round(0.35 * y + rng.random(250) * 0.65, 2), 0.0, 1.0)
    return y, p


@pytest.fixture(scope="module")
def weights(scores):
    return resampling_weights(25, scores[0], seed=3)


def test_auroc_weighted_matches_sklearn(scores, weights):
    y, p = scores
    expected = [skm.roc_auc_score(y, p, sample_weight=w) for w in weights]
    np.testing.assert_allclose(cls.auroc_weighted(y, p, weights), expected, rtol=0, atol=1e-12)


def test_balanced_accuracy_weighted_matches_sklearn(scores, weights):
    y, p = scores
    expected = [skm.balanced_accuracy_score(y, p >= 0.5, sample_weight=w) for w in weights]
    np.testing.assert_allclose(cls.balanced_accuracy_weighted(y, p, weights), expected, atol=1e-12)


def test_brier_weighted_matches_sklearn(scores, weights):
    y, p = scores
    expected = [skm.brier_score_loss(y, p, sample_weight=w, scale_by_half=False) for w in weights]
    np.testing.assert_allclose(cls.brier_weighted(y, p, weights), expected, atol=1e-12)


def test_nll_weighted_matches_sklearn(scores, weights):
    y, p = scores
    q = np.clip(p, 1e-15, 1 - 1e-15)
    expected = [skm.log_loss(y, q, sample_weight=w) for w in weights]
    np.testing.assert_allclose(cls.nll_weighted(y, p, weights), expected, atol=1e-10)


def test_point_values_equal_sklearn(scores):
    y, p = scores
    assert cls.auroc(y, p) == skm.roc_auc_score(y, p)
    assert cls.balanced_accuracy(y, p) == skm.balanced_accuracy_score(y, p >= 0.5)
    assert cls.brier(y, p) == pytest.approx(2 * np.mean((p - y) ** 2), abs=1e-12)


def test_ece_hand_computed():
    y = np.array([1, 0, 1, 1])
    p = np.array([0.9, 0.8, 0.6, 0.55])
    # Predictions: 1, 1, 1, 1; confidences 0.9, 0.8, 0.6, 0.55 in bins 14, 12, 9, 8.
    # |0.9-1| + |0.8-0| + |0.6-1| + |0.55-1| over 4 samples.
    assert cls.ece(y, p) == pytest.approx((0.1 + 0.8 + 0.4 + 0.45) / 4)


def test_ece_shared_bin_averages_before_gap():
    y = np.array([1, 0])
    p = np.array([0.95, 0.96])
    # Both in bin 14: |mean conf − mean acc| = |0.955 − 0.5|.
    assert cls.ece(y, p) == pytest.approx(0.455)


def test_ece_weighted_equals_resampled(scores, weights):
    y, p = scores
    counts = weights[0].astype(int)
    repeated = np.repeat(np.arange(len(y)), counts)
    assert cls.ece_weighted(y, p, weights[:1])[0] == pytest.approx(cls.ece(y[repeated], p[repeated]), abs=1e-12)


def test_directions():
    assert get_metric("auroc").higher_is_better
    assert not get_metric("ece").higher_is_better
    assert not get_metric("brier").higher_is_better


def test_unknown_metric_message():
    with pytest.raises(KeyError, match="registered metrics"):
        get_metric("f2")


def test_auprc_weighted_matches_sklearn(scores, weights):
    y, p = scores
    expected = [skm.average_precision_score(y, p, sample_weight=w) for w in weights]
    np.testing.assert_allclose(cls.auprc_weighted(y, p, weights), expected, atol=1e-12)
    assert cls.auprc(y, p) == skm.average_precision_score(y, p)


def _sensitivity_at_specificity(y, p, w, target):
    fpr, tpr, _ = skm.roc_curve(y, p, sample_weight=w, drop_intermediate=False)
    return tpr[fpr <= 1 - target + 1e-12].max()


def test_sensitivity_at_specificity_matches_roc_curve(scores, weights):
    y, p = scores
    expected = [_sensitivity_at_specificity(y, p, w, 0.9) for w in weights]
    np.testing.assert_allclose(cls.sensitivity_at_specificity_weighted(y, p, weights), expected, atol=1e-12)
    assert cls.sensitivity_at_specificity(y, p) == pytest.approx(_sensitivity_at_specificity(y, p, None, 0.9))


def test_specificity_at_sensitivity_hand_computed():
    y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    # Sensitivity ≥ 0.75 first at threshold 0.5 (3 of 4 positives), where 3 of 4 negatives lie below.
    assert cls.specificity_at_sensitivity(y, p, 0.75) == pytest.approx(0.75)
    assert cls.specificity_at_sensitivity_weighted(y, p, np.ones((1, 8)), 0.75)[0] == pytest.approx(0.75)


def test_single_class_replicate_is_nan():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    weights = np.array([[1.0, 1.0, 0.0, 0.0]])
    assert np.isnan(cls.auroc_weighted(y, p, weights)[0])
    assert np.isnan(cls.auprc_weighted(y, p, weights)[0])
    assert np.isnan(cls.sensitivity_at_specificity_weighted(y, p, weights)[0])
