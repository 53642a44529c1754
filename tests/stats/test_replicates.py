import numpy as np
import pytest

from robustmed.metrics.classification import auroc_weighted, balanced_accuracy_weighted
from robustmed.stats import Resampler, resampling_weights
from robustmed.stats.replicates import metric_replicates, paired_difference


@pytest.fixture(scope="module")
def tied_scores():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.normal(size=300) + y, 1)  # many ties
    return y, p


@pytest.mark.parametrize("layout", ["class", "class_by_site", "clustered", "poisson"])
def test_auroc_paths_match_weight_matrix(tied_scores, layout):
    y, p = tied_scores
    site = np.arange(300) % 3
    strata = y * 3 + site if layout == "class_by_site" else y
    clusters = np.arange(300) // 2 if layout == "clustered" else None
    scheme = "poisson" if layout == "poisson" else "multinomial"
    resampler = Resampler(strata, clusters=clusters, seed=7, scheme=scheme)
    fast = metric_replicates("auroc", y, p, resampler, 15)
    weights = resampling_weights(15, strata, clusters=clusters, seed=7, scheme=scheme)
    np.testing.assert_allclose(fast, auroc_weighted(y, p, weights), rtol=0, atol=1e-13)


def test_other_metric_uses_weighted_form(tied_scores):
    y, p = tied_scores
    values = metric_replicates("balanced_accuracy", y, p, Resampler(y, seed=1), 9, chunk_size=2)
    expected = balanced_accuracy_weighted(y, p, resampling_weights(9, y, seed=1))
    np.testing.assert_allclose(values, expected, atol=1e-15)


def test_length_mismatch_message(tied_scores):
    y, p = tied_scores
    with pytest.raises(ValueError, match="resampler has 10"):
        metric_replicates("auroc", y, p, Resampler(np.zeros(10)), 3)


def test_paired_difference_uses_same_weights(tied_scores):
    y, p = tied_scores
    rng = np.random.default_rng(0)
    p_b = p + rng.normal(scale=0.8, size=len(p))
    resampler = Resampler(y, seed=3)
    result = paired_difference("auroc", y, p, p_b, resampler, 200)
    weights = resampling_weights(200, y, seed=3)
    expected = auroc_weighted(y, p, weights) - auroc_weighted(y, p_b, weights)
    np.testing.assert_allclose(result.replicates, expected, atol=1e-13)
    assert result.low < result.difference < result.high
    assert result.difference == pytest.approx(result.value_a - result.value_b)


def test_paired_difference_narrower_than_unpaired(tied_scores):
    y, p = tied_scores
    p_b = p + 0.05 * np.random.default_rng(1).normal(size=len(p))
    resampler = Resampler(y, seed=3)
    paired = paired_difference("auroc", y, p, p_b, resampler, 300)
    # Unpaired: model b evaluated on a different replicate stream.
    a = metric_replicates("auroc", y, p, resampler, 300)
    b = metric_replicates("auroc", y, p_b, Resampler(y, seed=99), 300)
    assert np.std(paired.replicates) < 0.5 * np.std(a - b)


def test_paired_difference_identical_models(tied_scores):
    y, p = tied_scores
    result = paired_difference("auroc", y, p, p, Resampler(y, seed=0), 50, method="bca")
    assert result.difference == 0
    np.testing.assert_array_equal(result.replicates, 0.0)
    assert result.p_value == 1.0


def test_paired_difference_rejects_unknown_method(tied_scores):
    y, p = tied_scores
    with pytest.raises(ValueError, match="method must be one of"):
        paired_difference("auroc", y, p, p, Resampler(y), 10, method="normal")


def test_threads_give_same_replicates(tied_scores):
    y, p = tied_scores
    resampler = Resampler(y, seed=5)
    single = metric_replicates("auroc", y, p, resampler, 23)
    np.testing.assert_array_equal(metric_replicates("auroc", y, p, resampler, 23, n_jobs=3), single)


def test_labels_other_than_zero_one_rejected(tied_scores):
    y, p = tied_scores
    with pytest.raises(ValueError, match=r"y must contain binary labels 0 \(negative\) and 1 \(positive\); got values 1, 2"):
        metric_replicates("auroc", y + 1, p, Resampler(y), 5)


def test_string_labels_rejected(tied_scores):
    y, p = tied_scores
    labels = np.where(y == 1, "pos", "neg")
    with pytest.raises(ValueError, match="got values 'neg', 'pos'"):
        metric_replicates("auroc", labels, p, Resampler(y), 5)


@pytest.mark.parametrize("length", [150, 301])
def test_score_length_mismatch_names_p(tied_scores, length):
    y, p = tied_scores
    scores = np.resize(p, length)
    with pytest.raises(ValueError, match=rf"p must have one score per sample, shape \(300,\); got shape \({length},\)"):
        metric_replicates("auroc", y, scores, Resampler(y), 5)


def test_nan_scores_rejected(tied_scores):
    y, p = tied_scores
    scores = p.copy()
    scores[[7, 9]] = np.nan
    with pytest.raises(ValueError, match="p contains 2 NaN or infinite values"):
        metric_replicates("auroc", y, scores, Resampler(y), 5)


def test_zero_replicates_rejected(tied_scores):
    y, p = tied_scores
    with pytest.raises(ValueError, match="n_resamples must be a positive integer"):
        metric_replicates("auroc", y, p, Resampler(y), 0)


def test_paired_p_value_never_zero():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    strong = y + rng.normal(scale=0.3, size=400)
    weak = rng.normal(size=400)
    result = paired_difference("auroc", y, strong, weak, Resampler(y), 99)
    assert result.p_value == pytest.approx(2 / 100)


@pytest.mark.parametrize(("clustered", "max_groups"), [(False, 1000), (True, 1000), (True, 40), (False, 60)])
def test_auroc_jackknife_equals_generic_jackknife(tied_scores, clustered, max_groups):
    from robustmed.stats import jackknife_values
    from robustmed.stats.replicates import auroc_jackknife

    y, p = tied_scores
    clusters = np.arange(300) // 3 if clustered else None
    fast = auroc_jackknife(y, p, clusters=clusters, max_groups=max_groups)
    generic = jackknife_values(lambda w: auroc_weighted(y, p, w), 300, clusters=clusters, max_groups=max_groups)
    np.testing.assert_allclose(fast, generic, rtol=0, atol=1e-12)
