"""Subset lattice (Hasse diagram) of modality subsets, drawn from the ``ablation_subsets`` table.

Each node is a subset S of modalities with v(S) and its interval; the empty set sits at
the bottom and the full set at the top. An edge joins S to S ∪ {m} and is coloured by
the marginal contribution v(S ∪ {m}) − v(S), the terms that Shapley values average
(negated for lower-is-better metrics, so that positive always means better).
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, TwoSlopeNorm

from robustmed.render.figures.degradation import metric_label
from robustmed.render.style import DIVERGING_CMAP, DOUBLE_COLUMN, SEQUENTIAL_CMAP, figure_style, save_figure

EMPTY = "none"
SEPARATOR = "+"
# Beyond 6 modalities (64 nodes) the node labels overlap at a page's width.
MAX_MODALITIES = 6


def _members(subset: str) -> frozenset[str]:
    return frozenset() if subset == EMPTY else frozenset(subset.split(SEPARATOR))


def subset_lattice(
    subsets: pd.DataFrame,
    metric: str,
    stem: Path,
    formats: list[str],
    policy: str | None = None,
    task: str | None = None,
) -> list[Path]:
    """Draw the lattice of modality subsets with v(S) per node and marginal contributions per edge.

    Parameters
    ----------
    subsets : DataFrame
        Tidy ``ablation_subsets`` table: subset names join modalities with '+', the empty
        subset is 'none'; columns policy, metric, subset, value, ci_low, ci_high.
    metric : str
    stem : Path
        Output path without suffix.
    formats : list of {"png", "pdf", "svg"}
    policy : str, optional
        Fill policy to draw; default: the first in the table.
    task : str, optional
        Task to draw; default: the first in the table.

    Raises
    ------
    ValueError
        If no rows match, or the table has more than 6 modalities.
    """
    frame = subsets[subsets["metric"] == metric]
    if "subgroup" in frame.columns:
        frame = frame[frame["subgroup"] == "all"]
    if "task" in frame.columns and not frame.empty:
        frame = frame[frame["task"] == (task if task is not None else sorted(frame["task"].unique())[0])]
    if frame.empty:
        raise ValueError(f"No ablation_subsets rows for metric {metric!r}.")
    policy = policy if policy is not None else str(frame["policy"].iloc[0])
    frame = frame[frame["policy"] == policy]
    if frame.empty:
        raise ValueError(f"No ablation_subsets rows for metric {metric!r} and policy {policy!r}.")

    values = {_members(row.subset): row for row in frame.itertuples(index=False)}
    # Edges show improvement, so a lower-is-better metric's change is negated.
    sign = -1.0 if "higher_is_better" in frame.columns and not bool(frame["higher_is_better"].iloc[0]) else 1.0
    modalities = sorted(set().union(*values))
    if len(modalities) > MAX_MODALITIES:
        raise ValueError(
            f"A subset lattice of {len(modalities)} modalities is unreadable; at most {MAX_MODALITIES} are drawn."
        )

    positions = {}
    for size in range(len(modalities) + 1):
        level = [frozenset(c) for c in combinations(modalities, size)]
        for i, members in enumerate(level):
            positions[members] = ((i + 0.5) / len(level), float(size))

    segments, gains = [], []
    for members, (x, y) in positions.items():
        for modality in modalities:
            if modality in members:
                continue
            larger = members | {modality}
            if members in values and larger in values:
                segments.append([(x, y), positions[larger]])
                gains.append(sign * (values[larger].value - values[members].value))
    gains = np.asarray(gains, dtype=float)
    limit = float(np.nanmax(np.abs(gains))) if np.isfinite(gains).any() else 1.0
    edge_norm = TwoSlopeNorm(0.0, -(limit or 1.0), limit or 1.0)
    node_values = np.array([row.value for row in values.values()], dtype=float)
    node_norm = Normalize(np.nanmin(node_values), np.nanmax(node_values))

    with figure_style():
        width = min(DOUBLE_COLUMN, 1.6 * 2 ** (len(modalities) - 1) / max(1, len(modalities) - 1) + 2.4)
        figure, axis = plt.subplots(figsize=(width, 1.1 * (len(modalities) + 1) + 0.4))
        edges = LineCollection(
            segments, cmap=DIVERGING_CMAP, norm=edge_norm, linewidths=1.0 + 3.0 * np.abs(np.nan_to_num(gains)) / (limit or 1.0),
            zorder=1,
        )
        edges.set_array(gains)
        axis.add_collection(edges)
        node_cmap = plt.get_cmap(SEQUENTIAL_CMAP)
        for members, (x, y) in positions.items():
            row = values.get(members)
            name = SEPARATOR.join(m for m in modalities if m in members) or "∅ (none)"
            if row is None or not np.isfinite(row.value):
                axis.text(x, y, f"{name}\nNaN", ha="center", va="center", fontsize=6, zorder=2,
                          bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "0.6"})
                continue
            shade = node_norm(row.value) if node_norm.vmax > node_norm.vmin else 0.5
            text = f"{name}\n{row.value:.3f}\n[{row.ci_low:.3f}, {row.ci_high:.3f}]"
            axis.text(x, y, text, ha="center", va="center", fontsize=6, zorder=2,
                      color="white" if shade < 0.45 else "black",
                      bbox={"boxstyle": "round,pad=0.3", "facecolor": node_cmap(shade), "edgecolor": "none"})
        axis.set_xlim(0.0, 1.0)
        axis.set_ylim(-0.5, len(modalities) + 0.5)
        axis.set_yticks(range(len(modalities) + 1))
        axis.set_ylabel("modalities present")
        axis.set_xticks([])
        axis.grid(False)
        for side in ("top", "right", "bottom"):
            axis.spines[side].set_visible(False)
        axis.set_title(f"{metric_label(metric)} per subset, {policy} fill")
        colourbar = figure.colorbar(edges, ax=axis, fraction=0.04, pad=0.02)
        colourbar.set_label(f"improvement in {metric_label(metric)}\nfrom adding a modality")
        colourbar.outline.set_visible(False)
        return save_figure(figure, stem, formats)
