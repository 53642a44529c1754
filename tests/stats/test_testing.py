import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from robustmed.stats import adjust_p_values, summarize_seeds

P_VALUES = np.array([0.01, 0.04, 0.03, 0.005])


def test_holm_hand_computed():
    # Sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1, then a running maximum.
    reject, adjusted = adjust_p_values(P_VALUES, "holm")
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_array_equal(reject, [True, False, False, True])


def test_benjamini_hochberg_hand_computed():
    # p·m/rank: 0.02, 0.02, 0.04, 0.04, then a running minimum from the largest.
    reject, adjusted = adjust_p_values(P_VALUES, "bh")
    np.testing.assert_allclose(adjusted, [0.02, 0.04, 0.04, 0.02])
    np.testing.assert_array_equal(reject, [True, True, True, True])


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh"), ("by", "fdr_by")])
def test_matches_statsmodels(ours, theirs):
    p = np.random.default_rng(0).random(30) ** 3
    expected = multipletests(p, alpha=0.1, method=theirs)
    reject, adjusted = adjust_p_values(p, ours, alpha=0.1)
    np.testing.assert_array_equal(reject, expected[0])
    np.testing.assert_allclose(adjusted, expected[1])


def test_nan_left_out_of_family():
    reject, adjusted = adjust_p_values([0.01, np.nan, 0.02], "holm")
    np.testing.assert_allclose(adjusted, [0.02, np.nan, 0.02])
    assert not reject[1]


def test_invalid_p_value_message():
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        adjust_p_values([0.5, 1.5])


def test_unknown_method_message():
    with pytest.raises(ValueError, match="method must be one of"):
        adjust_p_values([0.5], "hochberg2")


def test_seed_summary_t_interval():
    values = [0.80, 0.82, 0.79, 0.85]
    summary = summarize_seeds(values, 0.95)
    assert summary.std == pytest.approx(np.std(values, ddof=1))
    low, high = stats.t.interval(0.95, 3, loc=np.mean(values), scale=np.std(values, ddof=1) / 2)
    assert (summary.low, summary.high) == pytest.approx((low, high))
    assert summary.n == 4


def test_seed_summary_single_value_nan():
    summary = summarize_seeds([0.8, np.nan])
    assert summary.mean == 0.8
    assert np.isnan(summary.std)
    assert np.isnan(summary.low)
