"""Shapley attribution checked against brute force on synthetic games with known values."""

import itertools
from math import factorial

import numpy as np
import pytest

from robustmed.metrics.shapley import (
    inter_shap,
    interaction_matrix,
    permutation_coalitions,
    permutation_shapley,
    sample_permutations,
    shape_cross_modal,
    shapley_values,
)


def brute_force_shapley(v: np.ndarray, m: int) -> np.ndarray:
    """Average marginal contribution over every player order."""
    phi = np.zeros(m)
    orders = list(itertools.permutations(range(m)))
    for order in orders:
        mask = 0
        for player in order:
            phi[player] += v[mask | 1 << player] - v[mask]
            mask |= 1 << player
    return phi / len(orders)


def brute_force_interaction(v: np.ndarray, m: int, i: int, j: int) -> float:
    others = [k for k in range(m) if k not in (i, j)]
    total = 0.0
    for size in range(len(others) + 1):
        for subset in itertools.combinations(others, size):
            s = sum(1 << k for k in subset)
            weight = factorial(size) * factorial(m - size - 2) / (2 * factorial(m - 1))
            total += weight * (v[s | 1 << i | 1 << j] - v[s | 1 << i] - v[s | 1 << j] + v[s])
    return total


def random_game(m: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=2**m)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_shapley_matches_brute_force(m):
    v = random_game(m, seed=m)
    np.testing.assert_allclose(shapley_values(v, m), brute_force_shapley(v, m), atol=1e-12)


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_interactions_match_brute_force(m):
    v = random_game(m, seed=10 + m)
    matrix = interaction_matrix(v, m)
    for i, j in itertools.permutations(range(m), 2):
        assert matrix[i, j] == pytest.approx(brute_force_interaction(v, m, i, j), abs=1e-12)


@pytest.mark.parametrize("m", [1, 3, 6, 10])
def test_efficiency(m):
    v = random_game(m, seed=20 + m)
    assert shapley_values(v, m).sum() == pytest.approx(v[-1] - v[0], abs=1e-10)
    assert interaction_matrix(v, m).sum() == pytest.approx(v[-1] - v[0], abs=1e-10)


def test_interaction_rows_sum_to_shapley():
    v = random_game(4, seed=3)
    np.testing.assert_allclose(interaction_matrix(v, 4).sum(axis=1), shapley_values(v, 4), atol=1e-12)


def test_additive_game_has_no_interactions():
    weights = np.array([0.3, -0.1, 0.5, 0.2])
    v = np.array([sum(weights[i] for i in range(4) if mask >> i & 1) for mask in range(16)]) + 0.5
    matrix = interaction_matrix(v, 4)
    np.testing.assert_allclose(shapley_values(v, 4), weights, atol=1e-12)
    np.testing.assert_allclose(matrix - np.diag(np.diag(matrix)), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.diag(matrix), weights, atol=1e-12)
    assert inter_shap(matrix) == pytest.approx(0.0, abs=1e-12)
    assert shape_cross_modal(v, 4) == pytest.approx(0.0, abs=1e-12)


def test_pure_interaction_game_splits_evenly():
    # v(S) = 1 only when players 0 and 1 are both present; player 2 is a dummy.
    v = np.array([1.0 if mask & 0b011 == 0b011 else 0.0 for mask in range(8)])
    np.testing.assert_allclose(shapley_values(v, 3), [0.5, 0.5, 0.0], atol=1e-12)
    matrix = interaction_matrix(v, 3)
    expected = np.array([[0.0, 0.5, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(matrix, expected, atol=1e-12)
    assert inter_shap(matrix) == pytest.approx(1.0)
    assert shape_cross_modal(v, 3) == pytest.approx(1.0)


def test_replicate_axis_matches_rows():
    values = np.stack([random_game(3, seed=s) for s in range(5)])
    batched = shapley_values(values, 3)
    for r in range(5):
        np.testing.assert_allclose(batched[r], shapley_values(values[r], 3))
    assert interaction_matrix(values, 3).shape == (5, 3, 3)
    assert inter_shap(interaction_matrix(values, 3)).shape == (5,)


def test_constant_game_inter_shap_is_nan():
    assert np.isnan(inter_shap(interaction_matrix(np.ones(8), 3)))


def test_wrong_length_raises():
    with pytest.raises(ValueError, match="2\\*\\*n_players = 8"):
        shapley_values(np.zeros(7), 3)
    with pytest.raises(ValueError, match="at most 10 players"):
        shapley_values(np.zeros(2**11), 11)


def test_permutation_estimate_within_standard_error():
    m = 6
    v = random_game(m, seed=7)
    permutations = sample_permutations(m, 4000, seed=1)
    values = {mask: v[mask] for mask in permutation_coalitions(permutations)}
    estimate, standard_error = permutation_shapley(values, permutations)
    exact = shapley_values(v, m)
    assert (standard_error > 0).all()
    assert (np.abs(estimate - exact) < 4 * standard_error).all()


def test_permutation_exact_on_additive_game_beyond_ten_players():
    m = 12
    weights = np.linspace(-1.0, 1.0, m)
    permutations = sample_permutations(m, 50, seed=0)
    values = {mask: sum(weights[i] for i in range(m) if mask >> i & 1) for mask in permutation_coalitions(permutations)}
    estimate, standard_error = permutation_shapley(values, permutations)
    np.testing.assert_allclose(estimate, weights, atol=1e-12)
    np.testing.assert_allclose(standard_error, 0.0, atol=1e-12)


def test_permutations_are_seeded():
    np.testing.assert_array_equal(sample_permutations(5, 10, seed=3), sample_permutations(5, 10, seed=3))
    assert not np.array_equal(sample_permutations(5, 10, seed=3), sample_permutations(5, 10, seed=4))
