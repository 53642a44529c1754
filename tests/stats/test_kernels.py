import numpy as np
import pytest
from scipy import stats

from robustmed.stats import Resampler
from robustmed.stats._kernels import _add_multinomial, draw_indices, fill_counts


def test_counts_equal_numpy_reference_draws():
    strata = np.array([0] * 40 + [1] * 25 + [2] * 7)
    resampler = Resampler(strata, seed=11)
    for replicate in (0, 5):
        keys = resampler.keys(replicate)
        expected = np.zeros(resampler.n_clusters)
        for members, key in zip(resampler.stratum_members, keys, strict=True):
            np.add.at(expected, members[draw_indices(int(key), len(members), len(members))], 1)
        np.testing.assert_array_equal(resampler.cluster_counts(replicate), expected)


def test_multinomial_draws_are_uniform():
    # 200,000 draws over 50 slots: a chi-square test of equal frequencies.
    draws = draw_indices(123456789, 50, 200_000)
    assert draws.min() == 0
    assert draws.max() == 49
    assert stats.chisquare(np.bincount(draws, minlength=50)).pvalue > 1e-3


def test_poisson_counts_follow_poisson_one():
    counts = np.empty(200_000, np.uint32)
    fill_counts(counts, True, np.zeros(1, np.int64), np.array([200_000]), np.array([987654321], np.uint64))
    observed = np.bincount(counts, minlength=6)[:6]
    expected = stats.poisson.pmf(np.arange(6), 1.0) * counts.size
    expected[-1] = counts.size - expected[:-1].sum()
    observed[-1] = counts.size - observed[:-1].sum()
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert counts.mean() == pytest.approx(1.0, abs=0.01)


def test_uint8_counts_detect_overflow():
    counts = np.full(1, 255, np.uint8)  # a slot already drawn 255 times
    with pytest.raises(OverflowError, match="overflowed"):
        _add_multinomial(counts, np.zeros(1, np.int64), np.array([1]), np.array([1], np.uint64))
