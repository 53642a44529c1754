import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from robustmed.metrics.classification import accuracy_weighted, auroc_weighted
from robustmed.stats import (
    BootstrapConfig,
    Resampler,
    bca_interval,
    bootstrap_replicates,
    jackknife_values,
    percentile_interval,
    resampling_weights,
)


def test_stratified_replicates_keep_class_counts():
    y = np.array([0] * 90 + [1] * 10)
    weights = resampling_weights(200, y, seed=0)
    np.testing.assert_array_equal(weights[:, y == 1].sum(axis=1), 10)
    np.testing.assert_array_equal(weights.sum(axis=1), 100)


def test_replicates_independent_of_count():
    y = np.array([0, 1] * 20)
    np.testing.assert_array_equal(resampling_weights(5, y, seed=4), resampling_weights(50, y, seed=4)[:5])


def test_replicates_independent_of_chunking():
    y = np.array([0, 1, 1, 0, 0] * 8)
    resampler = Resampler(y, seed=2)
    whole = resampler.weights(0, 10)
    chunks = np.vstack(list(resampler.iter_weights(10, chunk_size=3)))
    np.testing.assert_array_equal(whole, chunks)
    np.testing.assert_array_equal(resampler.weights(4, 7), whole[4:7])


def test_column_order_permutes_weights():
    y = np.array([0, 1, 1, 0, 0, 1, 0])
    clusters = np.array([0, 0, 1, 2, 2, 3, 4])
    order = np.array([6, 2, 0, 5, 1, 4, 3])
    for clustered in (None, clusters):
        resampler = Resampler(y, clusters=clustered, seed=1)
        np.testing.assert_array_equal(resampler.weights(0, 6, order), resampler.weights(0, 6)[:, order])


def test_different_seeds_differ():
    y = np.array([0, 1] * 30)
    assert not np.array_equal(resampling_weights(3, y, seed=0), resampling_weights(3, y, seed=1))


def test_clustered_draws_whole_patients():
    y = np.array([0, 0, 1, 1, 0, 0])
    patients = np.array(["a", "a", "b", "b", "c", "c"])
    weights = resampling_weights(100, y, clusters=patients, seed=1)
    np.testing.assert_array_equal(weights[:, 0], weights[:, 1])
    np.testing.assert_array_equal(weights[:, 2], weights[:, 3])
    # Patients a and c form the negative stratum: two patients drawn, four samples.
    np.testing.assert_array_equal(weights[:, [0, 1, 4, 5]].sum(axis=1), 4)


def test_poisson_weights_mean_one():
    y = np.array([0, 1] * 500)
    weights = resampling_weights(200, y, seed=0, scheme="poisson")
    assert weights.min() >= 0
    assert np.all(weights == np.round(weights))
    assert weights.mean() == pytest.approx(1.0, abs=0.01)
    assert weights.sum(axis=1).std() > 0  # stratum totals vary, unlike multinomial counts


def test_unknown_scheme_message():
    with pytest.raises(ValueError, match="scheme must be one of"):
        Resampler([0, 1], scheme="wild")


def test_config_rejects_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        BootstrapConfig(method="studentized")


def test_streamed_replicates_equal_matrix():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 80)
    p = rng.random(80)
    resampler = Resampler(y, seed=9)
    streamed = bootstrap_replicates(lambda w: auroc_weighted(y, p, w), resampler, 11, chunk_size=4)
    np.testing.assert_allclose(streamed, auroc_weighted(y, p, resampling_weights(11, y, seed=9)), atol=1e-15)


def test_percentile_interval_ignores_nan():
    low, high = percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5)
    assert 1.0 <= low <= high <= 3.0


def test_jackknife_leaves_one_out():
    x = np.array([1.0, 4.0, 2.0, 8.0])
    values = jackknife_values(lambda w: (w * x).sum(axis=1) / w.sum(axis=1), 4)
    np.testing.assert_allclose(values, [(15 - v) / 3 for v in x])


