"""Threshold choice, fixed-threshold rates and decision-curve net benefit."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_curve

from robustmed.metrics.operating_points import (
    choose_threshold,
    net_benefit,
    net_benefit_weighted,
    rates,
    rates_weighted,
)

Y = np.array([0, 0, 0, 0, 1, 1, 1, 0, 1, 1])
P = np.array([0.05, 0.2, 0.35, 0.5, 0.4, 0.6, 0.8, 0.7, 0.9, 0.3])


def test_net_benefit_hand_computed():
    # pt = 0.25: treated = p >= 0.25 -> TP = 5 (0.4, 0.6, 0.8, 0.9, 0.3), FP = 3 (0.35, 0.5, 0.7).
    # NB = 5/10 - 3/10 * (0.25 / 0.75) = 0.5 - 0.1 = 0.4; treat all = 0.5 - 0.5 * (1/3).
    result = net_benefit(Y, P, 0.25)
    assert result["model"] == pytest.approx(0.4, abs=1e-15)
    assert result["treat_all"] == pytest.approx(0.5 - 0.5 / 3, abs=1e-15)


def test_net_benefit_rejects_bad_threshold_probability():
    with pytest.raises(ValueError, match=r"threshold_probability must lie in \(0, 1\); got 1.0"):
        net_benefit(Y, P, 1.0)


def test_rates_match_confusion_matrix():
    tn, fp, fn, tp = confusion_matrix(Y, (P >= 0.5).astype(int)).ravel()
    result = rates(Y, P, 0.5)
    assert result["sensitivity"] == tp / (tp + fn)
    assert result["specificity"] == tn / (tn + fp)
    assert result["ppv"] == tp / (tp + fp)
    assert result["npv"] == tn / (tn + fn)
    assert result["fpr"] == fp / (fp + tn)
    assert result["selection_rate"] == (tp + fp) / len(Y)


def test_weighted_rates_equal_repeated_samples():
    weights = np.array([[2, 0, 1, 1, 3, 0, 1, 1, 2, 1]])
    repeated = np.repeat(np.arange(len(Y)), weights[0])
    weighted = rates_weighted(Y, P, 0.5, weights)
    expanded = rates(Y[repeated], P[repeated], 0.5)
    for name, value in expanded.items():
        assert weighted[name][0] == pytest.approx(value, abs=1e-15), name
    nb = net_benefit_weighted(Y, P, 0.2, weights)
    assert nb["model"][0] == pytest.approx(net_benefit(Y[repeated], P[repeated], 0.2)["model"], abs=1e-15)


def test_zero_weight_rates_are_nan_not_zero():
    result = rates_weighted(Y, P, 0.5, np.zeros((1, len(Y))))
    for name, value in result.items():
        assert np.isnan(value[0]), name


def test_youden_threshold_maximises_j():
    fpr, tpr, thresholds = roc_curve(Y, P, drop_intermediate=False)
    threshold = choose_threshold(Y, P, "youden")
    at = rates(Y, P, threshold)
    assert at["sensitivity"] + at["specificity"] - 1 == pytest.approx((tpr - fpr).max())


@pytest.mark.parametrize("target", [0.5, 0.8, 1.0])
def test_sensitivity_rule_meets_target_with_best_specificity(target):
    threshold = choose_threshold(Y, P, "sensitivity", target)
    assert rates(Y, P, threshold)["sensitivity"] >= target
    higher = P[P > threshold]
    if higher.size:
        assert rates(Y, P, higher.min())["sensitivity"] < target


@pytest.mark.parametrize("target", [0.6, 0.8, 1.0])
def test_specificity_rule_meets_target_with_best_sensitivity(target):
    threshold = choose_threshold(Y, P, "specificity", target)
    assert rates(Y, P, threshold)["specificity"] >= target
    lower = P[P < threshold]
    if lower.size:
        assert rates(Y, P, lower.max())["specificity"] < target


def test_threshold_rule_needs_target():
    with pytest.raises(ValueError, match="rule 'sensitivity' needs a target in"):
        choose_threshold(Y, P, "sensitivity")


def test_threshold_needs_both_classes():
    with pytest.raises(ValueError, match="must contain both classes"):
        choose_threshold(np.ones(4), np.linspace(0, 1, 4))
