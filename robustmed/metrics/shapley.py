"""Cooperative-game attribution of a value function over modality subsets.

A game on M players is an array ``v`` whose last axis has length 2**M: entry
``v[..., S]`` is the value of the coalition whose bitmask is ``S`` (bit i set
when player i is in the coalition). Leading axes are kept, so one call handles
the point values and every bootstrap replicate at once. All functions here are
pure: no model, no data.

Definitions, for players N = {0, ..., M-1}:

- Shapley value: phi_i = sum over S in N without i of |S|!(M-|S|-1)!/M! * [v(S+i) - v(S)].
- Shapley interaction index (the SHAP interaction value convention, which
  splits a pair's interaction evenly between (i, j) and (j, i)):
  Phi_ij = sum over S in N without {i, j} of |S|!(M-|S|-2)!/(2(M-1)!) *
  [v(S+i+j) - v(S+i) - v(S+j) + v(S)], for i != j.
  The diagonal contains the main effects, Phi_ii = phi_i - sum over j != i of Phi_ij,
  so every row sums to phi_i and the whole matrix sums to v(N) - v(empty).
- InterSHAP: sum of |off-diagonal entries| / sum of |all entries| of that matrix.
- SHAPE cross-modal term: v(N) - v(empty) - sum over i of [v({i}) - v(empty)].
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from math import factorial

import numpy as np

# Exact attribution enumerates 2**M coalitions; beyond this, sample permutations.
MAX_EXACT_PLAYERS = 10


def subset_size(mask: int) -> int:
    return int(mask).bit_count()


def members(mask: int, n_players: int) -> tuple[int, ...]:
    """Players in the coalition ``mask``, in increasing order."""
    return tuple(i for i in range(n_players) if mask >> i & 1)


def _check_game(values: np.ndarray, n_players: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if n_players < 1:
        raise ValueError(f"shapley: n_players must be at least 1; got {n_players}.")
    if n_players > MAX_EXACT_PLAYERS:
        raise ValueError(
            f"shapley: exact attribution supports at most {MAX_EXACT_PLAYERS} players; got {n_players}. "
            "Use permutation_shapley for larger games."
        )
    if values.shape[-1] != 2**n_players:
        raise ValueError(
            f"shapley: the last axis of values must have 2**n_players = {2**n_players} entries; "
            f"got shape {values.shape}."
        )
    return values


@cache
def _shapley_operator(n_players: int) -> np.ndarray:
    """Matrix A of shape (2**M, M) with phi = v @ A."""
    operator = np.zeros((2**n_players, n_players))
    total = factorial(n_players)
    for mask in range(2**n_players):
        size = subset_size(mask)
        for i in range(n_players):
            if mask >> i & 1:
                continue
            weight = factorial(size) * factorial(n_players - size - 1) / total
            operator[mask | 1 << i, i] += weight
            operator[mask, i] -= weight
    operator.setflags(write=False)
    return operator


@cache
def _interaction_operator(n_players: int) -> np.ndarray:
    """Tensor B of shape (2**M, M, M) with the off-diagonal Phi = v @ B (diagonal zero)."""
    operator = np.zeros((2**n_players, n_players, n_players))
    if n_players < 2:
        return operator
    normaliser = 2 * factorial(n_players - 1)
    for mask in range(2**n_players):
        size = subset_size(mask)
        for i in range(n_players):
            for j in range(i + 1, n_players):
                if mask >> i & 1 or mask >> j & 1:
                    continue
                weight = factorial(size) * factorial(n_players - size - 2) / normaliser
                for target, sign in ((mask | 1 << i | 1 << j, 1.0), (mask | 1 << i, -1.0), (mask | 1 << j, -1.0), (mask, 1.0)):
                    operator[target, i, j] += sign * weight
                    operator[target, j, i] += sign * weight
    operator.setflags(write=False)
    return operator


def shapley_values(values: np.ndarray, n_players: int) -> np.ndarray:
    """Exact Shapley values of every player.

    Parameters
    ----------
    values : array of shape (..., 2**n_players)
        Coalition values indexed by bitmask.
    n_players : int
        At most ``MAX_EXACT_PLAYERS``.

    Returns
    -------
    ndarray of shape (..., n_players)
        They sum to ``v(N) - v(empty)`` (efficiency).
    """
    values = _check_game(values, n_players)
    return values @ _shapley_operator(n_players)


def interaction_matrix(values: np.ndarray, n_players: int) -> np.ndarray:
    """Pairwise Shapley interaction indices, main effects on the diagonal.

    Returns
    -------
    ndarray of shape (..., n_players, n_players)
        Symmetric; row i sums to the Shapley value of player i.
    """
    values = _check_game(values, n_players)
    off_diagonal = np.tensordot(values, _interaction_operator(n_players), axes=([-1], [0]))
    main = shapley_values(values, n_players) - off_diagonal.sum(axis=-1)
    index = np.arange(n_players)
    off_diagonal[..., index, index] = main
    return off_diagonal


def inter_shap(matrix: np.ndarray) -> np.ndarray:
    """Share of absolute attribution in the off-diagonal (interaction) entries.

    NaN when every entry is zero (a constant game has no attribution to share).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    magnitude = np.abs(matrix)
    total = magnitude.sum(axis=(-2, -1))
    n = matrix.shape[-1]
    diagonal = magnitude[..., np.arange(n), np.arange(n)].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (total - diagonal) / total, np.nan)