def test_jackknife_deletes_whole_patients():
    x = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    patients = np.array(["b", "a", "b", "c", "a"])
    values = jackknife_values(lambda w: (w * x).sum(axis=1) / w.sum(axis=1), 5, clusters=patients)
    # Patients sorted: a (3, 9), b (1, 5), c (7).
    np.testing.assert_allclose(values, [np.mean([1, 5, 7]), np.mean([3, 9, 7]), np.mean([1, 3, 5, 9])])


def test_jackknife_groups_capped():
    values = jackknife_values(lambda w: w.sum(axis=1), 100, max_groups=10)
    assert values.shape == (10,)
    np.testing.assert_array_equal(values, 90.0)


def test_bca_falls_back_when_replicates_one_sided():
    replicates = np.linspace(1.0, 2.0, 50)
    assert bca_interval(replicates, 0.5, np.array([0.4, 0.6]), 0.9) == percentile_interval(replicates, 0.9)


def _scipy_interval(data, statistic, method, n_resamples, vectorized):
    return stats.bootstrap(
        data, statistic, paired=len(data) > 1, vectorized=vectorized, n_resamples=n_resamples,
        confidence_level=0.95, method=method, rng=np.random.default_rng(0),
    ).confidence_interval


@pytest.mark.parametrize("method", ["percentile", "BCa"])
def test_accuracy_interval_agrees_with_scipy(method):
    # A skewed proportion (90% correct of 60) separates BCa from percentile.
    rng = np.random.default_rng(5)
    correct = (rng.random(60) < 0.9).astype(float)
    y = np.ones(60, dtype=int)
    p = np.where(correct == 1, 0.9, 0.1)
    weights = resampling_weights(20000, np.zeros(60), seed=1)  # one stratum: the plain bootstrap
    replicates = accuracy_weighted(y, p, weights)
    if method == "BCa":
        jackknife = jackknife_values(lambda w: accuracy_weighted(y, p, w), 60)
        ours = bca_interval(replicates, correct.mean(), jackknife, 0.95)
    else:
        ours = percentile_interval(replicates, 0.95)
    reference = _scipy_interval((correct,), np.mean, method, 20000, vectorized=True)
    # Replicates take values k/60, so quantiles from two independent streams may sit one step apart;
    # BCa and percentile differ by two steps at the lower end here.
    step = 1 / 60 + 1e-9
    assert ours[0] == pytest.approx(reference.low, abs=step)
    assert ours[1] == pytest.approx(reference.high, abs=step)


def _rank_auroc(y, p, axis=-1):
    """Mann-Whitney AUROC from scipy midranks, vectorised over resamples for scipy.stats.bootstrap."""
    ranks = stats.rankdata(p, axis=axis)
    n_positive = y.sum(axis=axis)
    n_negative = y.shape[axis] - n_positive
    return ((ranks * y).sum(axis=axis) - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def test_rank_auroc_equals_sklearn():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 50)
    p = np.round(rng.random(50), 1)
    assert _rank_auroc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


@pytest.mark.parametrize("method", ["percentile", "BCa"])
def test_auroc_interval_agrees_with_scipy(method):
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 200)
    p = rng.normal(size=200) + 0.8 * y
    weights = resampling_weights(4000, np.zeros_like(y), seed=5)  # one stratum: plain bootstrap
    replicates = auroc_weighted(y, p, weights)
    if method == "BCa":
        jackknife = jackknife_values(lambda w: auroc_weighted(y, p, w), 200)
        ours = bca_interval(replicates, roc_auc_score(y, p), jackknife, 0.95)
    else:
        ours = percentile_interval(replicates, 0.95)
    reference = _scipy_interval((y, p), _rank_auroc, method, 4000, vectorized=True)
    # Monte-Carlo error of a 2.5% quantile from 4,000 replicates is about 0.004 here.
    assert ours[0] == pytest.approx(reference.low, abs=0.012)
    assert ours[1] == pytest.approx(reference.high, abs=0.012)


def test_jackknife_groups_reject_wrong_cluster_shape():
    from robustmed.stats import jackknife_groups

    with pytest.raises(ValueError, match=r"clusters must give one patient id per sample, shape \(4,\); got shape \(\)"):
        jackknife_groups(4, clusters=np.asarray(None))
