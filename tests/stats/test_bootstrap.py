import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from robustmed.metrics.classification import auroc_weighted
from robustmed.stats import percentile_interval, resampling_weights


def test_stratified_replicates_keep_class_counts():
    y = np.array([0] * 90 + [1] * 10)
    weights = resampling_weights(200, y, seed=0)
    np.testing.assert_array_equal(weights[:, y == 1].sum(axis=1), 10)
    np.testing.assert_array_equal(weights.sum(axis=1), 100)


def test_replicates_independent_of_count():
    y = np.array([0, 1] * 20)
    np.testing.assert_array_equal(resampling_weights(5, y, seed=4), resampling_weights(50, y, seed=4)[:5])


def test_clustered_draws_whole_patients():
    y = np.array([0, 0, 1, 1, 0, 0])
    patients = np.array(["a", "a", "b", "b", "c", "c"])
    weights = resampling_weights(100, y, clusters=patients, seed=1)
    np.testing.assert_array_equal(weights[:, 0], weights[:, 1])
    np.testing.assert_array_equal(weights[:, 2], weights[:, 3])


def test_percentile_interval_ignores_nan():
    low, high = percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5)
    assert 1.0 <= low <= high <= 3.0


def test_auroc_interval_agrees_with_scipy_bootstrap():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 300)
    p = rng.normal(size=300) + 0.8 * y
    weights = resampling_weights(3000, np.zeros_like(y), seed=5)  # one stratum: plain bootstrap
    ours = percentile_interval(auroc_weighted(y, p, weights), 0.95)
    reference = stats.bootstrap(
        (y, p), roc_auc_score, paired=True, vectorized=False, n_resamples=3000,
        confidence_level=0.95, method="percentile", rng=np.random.default_rng(0),
    ).confidence_interval
    # Monte-Carlo error of a 2.5% quantile from 3,000 replicates is about 0.005 here.
    assert ours[0] == pytest.approx(reference.low, abs=0.015)
    assert ours[1] == pytest.approx(reference.high, abs=0.015)