def shape_cross_modal(values: np.ndarray, n_players: int) -> np.ndarray:
    """SHAPE cross-modal term v(N) - v(empty) - sum_i [v({i}) - v(empty)].

    Needs only the empty, singleton and full coalitions, so it works for any
    ``n_players`` (the last axis still has 2**n_players entries).
    """
    values = np.asarray(values, dtype=np.float64)
    empty = values[..., 0]
    full = values[..., 2**n_players - 1]
    singles = sum(values[..., 1 << i] - empty for i in range(n_players))
    return full - empty - singles


def sample_permutations(n_players: int, n_permutations: int, seed: int) -> np.ndarray:
    """Random player orders, shape (n_permutations, n_players), from a seeded Philox stream."""
    rng = np.random.Generator(np.random.Philox(key=[int(seed), n_players]))
    return np.stack([rng.permutation(n_players) for _ in range(n_permutations)])


def permutation_coalitions(permutations: np.ndarray) -> list[int]:
    """Every coalition (bitmask) that the permutation estimator evaluates, sorted."""
    masks = {0}
    for order in permutations:
        mask = 0
        for player in order:
            mask |= 1 << int(player)
            masks.add(mask)
    return sorted(masks)


def permutation_shapley(
    values: Mapping[int, np.ndarray | float], permutations: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo Shapley values from sampled player orders.

    Parameters
    ----------
    values : mapping of bitmask to float or array of shape (R,)
        Coalition values; must contain every mask of :func:`permutation_coalitions`.
    permutations : array of shape (P, M)

    Returns
    -------
    estimate : ndarray of shape (M,) or (R, M)
        Mean marginal contribution of each player over the P orders.
    standard_error : ndarray of the same shape
        Monte Carlo standard error of the estimate, std(ddof=1) / sqrt(P); NaN
        when P is 1.
    """
    n_permutations, n_players = permutations.shape
    first = np.asarray(values[0], dtype=np.float64)
    contributions = np.zeros((n_permutations, *first.shape, n_players))
    for k, order in enumerate(permutations):
        mask, previous = 0, first
        for player in order:
            mask |= 1 << int(player)
            current = np.asarray(values[mask], dtype=np.float64)
            contributions[k, ..., int(player)] = current - previous
            previous = current
    estimate = contributions.mean(axis=0)
    if n_permutations < 2:
        return estimate, np.full(estimate.shape, np.nan)
    return estimate, contributions.std(axis=0, ddof=1) / np.sqrt(n_permutations)
