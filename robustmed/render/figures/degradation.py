"""Degradation figures: metric-vs-severity curves with interval bands and corruption × severity heatmaps.

Both draw from the tidy ``degradation_metrics`` table: one row per (task, generator,
modality, seed, level, subgroup, metric) with value, ci_low and ci_high.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from robustmed.render.style import (
    DIVERGING_CMAP,
    DOUBLE_COLUMN,
    PANEL_HEIGHT,
    SEQUENTIAL_CMAP,
    figure_style,
    save_figure,
    series_styles,
)

METRIC_LABELS = {
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "balanced_accuracy": "Balanced accuracy",
    "accuracy": "Accuracy",
    "ece": "ECE (15 bins)",
    "brier": "Brier score",
    "nll": "Negative log-likelihood",
}

FACETS = ("generator", "modality", "subgroup", "task")
CURVE_COLUMNS = ("metric", "level", "value", "ci_low", "ci_high")


def metric_label(metric: str) -> str:
    """Axis label of a metric: its display name, or the registry name."""
    return METRIC_LABELS.get(metric, metric)


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...] | list[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"Table {table!r} lacks columns {missing}; it has {list(frame.columns)}.")


def select_curves(
    metrics: pd.DataFrame,
    metric: str,
    *,
    task: str | None = None,
    select: Mapping[str, object] | None = None,
    keep: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Rows of one metric, averaged over seeds, with one row per (``keep`` columns, level).

    Subgroup ``"all"`` is selected unless ``keep`` or ``select`` names the subgroup column.

    Raises
    ------
    ValueError
        If the table lacks a needed column, has no rows for ``metric``, or still has
        several rows per (``keep``, level) after selection (a facet left unspecified).
    """
    _require_columns(metrics, [*CURVE_COLUMNS, *keep], "degradation_metrics")
    frame = metrics[metrics["metric"] == metric]
    if task is not None:
        frame = frame[frame["task"] == task]
    select = dict(select or {})
    if "subgroup" in frame.columns and "subgroup" not in keep and "subgroup" not in select:
        select["subgroup"] = "all"
    for column, value in select.items():
        _require_columns(frame, [column], "degradation_metrics")
        frame = frame[frame[column] == value]
    if frame.empty:
        raise ValueError(f"No rows for metric {metric!r} with task={task!r} and {select}.")
    varying = [
        c for c in FACETS if c in frame.columns and c not in keep and frame[c].nunique() > 1
    ]
    if varying:
        raise ValueError(
            f"Rows for metric {metric!r} vary in {varying} beyond the drawn facets {list(keep)}; "
            "pass select={column: value} to fix them."
        )
    # Several seeds of the same cell: average the point values and the bounds per level.
    return frame.groupby([*keep, "level"], as_index=False, sort=True)[["value", "ci_low", "ci_high"]].mean()


