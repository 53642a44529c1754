"""Group fairness: subgroup labels and disparity summaries over groups.

Summaries follow the fairlearn ``MetricFrame`` definitions (fairlearn 0.15,
``metrics/_disaggregated_result.py``): difference between groups is
max_g m_g − min_g m_g, difference to overall is max_g |m_g − m_overall|, ratio
between groups is min_g m_g / max_g m_g, and ratio to overall is
min_g min(m_g / m_overall, m_overall / m_g). The worst group is the minimum for
higher-is-better metrics and the maximum otherwise (WILDS, Koh et al. 2021).

Every summary takes values of shape (replicates, groups) so that bootstrap
replicates are summarised in one call. A replicate in which any group's value is
NaN (the group was not drawn, or lost a class) gets a NaN summary instead of a
summary over fewer groups; interval code then uses the finite replicates only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MISSING_LABEL = "missing"
INTERSECTION_SEPARATOR = " & "

DISPARITY_MEASURES = ("worst_group", "difference", "ratio", "difference_to_overall", "ratio_to_overall")


def attribute_labels(metadata: pd.DataFrame, attributes: Sequence[str]) -> np.ndarray:
    """Subgroup label of every sample for one attribute or an intersection of several.

    Missing values become the group ``"missing"``; an intersection joins the
    labels with ``" & "`` in the order of ``attributes``.

    Raises
    ------
    KeyError
        If an attribute is not a metadata column.
    """
    parts = []
    for name in attributes:
        if name not in metadata.columns:
            raise KeyError(
                f"attribute_labels: unknown metadata column {name!r}; available: {', '.join(map(str, metadata.columns))}."
            )
        column = metadata[name]
        parts.append(np.where(column.isna().to_numpy(), MISSING_LABEL, column.astype(str).to_numpy()))
    labels = parts[0].astype(object)
    for part in parts[1:]:
        labels = labels + INTERSECTION_SEPARATOR + part.astype(object)
    return labels.astype(str)


def bin_column(values: pd.Series, edges: Sequence[float]) -> pd.Series:
    """Cut a numeric column into left-closed bins labelled like ``[60, 70)``; NaN stays NaN.

    Values outside [edges[0], edges[-1]) are NaN too, so they fall in the
    ``missing`` group rather than silently in an end bin.
    """
    edges = [float(e) for e in edges]
    labels = [f"[{low:g}, {high:g})" for low, high in zip(edges[:-1], edges[1:], strict=True)]
    return pd.cut(pd.to_numeric(values, errors="coerce"), bins=edges, right=False, labels=labels).astype(object)


def worst_group(values: np.ndarray, higher_is_better: bool) -> tuple[np.ndarray, np.ndarray]:
    """Worst value and its group index per replicate; NaN and -1 where any group is NaN."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    complete = ~np.isnan(values).any(axis=1)
    filled = np.where(np.isnan(values), np.inf if not higher_is_better else -np.inf, values)
    index = filled.argmin(axis=1) if higher_is_better else filled.argmax(axis=1)
    worst = np.where(complete, values[np.arange(len(values)), index], np.nan)
    return worst, np.where(complete, index, -1)


def difference(values: np.ndarray, overall: np.ndarray | None = None) -> np.ndarray:
    """max_g m_g − min_g m_g, or max_g |m_g − m_overall| when ``overall`` is given."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if overall is None:
        return values.max(axis=1) - values.min(axis=1)
    overall = np.asarray(overall, dtype=np.float64).reshape(-1, 1)
    return np.abs(values - overall).max(axis=1)


def ratio(values: np.ndarray, overall: np.ndarray | None = None) -> np.ndarray:
    """min_g m_g / max_g m_g, or min_g min(m_g/m_overall, m_overall/m_g) when ``overall`` is given.

    As in fairlearn, a ratio above one is inverted; a zero denominator gives
    inf (inverted to 0) or NaN for 0/0.
    """
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        if overall is None:
            return values.min(axis=1) / values.max(axis=1)
        overall = np.asarray(overall, dtype=np.float64).reshape(-1, 1)
        ratios = values / overall
        ratios = np.where(ratios > 1, 1.0 / ratios, ratios)
    return ratios.min(axis=1)


def disparities(values: np.ndarray, overall: np.ndarray, higher_is_better: bool) -> dict[str, np.ndarray]:
    """Every measure of :data:`DISPARITY_MEASURES` per replicate, plus ``worst_index``.

    Parameters
    ----------
    values : array of shape (replicates, groups)
    overall : array of shape (replicates,)
        The metric on all samples of the same replicate.
    higher_is_better : bool
    """
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    worst, index = worst_group(values, higher_is_better)
    return {
        "worst_group": worst,
        "worst_index": index,
        "difference": difference(values),
        "ratio": ratio(values),
        "difference_to_overall": difference(values, overall),
        "ratio_to_overall": ratio(values, overall),
    }


def criteria(rates_by_group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Group-fairness criteria at a fixed threshold from per-group rates.

    ``rates_by_group`` maps ``sensitivity`` (TPR), ``fpr`` and ``selection_rate``
    to arrays of shape (replicates, groups). Returns, per replicate, the
    between-group differences named by fairlearn: equalized odds
    max(TPR difference, FPR difference), equal opportunity (TPR difference)
    and demographic parity (selection-rate difference), plus the
    demographic-parity ratio.
    """
    tpr = difference(rates_by_group["sensitivity"])
    fpr = difference(rates_by_group["fpr"])
    return {
        "equalized_odds_difference": np.maximum(tpr, fpr),
        "equal_opportunity_difference": tpr,
        "demographic_parity_difference": difference(rates_by_group["selection_rate"]),
        "demographic_parity_ratio": ratio(rates_by_group["selection_rate"]),
    }
