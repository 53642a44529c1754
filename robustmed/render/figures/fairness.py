"""Fairness and shift figures: forest plots, per-group and disparity curves, reliability, shift strength.

Every function draws from a stored tidy table (``fairness_*`` or ``shift_*``),
so figures can be rebuilt without the model.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from robustmed.render.style import PALETTE, figure_style, save_figure

LABELS = {
    "auroc": "AUROC",
    "balanced_accuracy": "Balanced accuracy",
    "accuracy": "Accuracy",
    "ece": "ECE (15 equal-width bins)",
    "ece_equal_mass": "ECE (15 equal-mass bins)",
    "brier": "Brier score",
    "nll": "Negative log-likelihood",
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "ppv": "PPV",
    "npv": "NPV",
    "fpr": "False-positive rate",
    "selection_rate": "Selection rate",
}


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


def _colours(names) -> dict[str, str]:
    ordered = sorted(dict.fromkeys(str(n) for n in names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered)}


def forest_plot(groups: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Point and interval of ``metric`` per subgroup (clean input), grouped by attribute.

    ``groups`` contains the clean rows of ``fairness_groups`` for one task. Groups
    with a NaN value are listed with their n and no marker; the dashed line is
    the value on all samples.
    """
    frame = groups[groups["metric"] == metric]
    overall = frame[frame["attribute"] == "all"]
    frame = frame[frame["attribute"] != "all"]
    rows = list(frame.itertuples(index=False))
    with figure_style():
        figure, axis = plt.subplots(figsize=(5.0, 0.26 * len(rows) + 0.9))
        colours = _colours(frame["attribute"])
        for position, row in enumerate(rows):
            y = len(rows) - 1 - position
            if np.isfinite(row.value):
                lower = row.value - row.ci_low if np.isfinite(row.ci_low) else 0.0
                upper = row.ci_high - row.value if np.isfinite(row.ci_high) else 0.0
                axis.errorbar(row.value, y, xerr=[[lower], [upper]], fmt="o", ms=4, color=colours[row.attribute], capsize=2)
        axis.set_yticks(range(len(rows)))
        axis.set_yticklabels([f"{r.attribute}: {r.subgroup} (n={r.n})" for r in reversed(rows)])
        if not overall.empty and np.isfinite(overall["value"].iloc[0]):
            axis.axvline(overall["value"].iloc[0], color="0.4", linestyle="--", linewidth=0.8, label="all samples")
            axis.legend(loc="lower right")
        axis.set_xlabel(f"{label(metric)} with 95% interval")
        axis.grid(axis="y", visible=False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def group_curves(groups: pd.DataFrame, metric: str, attribute: str, stem: Path, formats: list[str]) -> list[Path]:
    """``metric`` vs severity per subgroup of ``attribute``: one panel per generator and modality."""
    frame = groups[(groups["metric"] == metric) & (groups["attribute"] == attribute)]
    frame = frame.groupby(["generator", "modality", "subgroup", "level"], as_index=False)[
        ["value", "ci_low", "ci_high"]
    ].mean()
    panels = sorted(frame.groupby(["generator", "modality"]).groups)
    colours = _colours(frame["subgroup"])
    with figure_style():
        figure, axes = plt.subplots(
            1, len(panels), figsize=(2.4 * len(panels) + 1.2, 2.4), sharey=True, squeeze=False
        )
        for axis, (generator, modality) in zip(axes[0], panels, strict=True):
            panel = frame[(frame["generator"] == generator) & (frame["modality"] == modality)]
            for subgroup, curve in panel.groupby("subgroup"):
                curve = curve.sort_values("level")
                axis.plot(curve["level"], curve["value"], marker="o", ms=3, color=colours[subgroup], label=subgroup)
                axis.fill_between(curve["level"], curve["ci_low"], curve["ci_high"], color=colours[subgroup], alpha=0.15, lw=0)
            axis.set_title(f"{generator} on {modality}")
            axis.set_xlabel("severity level")
        axes[0][0].set_ylabel(label(metric))
        handles, names = axes[0][0].get_legend_handles_labels()
        figure.legend(handles, names, title=attribute, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def disparity_curves(disparities: pd.DataFrame, metric: str, measure: str, stem: Path, formats: list[str]) -> list[Path]:
    """A disparity ``measure`` of ``metric`` vs severity: one panel per attribute, one line per generator."""
    frame = disparities[(disparities["metric"] == metric) & (disparities["measure"] == measure)]
    frame = frame.assign(curve=frame["generator"] + " on " + frame["modality"])
    frame = frame.groupby(["attribute", "curve", "level"], as_index=False)[["value", "ci_low", "ci_high"]].mean()
    attributes = sorted(frame["attribute"].unique())
    colours = _colours(frame["curve"])
    with figure_style():
        figure, axes = plt.subplots(
            1, len(attributes), figsize=(2.4 * len(attributes) + 1.6, 2.4), sharey=True, squeeze=False
        )
        for axis, attribute in zip(axes[0], attributes, strict=True):
            for curve_name, curve in frame[frame["attribute"] == attribute].groupby("curve"):
                curve = curve.sort_values("level")
                axis.plot(curve["level"], curve["value"], marker="o", ms=3, color=colours[curve_name], label=curve_name)
                axis.fill_between(curve["level"], curve["ci_low"], curve["ci_high"], color=colours[curve_name], alpha=0.15, lw=0)
            axis.set_title(attribute)
            axis.set_xlabel("severity level")
        axes[0][0].set_ylabel(f"{label(metric)}: {measure.replace('_', ' ')}")
        handles, names = axes[0][0].get_legend_handles_labels()
        figure.legend(handles, names, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def reliability_diagrams(reliability: pd.DataFrame, binning: str, stem: Path, formats: list[str]) -> list[Path]:
    """Accuracy vs mean confidence per bin (clean input): one panel per attribute, one line per subgroup.

    Marker area is proportional to the bin's count; the dotted diagonal is perfect calibration.
    """
    frame = reliability[(reliability["binning"] == binning) & (reliability["level"] == 0.0)]
    frame = frame.drop_duplicates(["attribute", "subgroup", "bin"])
    attributes = ["all"] + sorted(a for a in frame["attribute"].unique() if a != "all")
    attributes = [a for a in attributes if a in set(frame["attribute"])]
    with figure_style():
        figure, axes = plt.subplots(1, len(attributes), figsize=(2.3 * len(attributes), 2.5), squeeze=False)
        for axis, attribute in zip(axes[0], attributes, strict=True):
            panel = frame[frame["attribute"] == attribute]
            colours = _colours(panel["subgroup"])
            axis.plot([0.5, 1.0], [0.5, 1.0], color="0.5", linestyle=":", linewidth=0.8)
            for subgroup, bins in panel.groupby("subgroup"):
                axis.plot(bins["confidence"], bins["accuracy"], linewidth=0.8, color=colours[subgroup], label=subgroup)
                # Marker area grows with the bin's sample count, so sparse bins read as sparse.
                axis.scatter(bins["confidence"], bins["accuracy"], s=4 + 3 * bins["count"], color=colours[subgroup], alpha=0.7)
            axis.set_title(attribute)
            axis.set_xlabel("mean top-1 confidence")
            axis.set_xlim(0.45, 1.02)
            axis.set_ylim(-0.02, 1.02)
            axis.legend(loc="upper left")
        axes[0][0].set_ylabel("accuracy")
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def shift_strength_curves(synthetic: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """``metric`` vs shift strength: one panel per synthetic shift, band = 95% interval."""
    frame = synthetic[synthetic["metric"] == metric]
    shifts = sorted(frame["shift"].unique())
    with figure_style():
        figure, axes = plt.subplots(1, len(shifts), figsize=(2.8 * len(shifts), 2.5), sharey=True, squeeze=False)
        for axis, shift in zip(axes[0], shifts, strict=True):
            curve = frame[frame["shift"] == shift].sort_values("strength")
            axis.plot(curve["strength"], curve["value"], marker="o", ms=3, color=PALETTE[0])
            axis.fill_between(curve["strength"], curve["ci_low"], curve["ci_high"], color=PALETTE[0], alpha=0.18, lw=0)
            axis.set_title(shift)
            axis.set_xlabel(str(curve["strength_parameter"].iloc[0]))
        axes[0][0].set_ylabel(label(metric))
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def domain_forest(domains: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Per-domain ``metric`` with intervals, in-domain and out-of-domain pools at the top."""
    frame = domains[domains["metric"] == metric].copy()
    frame["order"] = frame["pool"].map({"in-domain": 0, "out-of-domain": 1, "all": 2}).fillna(3)
    frame = frame.sort_values(["order", "domain_type", "subgroup"])
    rows = list(frame.itertuples(index=False))
    colours = {"in-domain": PALETTE[0], "out-of-domain": PALETTE[3], "all": "0.3"}
    with figure_style():
        figure, axis = plt.subplots(figsize=(5.0, 0.26 * len(rows) + 0.9))
        for position, row in enumerate(rows):
            y = len(rows) - 1 - position
            if np.isfinite(row.value):
                lower = row.value - row.ci_low if np.isfinite(row.ci_low) else 0.0
                upper = row.ci_high - row.value if np.isfinite(row.ci_high) else 0.0
                marker = "D" if row.domain_type == "pool" else "o"
                axis.errorbar(row.value, y, xerr=[[lower], [upper]], fmt=marker, ms=4, color=colours.get(row.pool, "0.3"), capsize=2)
        axis.set_yticks(range(len(rows)))
        axis.set_yticklabels([f"{r.subgroup} (n={r.n})" for r in reversed(rows)])
        axis.set_xlabel(f"{label(metric)} with 95% interval")
        axis.grid(axis="y", visible=False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)
