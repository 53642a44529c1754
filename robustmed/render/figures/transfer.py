"""Transfer figures: learning curves over k, the cross-task matrix, and the few-shot x severity grid."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from robustmed.render.style import PANEL_HEIGHT, SEQUENTIAL_CMAP, figure_style, save_figure, series_styles

METRIC_LABELS = {
    "balanced_accuracy": "Balanced accuracy",
    "macro_auroc": "Macro-AUROC",
    "macro_f1": "Macro-F1",
}
PROTOCOL_LABELS = {"linear_probe": "linear probe", "prototype": "prototype"}


def shots_positions(shots: pd.Series) -> tuple[np.ndarray, list[float], list[str]]:
    """x positions on a log2 axis: k at log2(k), 'all' one step right of the largest k."""
    numeric = sorted({int(s) for s in shots if s not in ("all", "0")})
    last = np.log2(max(numeric)) if numeric else 0.0
    position = {str(k): float(np.log2(k)) for k in numeric}
    position["all"] = last + 1.0
    ticks = sorted(set(shots), key=lambda s: position[s])
    return shots.map(position).to_numpy(), [position[s] for s in ticks], ticks


def learning_curves(
    fewshot: pd.DataFrame, metric: str, stem: Path, formats: list[str], zero_shot: pd.DataFrame | None = None
) -> list[Path]:
    """Metric vs k shots per class with interval bands: one panel per target, one line per protocol.

    Zero-shot results of the same target are drawn as horizontal reference lines.
    """
    frame = fewshot[fewshot["metric"] == metric]
    targets = sorted(frame["target"].unique())
    protocols = sorted(frame["protocol"].unique())
    references = pd.DataFrame(columns=["target", "method", "source", "value"])
    if zero_shot is not None:
        references = zero_shot[zero_shot["metric"] == metric]
    labels = [f"zero-shot {m}: {s}" for m, s in zip(references["method"], references["source"], strict=True)]
    styles = series_styles([*protocols, *labels])
    with figure_style():
        figure, axes = plt.subplots(
            1, len(targets), figsize=(3.2 * len(targets) + 0.6, PANEL_HEIGHT), sharey=True, squeeze=False
        )
        for axis, target in zip(axes[0], targets, strict=True):
            panel = frame[frame["target"] == target]
            x, ticks, tick_labels = shots_positions(panel["shots"])
            panel = panel.assign(x=x).sort_values("x")
            for protocol in protocols:
                curve = panel[panel["protocol"] == protocol]
                style = styles[protocol]
                axis.plot(curve["x"], curve["value"], marker=style["marker"], ms=3, color=style["color"],
                          linestyle=style["linestyle"], label=PROTOCOL_LABELS.get(protocol, protocol))
                axis.fill_between(curve["x"], curve["ci_low"], curve["ci_high"], color=style["color"], alpha=0.18, lw=0)
            for _, row in references[references["target"] == target].iterrows():
                label = f"zero-shot {row['method']}: {row['source']}"
                axis.axhline(row["value"], color=styles[label]["color"], linestyle=":", lw=1, label=label)
            axis.set_xticks(ticks, tick_labels)
            axis.set_title(target)
            axis.set_xlabel("shots per class (k)")
        axes[0][0].set_ylabel(METRIC_LABELS.get(metric, metric))
        handles, names = {}, []
        for axis in axes[0]:
            for handle, name in zip(*axis.get_legend_handles_labels(), strict=True):
                if name not in handles:
                    handles[name] = handle
                    names.append(name)
        figure.legend([handles[n] for n in names], names, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def matrix_heatmap(matrix: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Probe fitted on the row task, scored on the column task; blank cells have no shared label space."""
    frame = matrix[matrix["metric"] == metric]
    order = list(dict.fromkeys(frame["source"]))
    grid = frame.pivot(index="source", columns="target", values="value").reindex(index=order, columns=order)
    with figure_style():
        size = 1.0 + 0.9 * len(order)
        figure, axis = plt.subplots(figsize=(size + 1.2, size))
        sns.heatmap(grid, annot=True, fmt=".2f", cmap=SEQUENTIAL_CMAP, vmin=0.5, vmax=1.0, square=True, ax=axis,
                    cbar_kws={"label": METRIC_LABELS.get(metric, metric)}, annot_kws={"size": 7})
        axis.grid(False)
        axis.set_xlabel("scored on (test split)")
        axis.set_ylabel("probe fitted on (train split)")
        axis.tick_params(axis="x", rotation=45)
        for label in axis.get_xticklabels():
            label.set_horizontalalignment("right")
        figure.tight_layout()
        return save_figure(figure, stem, formats)


def _row_label(protocol: str, shots: str) -> str:
    if shots == "0":
        return protocol.replace("zero_shot_", "zero-shot ")
    return f"{PROTOCOL_LABELS.get(protocol, protocol)}, k={shots}"


def severity_heatmap(severity: pd.DataFrame, metric: str, stem: Path, formats: list[str]) -> list[Path]:
    """Few-shot x severity grid: one panel per target and perturbation, rows = protocol and k, columns = level."""
    frame = severity[severity["metric"] == metric].copy()
    # Several generator seeds: average the point values per level.
    frame["row"] = [_row_label(p, s) for p, s in zip(frame["protocol"], frame["shots"], strict=True)]
    frame["perturbation"] = frame["generator"] + " on " + frame["modality"]
    frame = frame.groupby(["target", "perturbation", "row", "level"], as_index=False, sort=False)["value"].mean()
    targets = sorted(frame["target"].unique())
    perturbations = sorted(frame["perturbation"].unique())
    rows = {target: list(dict.fromkeys(frame.loc[frame["target"] == target, "row"])) for target in targets}
    n_rows = sum(len(r) for r in rows.values())
    with figure_style():
        figure, axes = plt.subplots(
            len(targets), len(perturbations),
            figsize=(2.9 * len(perturbations) + 1.8, 0.28 * n_rows + 1.2 * len(targets)),
            squeeze=False, sharex=True, sharey="row",
            gridspec_kw={"height_ratios": [len(rows[target]) for target in targets]},
        )
        for i, target in enumerate(targets):
            for j, perturbation in enumerate(perturbations):
                axis = axes[i][j]
                cell = frame[(frame["target"] == target) & (frame["perturbation"] == perturbation)]
                grid = cell.pivot(index="row", columns="level", values="value").reindex(index=rows[target])
                sns.heatmap(grid, annot=True, fmt=".2f", cmap=SEQUENTIAL_CMAP, vmin=0.5, vmax=1.0, cbar=False, ax=axis,
                            annot_kws={"size": 6})
                axis.grid(False)
                # The task name alone keeps neighbouring titles from overlapping.
                axis.set_title(f"{target.rsplit('/', 1)[-1]}\n{perturbation}", fontsize=7)
                axis.set_xlabel("severity level" if i == len(targets) - 1 else "")
                axis.set_ylabel("")
        figure.colorbar(axes[0][0].collections[0], ax=axes, label=METRIC_LABELS.get(metric, metric), shrink=0.6)
        return save_figure(figure, stem, formats)