def degradation_curves(
    metrics: pd.DataFrame,
    metric: str,
    stem: Path,
    formats: list[str],
    task: str | None = None,
    *,
    panel: str = "modality",
    hue: str = "generator",
    select: Mapping[str, object] | None = None,
) -> list[Path]:
    """Draw metric vs severity level with interval bands.

    Parameters
    ----------
    metrics : DataFrame
        Tidy ``degradation_metrics`` table.
    metric : str
        Registry name of the metric to draw.
    stem : Path
        Output path without suffix.
    formats : list of {"png", "pdf", "svg"}
    task : str, optional
        Task to draw; default: every task (the table must then hold one).
    panel : {"modality", "generator", "subgroup", "task"}, default="modality"
        Column that gets one panel per value.
    hue : {"generator", "modality", "subgroup", "task"}, default="generator"
        Column that gets one line and band per value.
    select : mapping, optional
        Fixed values of other columns, e.g. ``{"generator": "gaussian_noise"}`` for
        per-group curves of one generator.

    Returns
    -------
    list of Path
        The written files, one per format.
    """
    for name, value in (("panel", panel), ("hue", hue)):
        if value not in FACETS:
            raise ValueError(f"Invalid {name} {value!r}: allowed columns are {', '.join(FACETS)}.")
    if panel == hue:
        raise ValueError(f"panel and hue must differ; both are {panel!r}.")
    frame = select_curves(metrics, metric, task=task, select=select, keep=(panel, hue))
    panels = sorted(frame[panel].astype(str).unique())
    styles = series_styles(frame[hue].astype(str))
    columns = min(len(panels), 4)
    rows = -(-len(panels) // columns)
    width = min(DOUBLE_COLUMN, 2.1 * columns + 0.4)
    with figure_style():
        figure, axes = plt.subplots(
            rows, columns, figsize=(width, PANEL_HEIGHT * rows), sharey=True, sharex=True, squeeze=False
        )
        flat = axes.ravel()
        for axis, name in zip(flat, panels, strict=False):
            for series, style in styles.items():
                curve = frame[(frame[panel].astype(str) == name) & (frame[hue].astype(str) == series)]
                if curve.empty:
                    continue
                axis.fill_between(curve["level"], curve["ci_low"], curve["ci_high"], color=style["color"], alpha=0.16, lw=0)
                axis.plot(curve["level"], curve["value"], label=series, **style)
            axis.set_title(name)
        for axis in flat[len(panels):]:
            axis.set_visible(False)
        for axis in axes[-1]:
            axis.set_xlabel("severity level")
        for axis in axes[:, 0]:
            axis.set_ylabel(metric_label(metric))
        handles, labels = [], []
        for axis in flat[: len(panels)]:
            for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        figure.legend(handles, labels, title=hue, loc="center left", bbox_to_anchor=(1.0, 0.5))
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def severity_heatmap(
    metrics: pd.DataFrame,
    metric: str,
    stem: Path,
    formats: list[str],
    task: str | None = None,
    *,
    relative: bool = True,
) -> list[Path]:
    """Draw a corruption × severity heatmap: one row per (generator, modality), one column per level.

    With ``relative`` (default) a cell shows the change from the clean value on a diverging
    colour map centred on zero. The change is signed so that negative is worse whatever the
    metric's direction. Without ``relative`` a cell shows the metric value on a sequential
    colour map.
    Every cell is annotated with its number.
    """
    keep = ("generator", "modality")
    frame = select_curves(metrics, metric, task=task, keep=keep)
    frame["row"] = frame["generator"].astype(str) + " · " + frame["modality"].astype(str)
    grid = frame.pivot(index="row", columns="level", values="value").sort_index()
    higher = True
    if "higher_is_better" in metrics.columns:
        directions = metrics.loc[metrics["metric"] == metric, "higher_is_better"].dropna()
        higher = bool(directions.iloc[0]) if not directions.empty else True
    if relative:
        if 0.0 not in grid.columns:
            raise ValueError(f"Relative heatmap of {metric!r} needs level 0 (the clean input) in the table.")
        displayed = grid.sub(grid[0.0], axis=0) * (1.0 if higher else -1.0)
        limit = float(np.nanmax(np.abs(displayed.to_numpy()))) if np.isfinite(displayed.to_numpy()).any() else 1.0
        limit = limit or 1.0
        cmap, vmin, vmax = DIVERGING_CMAP, -limit, limit
        colour_label = f"change in {metric_label(metric)} (negative = worse)"
    else:
        displayed = grid
        cmap, vmin, vmax = SEQUENTIAL_CMAP, np.nanmin(grid.to_numpy()), np.nanmax(grid.to_numpy())
        colour_label = metric_label(metric)
    values = displayed.to_numpy(dtype=float)
    with figure_style():
        height = 0.9 + 0.24 * len(displayed.index)
        figure, axis = plt.subplots(figsize=(min(DOUBLE_COLUMN, 1.6 + 0.55 * len(displayed.columns) + 1.4), height))
        image = axis.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        axis.set_xticks(range(len(displayed.columns)), [f"{level:g}" for level in displayed.columns])
        axis.set_yticks(range(len(displayed.index)), list(displayed.index))
        axis.set_xlabel("severity level")
        axis.grid(False)
        for spine in axis.spines.values():
            spine.set_visible(False)
        norm = image.norm
        for (i, j), value in np.ndenumerate(values):
            if np.isnan(value):
                axis.text(j, i, "NaN", ha="center", va="center", fontsize=6, color="0.4")
                continue
            # Dark cells get white text: cividis and RdBu are dark at both ends of their range.
            shade = norm(value)
            if cmap == DIVERGING_CMAP:
                dark = shade < 0.2 or shade > 0.8
            else:
                dark = shade < 0.35
            # Adding 0.0 after rounding turns -0.0 into 0.0, so no cell reads "-0.00".
            rounded = round(float(value), 2) + 0.0
            label = f"{rounded:+.2f}" if relative else f"{rounded:.2f}"
            axis.text(j, i, label, ha="center", va="center", fontsize=6, color="white" if dark else "black")
        colourbar = figure.colorbar(image, ax=axis, fraction=0.05, pad=0.02)
        colourbar.set_label(colour_label)
        colourbar.outline.set_visible(False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)
