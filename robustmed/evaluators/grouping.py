"""Metrics with bootstrap intervals per subgroup, shared by the fairness and shift analyses.

Each subgroup's values use the run's bootstrap replicates restricted to the
subgroup's samples. A replicate that draws no member of a small group gives NaN
for that group, not a crash and not 0, and intervals use the finite replicates.
For BCa intervals every value also has jackknife values that delete one patient
of the whole cell at a time (a patient outside the group leaves the group's
value unchanged), so differences and worst groups combine them row by row.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from robustmed.errors import SmallGroupWarning
from robustmed.metrics import fairness as fm
from robustmed.metrics.operating_points import RATE_NAMES, net_benefit_weighted, rates_weighted
from robustmed.metrics.registry import get_metric
from robustmed.stats.intervals import bca_jackknife, derived_interval, estimate, stack_jackknife

OVERALL = "all"


@dataclass(frozen=True)
class Group:
    """One subgroup of one attribute: member positions, sizes and whether it is large enough."""

    attribute: str
    subgroup: str
    index: np.ndarray
    n: int
    n_patients: int
    eligible: bool
    reason: str = ""


@dataclass
class Estimate:
    """A measure's point value, replicate values (replicates,) and interval.

    ``jackknife`` contains the leave-one-patient-out values (patients,) for BCa
    intervals, and is None for percentile intervals or an undefined measure.
    """

    value: float
    replicates: np.ndarray
    low: float
    high: float
    reason: str = ""
    jackknife: np.ndarray | None = None


@dataclass
class GroupValues:
    """Every measure of one group in one cell."""

    group: Group
    values: dict[str, Estimate] = field(default_factory=dict)


def build_groups(
    labels: np.ndarray, patients: Sequence[str], attribute: str, min_group_size: int, *, warn: bool = True
) -> list[Group]:
    """Split sample positions by label; flag groups below ``min_group_size``.

    Warns with :class:`~robustmed.errors.SmallGroupWarning` once per small group
    when ``warn`` is true.
    """
    patients = np.asarray(patients)
    groups = []
    for subgroup in sorted(str(label) for label in pd.unique(labels)):
        index = np.flatnonzero(labels == subgroup)
        n = len(index)
        eligible = n >= min_group_size
        reason = "" if eligible else f"group has {n} samples, fewer than min_group_size={min_group_size}"
        if not eligible and warn:
            warnings.warn(
                f"Subgroup {subgroup!r} of {attribute!r} has {n} samples, fewer than "
                f"min_group_size={min_group_size}; its metrics are NaN and it is left out of "
                "worst-group and disparity values.",
                SmallGroupWarning,
                stacklevel=2,
            )
        groups.append(Group(attribute, str(subgroup), index, n, len(np.unique(patients[index])), eligible, reason))
    return groups


def overall_group(patients: Sequence[str]) -> Group:
    patients = np.asarray(patients)
    return Group(OVERALL, OVERALL, np.arange(len(patients)), len(patients), len(np.unique(patients)), True)


def _from_replicates(
    point: float,
    replicates: np.ndarray,
    confidence: float,
    reason: str = "",
    *,
    method: str = "percentile",
    jackknife: np.ndarray | None = None,
) -> Estimate:
    low, high = derived_interval(point, replicates, confidence, method=method, jackknife=jackknife)
    if np.isnan(point) and not reason:
        reason = "undefined on these samples"
    return Estimate(float(point), replicates, low, high, reason, jackknife)


def _nan_estimate(n_resamples: int, reason: str) -> Estimate:
    return Estimate(float("nan"), np.full(n_resamples, np.nan), float("nan"), float("nan"), reason)


def group_values(
    group: Group,
    y: np.ndarray,
    p: np.ndarray,
    weights: np.ndarray,
    confidence: float,
    *,
    metrics: Sequence[str],
    threshold: float | None = None,
    net_benefit_thresholds: Sequence[float] = (),
    method: str = "percentile",
    clusters: np.ndarray | None = None,
) -> GroupValues:
    """Registry metrics, rates at ``threshold`` and net benefit of one group, with intervals.

    Measures are named by metric, by rate (``sensitivity`` ...), and
    ``net_benefit@<pt>`` / ``treat_all@<pt>`` for each threshold probability.
    ``method`` is the interval method. For "bca", ``clusters`` holds the
    patient id of every sample of ``y`` (not only the group's), and the BCa
    jackknife deletes one of those patients at a time.
    """
    result = GroupValues(group)
    names = list(metrics)
    if threshold is not None:
        names += list(RATE_NAMES)
    for pt in net_benefit_thresholds:
        names += [f"net_benefit@{pt:g}", f"treat_all@{pt:g}"]
    if not group.eligible:
        result.values = {name: _nan_estimate(len(weights), group.reason) for name in names}
        return result

    index = group.index
    y_g, p_g, w_g = y[index], p[index], weights[:, index]
    ones = np.ones((1, len(index)))

    def group_jackknife(statistic) -> np.ndarray | None:
        """Compute ``statistic`` on the group's columns of each leave-one-patient-out weight vector.

        Returns None unless the method is BCa.
        """
        return bca_jackknife(lambda w: statistic(w[:, index]), len(y), method=method, clusters=clusters)

    # Replicates that draw no member of the group divide by zero weight: NaN is the intended result.
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in metrics:
            e = estimate(name, y_g, p_g, w_g, confidence)
            metric = get_metric(name)
            jackknife = None if e.reason else group_jackknife(lambda w, metric=metric: metric.weighted(y_g, p_g, w))
            result.values[name] = _from_replicates(
                e.value, e.replicates, confidence, e.reason, method=method, jackknife=jackknife
            )
        if threshold is not None:
            point = rates_weighted(y_g, p_g, threshold, ones)
            replicates = rates_weighted(y_g, p_g, threshold, w_g)
            jackknife = group_jackknife(
                lambda w: np.column_stack([rates_weighted(y_g, p_g, threshold, w)[name] for name in RATE_NAMES])
            )
            for k, name in enumerate(RATE_NAMES):
                result.values[name] = _from_replicates(
                    point[name][0], replicates[name], confidence, method=method,
                    jackknife=None if jackknife is None else jackknife[:, k],
                )
        for pt in net_benefit_thresholds:
            point = net_benefit_weighted(y_g, p_g, pt, ones)
            replicates = net_benefit_weighted(y_g, p_g, pt, w_g)
            jackknife = group_jackknife(
                lambda w, pt=pt: np.column_stack(
                    [net_benefit_weighted(y_g, p_g, pt, w)[key] for key in ("model", "treat_all")]
                )
            )
            result.values[f"net_benefit@{pt:g}"] = _from_replicates(
                point["model"][0], replicates["model"], confidence, method=method,
                jackknife=None if jackknife is None else jackknife[:, 0],
            )
            result.values[f"treat_all@{pt:g}"] = _from_replicates(
                point["treat_all"][0], replicates["treat_all"], confidence, method=method,
                jackknife=None if jackknife is None else jackknife[:, 1],
            )
    return result


def higher_is_better(measure: str) -> bool:
    """Direction of a registry metric, a rate or a net benefit (FPR is the only lower-is-better rate)."""
    if measure in RATE_NAMES:
        return measure != "fpr"
    if "@" in measure:
        return True
    return get_metric(measure).higher_is_better


def disparity_estimates(
    groups: list[GroupValues], overall: GroupValues, measure: str, confidence: float, *, method: str = "percentile"
) -> tuple[dict[str, Estimate], dict]:
    """Worst group, differences and ratios of ``measure`` over groups with a finite point value.

    ``method`` is the interval method; BCa uses the groups' jackknife values
    (see :func:`group_values`), and the worst group of each jackknife row is
    chosen anew, as it is in each bootstrap replicate.

    Returns the estimates by disparity measure and a dict of bookkeeping:
    ``used`` (subgroups compared), ``excluded`` (eligible-size subgroups left out
    because their value is undefined), ``worst_subgroup`` and ``replicates_used``
    (replicates in which every compared group has a value).
    """
    used = [g for g in groups if g.group.eligible and np.isfinite(g.values[measure].value)]
    excluded = [g.group.subgroup for g in groups if g.group.eligible and not np.isfinite(g.values[measure].value)]
    n_resamples = len(overall.values[measure].replicates)
    info = {"used": [g.group.subgroup for g in used], "excluded": excluded, "worst_subgroup": "", "replicates_used": 0}
    if len(used) < 2:
        reason = f"{len(used)} subgroup(s) with a defined value; at least 2 are needed"
        return {m: _nan_estimate(n_resamples, reason) for m in fm.DISPARITY_MEASURES}, info

    better = higher_is_better(measure)
    point_values = np.array([[g.values[measure].value for g in used]])
    point = fm.disparities(point_values, np.array([overall.values[measure].value]), better)
    replicate_values = np.column_stack([g.values[measure].replicates for g in used])
    replicates = fm.disparities(replicate_values, overall.values[measure].replicates, better)
    info["worst_subgroup"] = used[int(point["worst_index"][0])].group.subgroup
    info["replicates_used"] = int(np.isfinite(replicate_values).all(axis=1).sum())
    jackknife = _stacked([*(g.values[measure] for g in used), overall.values[measure]], method)
    if jackknife is not None:
        jackknife = fm.disparities(jackknife[:, :-1], jackknife[:, -1], better)
    # NOTE: max - min over noisy groups is biased upward. With small groups the percentile
    # interval of a difference can therefore lie above its point value.
    estimates = {
        m: _from_replicates(
            point[m][0], replicates[m], confidence, method=method, jackknife=None if jackknife is None else jackknife[m]
        )
        for m in fm.DISPARITY_MEASURES
    }
    return estimates, info


def _stacked(estimates: list[Estimate], method: str) -> np.ndarray | None:
    """Stack the jackknife values (patients, len(estimates)) for BCa intervals, or return None for percentile ones."""
    if method != "bca":
        return None
    return stack_jackknife([e.jackknife for e in estimates])


def criteria_estimates(
    groups: list[GroupValues], confidence: float, *, method: str = "percentile"
) -> tuple[dict[str, Estimate], list[str]]:
    """Equalized odds, equal opportunity and demographic parity over eligible groups.

    ``method`` is the interval method; BCa uses the groups' jackknife values of the rates.
    """
    used = [
        g
        for g in groups
        if g.group.eligible and all(np.isfinite(g.values[r].value) for r in ("sensitivity", "fpr", "selection_rate"))
    ]
    names = ("equalized_odds_difference", "equal_opportunity_difference", "demographic_parity_difference",
             "demographic_parity_ratio")
    if len(used) < 2:
        n_resamples = len(groups[0].values["sensitivity"].replicates) if groups else 0
        reason = f"{len(used)} subgroup(s) with defined rates; at least 2 are needed"
        return {name: _nan_estimate(n_resamples, reason) for name in names}, [g.group.subgroup for g in used]

    def stack(field_name: str, replicate: bool) -> np.ndarray:
        if replicate:
            return np.column_stack([g.values[field_name].replicates for g in used])
        return np.array([[g.values[field_name].value for g in used]])

    rates = ("sensitivity", "fpr", "selection_rate")
    point = fm.criteria({r: stack(r, False) for r in rates})
    replicates = fm.criteria({r: stack(r, True) for r in rates})
    by_rate = {r: _stacked([g.values[r] for g in used], method) for r in rates}
    jackknife = fm.criteria(by_rate) if all(values is not None for values in by_rate.values()) else None
    estimates = {
        n: _from_replicates(
            point[n][0], replicates[n], confidence, method=method, jackknife=None if jackknife is None else jackknife[n]
        )
        for n in names
    }
    return estimates, [g.group.subgroup for g in used]
