"""Figures drawn from the tidy tables that evaluators produce."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from robustmed.render.style import PALETTE, figure_style, save_figure

METRIC_LABELS = {
    "auroc": "AUROC",
    "balanced_accuracy": "Balanced accuracy",
    "accuracy": "Accuracy",
    "ece": "ECE (15 bins)",
    "brier": "Brier score",
    "nll": "Negative log-likelihood",
}


def degradation_curves(
    metrics: pd.DataFrame, metric: str, stem: Path, formats: list[str], task: str | None = None
) -> list[Path]:
    """Metric vs severity level with interval bands: one panel per modality, one line per generator."""
    frame = metrics[metrics["metric"] == metric]
    if task is not None:
        frame = frame[frame["task"] == task]
    # Several seeds: average the point values and bounds per level.
    frame = (
        frame.groupby(["modality", "generator", "level"], as_index=False)[["value", "ci_low", "ci_high"]].mean()
    )
    modalities = sorted(frame["modality"].unique())
    generators = sorted(frame["generator"].unique())
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(generators)}
    with figure_style():
        figure, axes = plt.subplots(
            1, len(modalities), figsize=(2.8 * len(modalities) + 0.6, 2.8), sharey=True, squeeze=False
        )
        for axis, modality in zip(axes[0], modalities, strict=True):
            for generator in generators:
                curve = frame[(frame["modality"] == modality) & (frame["generator"] == generator)]
                if curve.empty:
                    continue
                curve = curve.sort_values("level")
                axis.plot(curve["level"], curve["value"], marker="o", ms=3, color=colours[generator], label=generator)
                axis.fill_between(curve["level"], curve["ci_low"], curve["ci_high"], color=colours[generator], alpha=0.18, lw=0)
            axis.set_title(modality)
            axis.set_xlabel("severity level")
        axes[0][0].set_ylabel(METRIC_LABELS.get(metric, metric))
        handles, labels = axes[0][0].get_legend_handles_labels()
        for axis in axes[0][1:]:
            for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        figure.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)
