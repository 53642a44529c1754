"""Equal-mass ECE and reliability bins."""

import numpy as np
import pytest

from robustmed.metrics import classification as cls
from robustmed.metrics.calibration import (
    bin_index,
    ece_binned_weighted,
    ece_equal_mass,
    ece_equal_mass_weighted,
    reliability_bins,
)


def test_equal_mass_ece_hand_computed():
    # Predictions of class 1 with confidences 0.6, 0.7, 0.8, 0.9 and correctness 1, 0, 1, 1; two bins of two.
    y = np.array([1, 0, 1, 1])
    p = np.array([0.6, 0.7, 0.8, 0.9])
    expected = 0.5 * abs(0.65 - 0.5) + 0.5 * abs(0.85 - 1.0)
    assert ece_equal_mass(y, p, n_bins=2) == pytest.approx(expected, abs=1e-15)


def test_equal_mass_bins_have_sizes_within_one():
    confidence = np.random.default_rng(0).uniform(0.5, 1.0, 101)
    counts = np.bincount(bin_index(confidence, 15, "equal_mass"), minlength=15)
    assert counts.max() - counts.min() <= 1


def test_equal_width_form_matches_classification_ece():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    p = rng.uniform(0, 1, 200)
    weights = rng.integers(0, 3, (5, 200))
    assert np.allclose(ece_binned_weighted(y, p, weights), cls.ece_weighted(y, p, weights), atol=1e-15)


def test_zero_weight_replicate_is_nan():
    y = np.array([1, 0, 1])
    p = np.array([0.9, 0.2, 0.6])
    assert np.isnan(ece_equal_mass_weighted(y, p, np.zeros((1, 3)))[0])


def test_reliability_bins_reproduce_ece():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    p = rng.uniform(0, 1, 300)
    for binning, ece in (("equal_width", cls.ece(y, p)), ("equal_mass", ece_equal_mass(y, p))):
        bins = reliability_bins(y, p, binning=binning)
        gap = (bins["count"] / bins["count"].sum() * (bins["confidence"] - bins["accuracy"]).abs()).sum()
        assert gap == pytest.approx(ece, abs=1e-12), binning
