"""Summary findings read straight from stored tables, for kinds whose section does not label them.

A section names its key results through :class:`~robustmed.render.html.Finding`. These
readers fill the summary panel's standard rows from the tidy tables when no section
does. Their findings carry a negative priority, so a section's own finding replaces them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from robustmed.render.figures.degradation import metric_label
from robustmed.render.html import WORST_GROUP, Finding, format_interval, read_table

FALLBACK_PRIORITY = -2


def _primary_metric(frame: pd.DataFrame) -> str:
    metrics = list(dict.fromkeys(frame["metric"]))
    return "auroc" if "auroc" in metrics else metrics[0]


def worst_group(root: Path) -> tuple[Finding, str] | None:
    """Worst subgroup on clean input from ``fairness_groups``, with the section anchor.

    The worst group is the minimum of a higher-is-better metric and the maximum of a
    lower-is-better one, over every attribute and intersection. Groups with a NaN value
    (too small, or one class only) are left out, as the WILDS worst-group rule requires.
    """
    groups = read_table(root, "fairness_groups")
    if groups is None or groups.empty or "attribute" not in groups.columns:
        return None
    clean = groups[groups["level"] == 0.0]
    if clean.empty:
        return None
    task = sorted(clean["task"].unique())[0]
    metric = _primary_metric(clean)
    rows = clean[(clean["task"] == task) & (clean["metric"] == metric)].drop_duplicates(["attribute", "subgroup"])
    candidates = rows[(rows["attribute"] != "all") & np.isfinite(rows["value"])]
    if candidates.empty:
        return None
    higher = bool(candidates["higher_is_better"].iloc[0]) if "higher_is_better" in candidates.columns else True
    worst = candidates.sort_values(["value", "attribute", "subgroup"], ascending=[higher, True, True]).iloc[0]
    overall = rows[rows["attribute"] == "all"]
    reference = ""
    if not overall.empty:
        row = overall.iloc[0]
        reference = f" vs {format_interval(row['value'], row['ci_low'], row['ci_high'])} on all samples"
    left_out = int((rows["attribute"] != "all").sum() - len(candidates))
    note = f"; {left_out} smaller group(s) left out" if left_out else ""
    text = (
        f"{worst['attribute']} = {worst['subgroup']}: {metric_label(metric)} "
        f"{format_interval(worst['value'], worst['ci_low'], worst['ci_high'])}{reference} "
        f"(n = {worst['n']}{note})."
    )
    return Finding(WORST_GROUP, text, priority=FALLBACK_PRIORITY), "fairness"


READERS = (worst_group,)


def table_findings(root: Path) -> list[tuple[Finding, str]]:
    """Findings of every reader that finds its table, each with the anchor of its section."""
    found = []
    for reader in READERS:
        result = reader(Path(root))
        if result is not None:
            found.append(result)
    return found
