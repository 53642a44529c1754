"""Jackknife helpers for BCa intervals of derived and multi-sample quantities."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from robustmed.metrics.registry import get_metric
from robustmed.stats import bca_interval, jackknife_values, percentile_interval, resampling_weights
from robustmed.stats.intervals import (
    bca_jackknife,
    derived_interval,
    pooled_jackknife,
    recipe_interval_method,
    stack_jackknife,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 90)
    p = 1 / (1 + np.exp(-(rng.normal(size=90) + 1.2 * y - 0.5)))
    patients = np.arange(90) // 3
    return y, p, patients, resampling_weights(200, y, clusters=patients, seed=0)


def test_bca_jackknife_none_for_percentile(data):
    y, p, patients, _ = data
    auroc = get_metric("auroc")
    assert bca_jackknife(lambda w: auroc.weighted(y, p, w), len(y), clusters=patients) is None


def test_bca_jackknife_deletes_patients(data):
    y, p, patients, _ = data
    auroc = get_metric("auroc")
    values = bca_jackknife(lambda w: auroc.weighted(y, p, w), len(y), method="bca", clusters=patients)
    assert values.shape == (30,)
    first = patients != 0
    assert values[0] == pytest.approx(auroc.value(y[first], p[first]), abs=1e-12)


def test_subgroup_jackknife_aligned_to_all_patients(data):
    y, p, patients, _ = data
    brier = get_metric("brier")
    group = np.flatnonzero(patients < 10)
    values = bca_jackknife(
        lambda w: brier.weighted(y[group], p[group], w[:, group]), len(y), method="bca", clusters=patients
    )
    assert values.shape == (30,)
    # Deleting a patient outside the group leaves the group's value unchanged.
    np.testing.assert_allclose(values[10:], brier.value(y[group], p[group]), atol=1e-12)
    assert np.ptp(values[:10]) > 0


def test_bca_jackknife_several_quantities(data):
    y, p, patients, _ = data
    auroc, brier = get_metric("auroc"), get_metric("brier")
    both = bca_jackknife(
        lambda w: np.column_stack([auroc.weighted(y, p, w), brier.weighted(y, p, w)]), len(y), method="bca",
        clusters=patients,
    )
    assert both.shape == (30, 2)
    expected = jackknife_values(lambda w: brier.weighted(y, p, w), len(y), clusters=patients)
    np.testing.assert_allclose(both[:, 1], expected)


def test_stack_jackknife_fills_missing():
    stacked = stack_jackknife([np.arange(3.0), None, np.ones(3)])
    assert stacked.shape == (3, 3)
    assert np.isnan(stacked[:, 1]).all()
    np.testing.assert_array_equal(stacked[:, 0], [0.0, 1.0, 2.0])
    assert stack_jackknife([None, None]) is None


def test_derived_interval_of_difference(data):
    y, p, patients, weights = data
    auroc, brier = get_metric("auroc"), get_metric("brier")
    both = bca_jackknife(
        lambda w: np.column_stack([auroc.weighted(y, p, w), brier.weighted(y, p, w)]), len(y), method="bca",
        clusters=patients,
    )
    value = auroc.value(y, p) - brier.value(y, p)
    replicates = auroc.weighted(y, p, weights) - brier.weighted(y, p, weights)
    jackknife = both[:, 0] - both[:, 1]
    bca = derived_interval(value, replicates, 0.95, method="bca", jackknife=jackknife)
    assert bca == bca_interval(replicates, value, jackknife, 0.95)
    percentile = derived_interval(value, replicates, 0.95)
    assert percentile == percentile_interval(replicates, 0.95)
    assert bca != percentile


def test_derived_interval_nan_without_jackknife():
    replicates = np.linspace(0.0, 1.0, 50)
    assert np.isnan(derived_interval(0.5, replicates, 0.95, method="bca")).all()
    assert np.isnan(derived_interval(float("nan"), replicates, 0.95, method="bca", jackknife=np.ones(5))).all()
    assert np.isfinite(derived_interval(float("nan"), replicates, 0.95)).all()


def test_pooled_jackknife_matches_scipy_two_samples():
    rng = np.random.default_rng(3)
    x, z = rng.exponential(size=40), rng.gamma(0.5, size=7)

    def statistic(x, z, axis=-1):
        return np.mean(x, axis=axis) + np.mean(z, axis=axis)

    first = stats.bootstrap((x, z), statistic, n_resamples=400, method="percentile")
    expected = stats.bootstrap(
        (x, z), statistic, n_resamples=0, method="BCa", confidence_level=0.9, bootstrap_result=first
    ).confidence_interval
    deleting_x = np.array([statistic(np.delete(x, i), z) for i in range(len(x))])
    deleting_z = np.array([statistic(x, np.delete(z, i)) for i in range(len(z))])
    got = bca_interval(first.bootstrap_distribution, statistic(x, z), pooled_jackknife(deleting_x, deleting_z), 0.9)
    assert got[0] == pytest.approx(expected.low, rel=1e-12)
    assert got[1] == pytest.approx(expected.high, rel=1e-12)
    concatenated = bca_interval(
        first.bootstrap_distribution, statistic(x, z), np.concatenate([deleting_x, deleting_z]), 0.9
    )
    assert concatenated != pytest.approx(got, rel=1e-6)


def test_pooled_jackknife_one_sample_unchanged(data):
    y, p, patients, weights = data
    auroc = get_metric("auroc")
    jackknife = jackknife_values(lambda w: auroc.weighted(y, p, w), len(y), clusters=patients)
    replicates, value = auroc.weighted(y, p, weights), auroc.value(y, p)
    pooled = bca_interval(replicates, value, pooled_jackknife(jackknife, np.empty(0)), 0.95)
    assert pooled == pytest.approx(bca_interval(replicates, value, jackknife, 0.95), rel=1e-12)


def test_pooled_jackknife_drops_nan():
    pooled = pooled_jackknife(np.array([1.0, np.nan, 3.0]), np.array([np.nan]))
    np.testing.assert_allclose(pooled, [-0.5, 0.5])


def test_recipe_interval_method():
    assert recipe_interval_method(SimpleNamespace(bootstrap=SimpleNamespace(method="bca"))) == "bca"
    assert recipe_interval_method(SimpleNamespace()) == "bca"
