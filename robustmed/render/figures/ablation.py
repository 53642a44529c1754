"""Figures of the modality ablation, drawn from its tidy tables."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from robustmed.render.style import PALETTE, figure_style, save_figure

VALUE_LABELS = {
    "auroc": "AUROC",
    "balanced_accuracy": "Balanced accuracy",
    "accuracy": "Accuracy",
    "ece": "ECE (15 bins)",
    "brier": "Brier score",
    "nll": "Negative log-likelihood",
    "true_class_probability": "Mean probability of the true class",
}


def _subset_order(frame: pd.DataFrame) -> list[str]:
    ordered = frame[["subset", "size"]].drop_duplicates().sort_values(["size", "subset"], kind="stable")
    return ordered["subset"].tolist()


def subset_heatmap(subsets: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """v(S) for every subset (rows) and supported policy (columns), annotated with intervals."""
    frame = subsets[(subsets["metric"] == metric) & subsets["value"].notna()]
    rows = _subset_order(frame)
    policies = list(dict.fromkeys(frame["policy"]))
    grid = np.full((len(rows), len(policies)), np.nan)
    text = [["" for _ in policies] for _ in rows]
    for _, r in frame.iterrows():
        i, j = rows.index(r["subset"]), policies.index(r["policy"])
        grid[i, j] = r["value"]
        text[i][j] = f"{r['value']:.3f}\n[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
    with figure_style():
        figure, axis = plt.subplots(figsize=(1.3 * len(policies) + 2.2, 0.45 * len(rows) + 1.0))
        image = axis.imshow(grid, aspect="auto", cmap="cividis")
        for i in range(len(rows)):
            for j in range(len(policies)):
                if text[i][j]:
                    colour = "black" if grid[i, j] > np.nanmean(grid) else "white"
                    axis.text(j, i, text[i][j], ha="center", va="center", fontsize=6, color=colour)
        axis.set_xticks(range(len(policies)), policies)
        axis.set_yticks(range(len(rows)), rows)
        axis.set_xlabel("fill policy")
        axis.grid(False)
        figure.colorbar(image, ax=axis, label=VALUE_LABELS.get(metric, metric))
        return save_figure(figure, stem, formats)


def shapley_bars(shapley: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Shapley value of each modality with interval whiskers, one bar per policy."""
    frame = shapley[(shapley["metric"] == metric) & shapley["value"].notna()]
    modalities = list(dict.fromkeys(frame["modality"]))
    policies = list(dict.fromkeys(frame["policy"]))
    width = 0.8 / max(len(policies), 1)
    with figure_style():
        figure, axis = plt.subplots(figsize=(1.1 * len(modalities) * max(1, len(policies) / 3) + 1.8, 2.8))
        for k, policy in enumerate(policies):
            part = frame[frame["policy"] == policy].set_index("modality").reindex(modalities)
            x = np.arange(len(modalities)) + (k - (len(policies) - 1) / 2) * width
            errors = np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]])
            axis.bar(x, part["value"], width, yerr=errors, capsize=2, color=PALETTE[k % len(PALETTE)], label=policy)
        axis.axhline(0.0, color="black", lw=0.6)
        axis.set_xticks(range(len(modalities)), modalities)
        axis.set_ylabel(f"Shapley value ({VALUE_LABELS.get(metric, metric)})")
        axis.legend(title="fill policy", frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return save_figure(figure, stem, formats)


def interaction_heatmaps(interactions: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Interaction matrix per policy: main effects on the diagonal, pairwise indices off it."""
    frame = interactions[interactions["metric"] == metric]
    policies = list(dict.fromkeys(frame["policy"]))
    modalities = list(dict.fromkeys(frame["modality_a"]))
    limit = float(np.nanmax(np.abs(frame["value"]))) if len(frame) else 1.0
    with figure_style():
        figure, axes = plt.subplots(
            1, len(policies), figsize=(2.4 * len(policies) + 1.0, 2.6), squeeze=False
        )
        image = None
        for k, (axis, policy) in enumerate(zip(axes[0], policies, strict=True)):
            part = frame[frame["policy"] == policy]
            matrix = part.pivot(index="modality_a", columns="modality_b", values="value").reindex(
                index=modalities, columns=modalities
            )
            image = axis.imshow(matrix.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit)
            for i in range(len(modalities)):
                for j in range(len(modalities)):
                    axis.text(j, i, f"{matrix.iat[i, j]:.3f}", ha="center", va="center", fontsize=6)
            axis.set_xticks(range(len(modalities)), modalities, rotation=45, ha="right")
            axis.set_yticks(range(len(modalities)), modalities if k == 0 else [""] * len(modalities))
            axis.set_title(policy)
            axis.grid(False)
        if image is not None:
            figure.colorbar(image, ax=list(axes[0]), label="Shapley interaction")
        return save_figure(figure, stem, formats)


def missing_fraction_curves(missing: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Metric vs fraction of samples missing each modality, one panel per modality, bands are intervals."""
    frame = missing[missing["metric"] == metric]
    modalities = list(dict.fromkeys(frame["modality"]))
    mechanisms = list(dict.fromkeys(frame["mechanism"]))
    with figure_style():
        figure, axes = plt.subplots(
            1, len(modalities), figsize=(2.6 * len(modalities) + 0.8, 2.6), sharey=True, squeeze=False
        )
        for axis, modality in zip(axes[0], modalities, strict=True):
            for k, mechanism in enumerate(mechanisms):
                curve = frame[(frame["modality"] == modality) & (frame["mechanism"] == mechanism)].sort_values("fraction")
                colour = PALETTE[k % len(PALETTE)]
                label = "at random" if mechanism == "random" else f"by {mechanism}"
                axis.plot(curve["fraction"], curve["value"], marker="o", ms=3, color=colour, label=label)
                axis.fill_between(curve["fraction"], curve["ci_low"], curve["ci_high"], color=colour, alpha=0.18, lw=0)
            axis.set_title(f"{modality} missing")
            axis.set_xlabel("fraction of samples")
        axes[0][0].set_ylabel(VALUE_LABELS.get(metric, metric))
        axes[0][-1].legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return save_figure(figure, stem, formats)
