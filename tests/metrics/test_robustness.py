"""Published robustness measures on hand-computed cases."""

import numpy as np
import pytest

from robustmed.metrics import robustness as rb
from robustmed.stats import resampling_weights

# Errors at severities 1-5 of two corruptions, for a model and a reference model.
MODEL = {"noise": [0.20, 0.25, 0.30, 0.35, 0.40], "blur": [0.15, 0.15, 0.20, 0.20, 0.30]}
REFERENCE = {"noise": [0.30, 0.40, 0.50, 0.60, 0.70], "blur": [0.20, 0.25, 0.30, 0.35, 0.40]}
CLEAN, REFERENCE_CLEAN = 0.10, 0.20


def test_corruption_error_and_mce():
    # noise: 1.50 / 2.50 = 0.6; blur: 1.00 / 1.50 = 2/3; mCE = (0.6 + 2/3) / 2.
    ce = {c: rb.corruption_error(MODEL[c], REFERENCE[c]) for c in MODEL}
    assert ce["noise"] == pytest.approx(0.6)
    assert ce["blur"] == pytest.approx(2 / 3)
    assert rb.mean_over_corruptions(ce.values()) == pytest.approx((0.6 + 2 / 3) / 2)


def test_relative_corruption_error():
    # noise: (1.50 − 5·0.10) / (2.50 − 5·0.20) = 1.0 / 1.5.
    assert rb.relative_corruption_error(MODEL["noise"], CLEAN, REFERENCE["noise"], REFERENCE_CLEAN) == pytest.approx(
        1.0 / 1.5
    )
    # blur: (1.00 − 0.50) / (1.50 − 1.00) = 1.0.
    assert rb.relative_corruption_error(MODEL["blur"], CLEAN, REFERENCE["blur"], REFERENCE_CLEAN) == pytest.approx(1.0)


def test_balanced_error_and_relative():
    # BE noise: 0.30 / 0.50; rBE noise: (0.30 − 0.10) / (0.50 − 0.20).
    assert rb.balanced_error(MODEL["noise"], REFERENCE["noise"]) == pytest.approx(0.6)
    assert rb.relative_balanced_error(MODEL["noise"], CLEAN, REFERENCE["noise"], REFERENCE_CLEAN) == pytest.approx(
        0.2 / 0.3
    )
    # rBE blur: (0.20 − 0.10) / (0.30 − 0.20) = 1.0; mean rBE = (2/3 + 1) / 2.
    rbe = [rb.relative_balanced_error(MODEL[c], CLEAN, REFERENCE[c], REFERENCE_CLEAN) for c in MODEL]
    assert rb.mean_over_corruptions(rbe) == pytest.approx((2 / 3 + 1.0) / 2)


def test_level_count_mismatch_message():
    with pytest.raises(ValueError, match="same levels"):
        rb.corruption_error([0.1, 0.2], [0.1, 0.2, 0.3])


def test_mean_over_corruptions_rejects_nan():
    with pytest.raises(ValueError, match="must be finite"):
        rb.mean_over_corruptions([0.5, np.nan])


def test_relative_robustness_true_spacing():
    severity = [0.0, 0.5, 2.0]
    values = [0.9, 0.8, 0.5]
    # 0.5·(0.9 + 0.8)/2 + 1.5·(0.8 + 0.5)/2 = 0.425 + 0.975.
    assert rb.relative_robustness(severity, values) == pytest.approx(1.4)


def test_relative_robustness_multibench_step():
    # MultiBench ignores the spacing: 0.1·(0.9 + 0.8)/2 + 0.1·(0.8 + 0.5)/2.
    assert rb.relative_robustness([0.0, 0.5, 2.0], [0.9, 0.8, 0.5], spacing="multibench") == pytest.approx(0.15)


def test_relative_robustness_rejects_unsorted_levels():
    with pytest.raises(ValueError, match="strictly ascending"):
        rb.relative_robustness([0.0, 2.0, 1.0], [0.9, 0.8, 0.7])


def test_effective_robustness_direction():
    model = [0.90, 0.85, 0.80]
    reference = [0.95, 0.80, 0.70]
    # Σ[(y_i − y_0) − (R_i − R_0)] = 0 + (−0.05 + 0.15) + (−0.10 + 0.25) = 0.25.
    assert rb.effective_robustness(model, reference) == pytest.approx(0.25)
    errors = 1 - np.array(model)
    reference_errors = 1 - np.array(reference)
    assert rb.effective_robustness(errors, reference_errors, higher_is_better=False) == pytest.approx(0.25)


def test_flip_probability_binary_and_multiclass():
    clean = np.array([0.9, 0.2, 0.6, 0.4])
    perturbed = np.array([0.4, 0.1, 0.7, 0.55])
    assert rb.flip_probability(clean, perturbed) == pytest.approx(0.5)
    clean_k = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    perturbed_k = np.array([[0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    assert rb.flip_probability(clean_k, perturbed_k) == pytest.approx(1 / 3)


def test_flip_probability_weighted_equals_resampled():
    rng = np.random.default_rng(0)
    clean, perturbed = rng.random(40), rng.random(40)
    weights = resampling_weights(3, np.zeros(40), seed=2)
    for row, w in zip(rb.flip_probability_weighted(clean, perturbed, weights), weights, strict=True):
        index = np.repeat(np.arange(40), w.astype(int))
        assert row == pytest.approx(rb.flip_probability(clean[index], perturbed[index]))
