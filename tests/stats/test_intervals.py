import numpy as np
import pytest

from robustmed.stats import resampling_weights
from robustmed.stats.intervals import estimate, interval, interval_method_label


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 120)
    p = 1 / (1 + np.exp(-(rng.normal(size=120) + 1.5 * y - 0.7)))
    patients = np.arange(120) // 3
    return y, p, patients, resampling_weights(300, y, clusters=patients, seed=0)


def test_bca_estimate_stores_patient_jackknife(data):
    y, p, patients, weights = data
    result = estimate("auroc", y, p, weights, 0.95, method="bca", clusters=patients)
    assert result.jackknife.shape == (40,)
    assert result.low < result.value < result.high


def test_percentile_estimate_has_no_jackknife(data):
    y, p, _, weights = data
    result = estimate("brier", y, p, weights, 0.95)
    assert result.jackknife is None
    assert (result.low, result.high) == interval(result.replicates, 0.95)


def test_bca_differs_from_percentile(data):
    y, p, patients, weights = data
    bca = estimate("ece", y, p, weights, 0.95, method="bca", clusters=patients)
    percentile = estimate("ece", y, p, weights, 0.95)
    assert (bca.low, bca.high) != (percentile.low, percentile.high)


def test_one_class_reason(data):
    _, p, _, weights = data
    result = estimate("auroc", np.zeros(120, dtype=int), p, weights, 0.95, method="bca")
    assert result.reason == "only one class present"
    assert np.isnan(result.low)


def test_bca_without_jackknife_message():
    with pytest.raises(ValueError, match="needs estimate and jackknife"):
        interval(np.arange(10.0), 0.9, method="bca")


def test_method_labels():
    assert "percentile" in interval_method_label("percentile")
    assert "BCa" in interval_method_label("bca")


def test_recipe_bootstrap_method_field():
    from pydantic import ValidationError

    from robustmed.recipes.schema import BootstrapSpec

    assert BootstrapSpec(method="bca").method == "bca"
    assert BootstrapSpec().method == "bca"
    assert BootstrapSpec(method="percentile").method == "percentile"
    with pytest.raises(ValidationError, match="'percentile' or 'bca'"):
        BootstrapSpec(method="normal")


def test_recipe_method_any_case():
    from robustmed.recipes.schema import BootstrapSpec

    assert BootstrapSpec(method="BCa").method == "bca"
    assert BootstrapSpec(method="Percentile", scheme="Poisson").scheme == "poisson"
