import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from robustmed.stats import delong_covariance, delong_interval, delong_test


def _structural_components(y, scores):
    """DeLong et al. (1988) structural components by the O(m·n) definition, ties counting one half."""
    x, z = scores[y == 1], scores[y == 0]
    kernel = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
    return kernel.mean(axis=1), kernel.mean(axis=0)


def _brute_force_covariance(y, score_rows):
    v10 = np.array([_structural_components(y, s)[0] for s in score_rows])
    v01 = np.array([_structural_components(y, s)[1] for s in score_rows])
    return np.cov(v10) / v10.shape[1] + np.cov(v01) / v01.shape[1]


@pytest.fixture(scope="module")
def two_models():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 120)
    shared = rng.normal(size=120)
    a = np.round(shared + 1.0 * y, 1)
    b = np.round(shared + 0.6 * y + rng.normal(scale=0.7, size=120), 1)
    return y, a, b


def test_hanley_mcneil_rating_example():
    # Hanley and McNeil (1982), CT ratings 1-5: 58 normal and 51 abnormal patients; published A = 0.893.
    y = np.r_[np.zeros(58), np.ones(51)]
    ratings = np.r_[np.repeat(np.arange(1, 6), [33, 6, 6, 11, 2]), np.repeat(np.arange(1, 6), [3, 2, 2, 11, 33])]
    result = delong_covariance(y, ratings)
    assert result.auroc[0] == pytest.approx(0.893, abs=5e-4)
    assert result.covariance[0, 0] == pytest.approx(_brute_force_covariance(y, ratings[None, :]), rel=1e-12)
    # Their exponential approximation gave SE 0.032; DeLong's estimate is close, not equal.
    assert np.sqrt(result.covariance[0, 0]) == pytest.approx(0.032, abs=0.002)


def test_covariance_matches_definition(two_models):
    y, a, b = two_models
    result = delong_covariance(y, np.vstack([a, b]))
    np.testing.assert_allclose(result.covariance, _brute_force_covariance(y, [a, b]), rtol=1e-12)
    np.testing.assert_allclose(result.auroc, [roc_auc_score(y, a), roc_auc_score(y, b)], atol=1e-12)


def test_interval_is_normal_theory(two_models):
    y, a, _ = two_models
    auroc, low, high = delong_interval(y, a, 0.9)
    se = np.sqrt(_brute_force_covariance(y, a[None, :]))
    assert low == pytest.approx(auroc - norm.ppf(0.95) * se)
    assert high == pytest.approx(min(1.0, auroc + norm.ppf(0.95) * se))


def test_two_model_test(two_models):
    y, a, b = two_models
    result = delong_test(y, a, b)
    cov = _brute_force_covariance(y, [a, b])
    se = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert result.se == pytest.approx(se, rel=1e-10)
    assert result.z == pytest.approx((roc_auc_score(y, a) - roc_auc_score(y, b)) / se, rel=1e-10)
    assert result.p_value == pytest.approx(2 * norm.sf(abs(result.z)), rel=1e-10)
    assert result.low < result.difference < result.high


def test_same_ranking_gives_p_one(two_models):
    y, a, _ = two_models
    result = delong_test(y, a, 2 * a + 1)
    assert result.p_value == 1.0
    assert result.difference == 0.0


def test_too_few_positives_message():
    with pytest.raises(ValueError, match="at least 2 positives"):
        delong_covariance([0, 0, 0, 1], [0.1, 0.2, 0.3, 0.4])


def test_delong_rejects_labels_one_two():
    y = np.array([1, 2, 1, 2, 2, 1])
    with pytest.raises(ValueError, match="binary labels 0"):
        delong_interval(y, np.linspace(0, 1, 6))


def test_delong_test_rejects_short_scores():
    y = np.array([0, 1, 0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"p_b must have one score per sample, shape \(6,\)"):
        delong_test(y, np.linspace(0, 1, 6), np.linspace(0, 1, 4))
