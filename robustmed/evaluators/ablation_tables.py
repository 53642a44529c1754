"""Tidy tables of the modality ablation: subset values, Shapley attribution, novel combinations.

Every statistic is computed on the point values and on each bootstrap
replicate of the same resampled patients, so intervals of different subsets,
and of quantities derived from several subsets, are coherent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from robustmed.metrics.registry import get_metric
from robustmed.metrics.shapley import (
    MAX_EXACT_PLAYERS,
    inter_shap,
    interaction_matrix,
    members,
    permutation_shapley,
    shape_cross_modal,
    shapley_values,
)
from robustmed.stats.intervals import (
    MetricEstimate,
    bca_jackknife,
    derived_interval,
    estimate,
    interval,
    interval_method_label,
    stack_jackknife,
)

TRUE_CLASS_PROBABILITY = "true_class_probability"
# Float32 models give the same input slightly different outputs depending on the row's
# position in a batched kernel (seen: 1 ulp between rows of an all-filled subset). Scores
# whose logits differ by less than this many float32 epsilons (relative) count as ties.
TIE_EPSILONS = 16


def merge_float32_ties(p: np.ndarray) -> np.ndarray:
    """Give probabilities that differ only by float32 rounding one common value.

    Without this, AUROC ranks rows with identical inputs (a constant fill, a
    genotype with few values) by rounding noise. Neighbours in sorted order are
    merged while their logits differ by at most ``TIE_EPSILONS`` float32
    epsilons times max(1, |logit|); each group takes its smallest value.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.size < 2:
        return p
    order = np.argsort(p, kind="stable")
    ordered = p[order]
    clipped = np.clip(ordered, 1e-300, 1.0 - 1e-16)
    logit = np.log(clipped) - np.log1p(-clipped)
    tolerance = TIE_EPSILONS * np.finfo(np.float32).eps * np.maximum(1.0, np.abs(logit[1:]))
    starts = np.r_[True, np.diff(logit) > tolerance]
    group_first = ordered[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    merged = np.empty_like(p)
    merged[order] = group_first
    return merged


def value_higher_is_better(metric: str) -> bool:
    return True if metric == TRUE_CLASS_PROBABILITY else get_metric(metric).higher_is_better


def value_estimate(
    metric: str,
    y: np.ndarray,
    p: np.ndarray,
    weights: np.ndarray,
    confidence: float,
    *,
    method: str = "percentile",
    clusters: np.ndarray | None = None,
) -> MetricEstimate:
    """Estimate a registered metric, or the mean predicted probability of the true class, with replicates.

    ``method`` is the interval method. For "bca" the estimate also carries the
    jackknife values over the patients in ``clusters`` (patient id of each sample).
    """
    if metric != TRUE_CLASS_PROBABILITY:
        return estimate(metric, y, p, weights, confidence, method=method, clusters=clusters)
    if len(y) == 0:
        empty = np.full(len(weights), np.nan)
        return MetricEstimate(metric, float("nan"), empty, float("nan"), float("nan"), "no samples")
    q = np.where(np.asarray(y) == 1, p, 1.0 - np.asarray(p, dtype=np.float64))

    def mean_true_class_probability(w: np.ndarray) -> np.ndarray:
        return (w @ q) / w.sum(axis=1)

    value = float(q.mean())
    replicates = mean_true_class_probability(weights)
    jackknife = bca_jackknife(mean_true_class_probability, len(q), method=method, clusters=clusters)
    low, high = interval(replicates, confidence, method=method, estimate=value, jackknife=jackknife)
    return MetricEstimate(metric, value, replicates, low, high, jackknife=jackknife)


def subset_label(mask: int, names: list[str]) -> str:
    chosen = [names[i] for i in members(mask, len(names))]
    return "+".join(chosen) if chosen else "none"


@dataclass(frozen=True)
class Game:
    """Subset values of one (task, policy, metric): point values and replicates by bitmask.

    With ``method="bca"`` every subset value carries its jackknife values over
    the same patients, and each derived quantity gets its BCa interval from
    the same formula applied to them.
    """

    names: list[str]
    values: dict[int, MetricEstimate]
    permutations: np.ndarray | None  # None: exact over all 2**M subsets
    method: str = "percentile"

    @property
    def exact(self) -> bool:
        return self.permutations is None

    def point(self) -> dict[int, float]:
        return {mask: e.value for mask, e in self.values.items()}

    def array(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact games only: point values (2**M,) and replicates (R, 2**M)."""
        size = 2 ** len(self.names)
        point = np.array([self.values[m].value for m in range(size)])
        replicates = np.stack([self.values[m].replicates for m in range(size)], axis=1)
        return point, replicates

    def jackknife(self, masks: list[int]) -> np.ndarray | None:
        """Stack the jackknife values (G, len(masks)) of the given subsets, or return None for percentile intervals."""
        if self.method != "bca":
            return None
        return stack_jackknife([self.values[mask].jackknife for mask in masks])

    @property
    def label(self) -> str:
        return interval_method_label(self.method)


def _row(
    game: Game, value: float, replicates: np.ndarray, jackknife: np.ndarray | None, confidence: float, **labels
) -> dict:
    """Build one table row of a quantity derived from the game's subset values.

    ``replicates`` and ``jackknife`` are the quantity on every bootstrap
    replicate and on every leave-one-patient-out weight vector.
    """
    low, high = derived_interval(value, replicates, confidence, method=game.method, jackknife=jackknife)
    reason = "" if np.isfinite(value) else "undefined for these subset values"
    return {
        **labels, "value": float(value), "ci_low": low, "ci_high": high, "interval_method": game.label, "reason": reason
    }


def _apply(function, jackknife: np.ndarray | None, *args):
    """Apply ``function`` to jackknife values, or return None when there are none (percentile intervals)."""
    return None if jackknife is None else function(jackknife, *args)


def _column(values: np.ndarray | None, *index) -> np.ndarray | None:
    return None if values is None else values[(slice(None), *index)]


def attribution_rows(game: Game, confidence: float, labels: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """Shapley, interaction and summary rows of one game."""
    names, m = game.names, len(game.names)
    full, empty = 2**m - 1, 0
    shapley, interactions, summary = [], [], []
    if game.exact:
        point, reps = game.array()
        jackknife = game.jackknife(list(range(2**m)))
        phi, phi_reps = shapley_values(point, m), shapley_values(reps, m)
        phi_jackknife = _apply(shapley_values, jackknife, m)
        matrix, matrix_reps = interaction_matrix(point, m), interaction_matrix(reps, m)
        matrix_jackknife = _apply(interaction_matrix, jackknife, m)
        standard_error = np.full(m, np.nan)
        estimator = "exact"
        for i in range(m):
            for j in range(m):
                interactions.append(
                    _row(
                        game, matrix[i, j], matrix_reps[:, i, j], _column(matrix_jackknife, i, j), confidence, **labels,
                        modality_a=names[i], modality_b=names[j],
                        effect="main effect" if i == j else "interaction",
                    )
                )
        summary.append(
            _row(game, inter_shap(matrix), inter_shap(matrix_reps), _apply(inter_shap, matrix_jackknife), confidence,
                 **labels, measure="inter_shap")
        )
    else:
        masks = sorted(game.values)
        point_values = {mask: e.value for mask, e in game.values.items()}
        replicate_values = {mask: e.replicates for mask, e in game.values.items()}
        phi, standard_error = permutation_shapley(point_values, game.permutations)
        phi_reps, _ = permutation_shapley(replicate_values, game.permutations)
        jackknife = game.jackknife(masks)
        phi_jackknife = None
        if jackknife is not None:
            phi_jackknife, _ = permutation_shapley(dict(zip(masks, jackknife.T, strict=True)), game.permutations)
        estimator = f"permutation sampling ({len(game.permutations)} orders)"
        summary.append(
            {**labels, "measure": "inter_shap", "value": np.nan, "ci_low": np.nan, "ci_high": np.nan,
             "interval_method": game.label,
             "reason": f"interaction indices are computed exactly only for at most {MAX_EXACT_PLAYERS} modalities"}
        )
    for i in range(m):
        row = _row(game, phi[i], phi_reps[:, i], _column(phi_jackknife, i), confidence, **labels, modality=names[i])
        row.update(estimator=estimator, mc_standard_error=float(standard_error[i]))
        shapley.append(row)

    needed = [empty, *[1 << i for i in range(m)], full]
    point = np.array([game.values[k].value for k in needed])
    reps = np.stack([game.values[k].replicates for k in needed], axis=1)
    jackknife = game.jackknife(needed)
    if game.exact:
        shape, shape_reps = shape_cross_modal(game.array()[0], m), shape_cross_modal(game.array()[1], m)
        shape_jackknife = _apply(shape_cross_modal, game.jackknife(list(range(2**m))), m)
    else:
        # The same term from the empty, singleton and full coalitions only.
        def cross_modal(values: np.ndarray) -> np.ndarray:
            return values[:, -1] - values[:, 0] - (values[:, 1:-1] - values[:, :1]).sum(axis=1)

        shape = cross_modal(point[None, :])[0]
        shape_reps, shape_jackknife = cross_modal(reps), _apply(cross_modal, jackknife)
    summary.append(_row(game, shape, shape_reps, shape_jackknife, confidence, **labels, measure="shape_cross_modal"))
    summary.append(_row(game, point[0], reps[:, 0], _column(jackknife, 0), confidence, **labels, measure="v_empty"))
    summary.append(_row(game, point[-1], reps[:, -1], _column(jackknife, -1), confidence, **labels, measure="v_full"))
    summary.append(
        _row(game, phi.sum(), phi_reps.sum(axis=1), _apply(np.sum, phi_jackknife, 1), confidence, **labels,
             measure="shapley_sum")
    )
    return shapley, interactions, summary


def novel_rows(game: Game, metric: str, confidence: float, labels: dict) -> list[dict]:
    """Every non-empty subset against the full model and the best single modality.

    ``difference`` is oriented so that positive means the subset is better
    (for lower-is-better metrics it is reference minus subset). The best single
    modality is chosen on the point values and kept fixed in every replicate.
    """
    names, m = game.names, len(game.names)
    sign = 1.0 if value_higher_is_better(metric) else -1.0
    full = 2**m - 1
    singles = [1 << i for i in range(m) if (1 << i) in game.values]
    finite = [s for s in singles if np.isfinite(game.values[s].value)]
    best_single = max(finite, key=lambda s: sign * game.values[s].value) if finite else None
    references = [("full model", full)]
    if best_single is not None:
        references.append(("best single modality", best_single))
    rows = []
    for reference, ref_mask in references:
        ref = game.values[ref_mask]
        for mask, subset in sorted(game.values.items()):
            if mask in (0, ref_mask):
                continue
            difference = sign * (subset.value - ref.value)
            replicates = sign * (subset.replicates - ref.replicates)
            pair = game.jackknife([mask, ref_mask])
            jackknife = None if pair is None else sign * (pair[:, 0] - pair[:, 1])
            low, high = derived_interval(difference, replicates, confidence, method=game.method, jackknife=jackknife)
            rows.append(
                {
                    **labels,
                    "subset": subset_label(mask, names),
                    "size": mask.bit_count(),
                    "reference": reference,
                    "reference_subset": subset_label(ref_mask, names),
                    "value": subset.value,
                    "reference_value": ref.value,
                    "difference": difference,
                    "ci_low": low,
                    "ci_high": high,
                    "interval_method": "paired " + game.label,
                    "beats_reference": bool(difference > 0),
                    "interval_excludes_zero": bool(low > 0 or high < 0),
                    "reason": "" if np.isfinite(difference) else "undefined for these subset values",
                }
            )
    return rows


def frame_or_empty(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)
