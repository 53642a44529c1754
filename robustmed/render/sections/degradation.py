"""Report section for degradation curves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from robustmed.render.figures.degradation import METRIC_LABELS, degradation_curves
from robustmed.render.html import FIGURES, ReportPart, Section, Table, figure_entry, format_interval, read_table


def degradation_section(root: Path, formats: list[str]) -> ReportPart | None:
    metrics = read_table(root, "degradation_metrics")
    summary = read_table(root, "degradation_summary")
    if metrics is None or summary is None:
        return None
    section = Section("degradation", "Degradation curves")
    section.paragraphs.append(
        "Each curve shows a metric on the evaluation split as one generator corrupts one modality at "
        "increasing severity (level 0 is the clean input). Bands are 95% bootstrap intervals over "
        "patients, stratified by class; the same resampled patients serve every level."
    )
    for metric in metrics["metric"].unique():
        paths = degradation_curves(metrics, metric, root / FIGURES / f"degradation_{metric}", sorted(set(formats) | {"png"}))
        png = next(p for p in paths if p.suffix == ".png")
        label = METRIC_LABELS.get(metric, metric)
        section.figures.append(figure_entry(png, f"{label} vs severity, one panel per modality."))
    section.tables.append(_summary_table(summary))
    return ReportPart(section, _headline(metrics, summary))


def _summary_table(summary: pd.DataFrame) -> Table:
    keys = ["task", "generator", "modality", "seed", "metric"]
    auc = summary[summary["measure"] == "auc_normalised"].merge(
        summary[summary["measure"] == "worst_level_drop"][[*keys, "value", "ci_low", "ci_high"]],
        on=keys,
        suffixes=("", "_drop"),
    )
    rows = []
    for _, r in auc.sort_values(["metric", "modality", "generator"]).iterrows():
        rows.append(
            [
                r["metric"],
                r["modality"],
                r["generator"],
                format_interval(r["clean_value"], float("nan"), float("nan")),
                format_interval(r["worst_level_value"], float("nan"), float("nan")),
                format_interval(r["value"], r["ci_low"], r["ci_high"]),
                format_interval(r["value_drop"], r["ci_low_drop"], r["ci_high_drop"]),
                str(r["n"]),
            ]
        )
    columns = ["metric", "modality", "generator", "clean", "worst level", "normalised AUC [95% CI]", "worst-level drop [95% CI]", "n"]
    return Table("Curve summaries", columns, rows, text_columns=3)


def _headline(metrics: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    items = []
    primary = "auroc" if "auroc" in set(metrics["metric"]) else metrics["metric"].iloc[0]
    label = METRIC_LABELS.get(primary, primary)
    clean = metrics[(metrics["metric"] == primary) & (metrics["level"] == 0)].iloc[0]
    items.append(
        f"Clean {label}: {format_interval(clean['value'], clean['ci_low'], clean['ci_high'])} "
        f"(n = {clean['n']} samples, {clean['n_patients']} patients)."
    )
    drops = summary[(summary["metric"] == primary) & (summary["measure"] == "worst_level_drop")]
    if not drops.empty:
        worst = drops.sort_values("value", ascending=False).iloc[0]
        point = metrics[
            (metrics["metric"] == primary)
            & (metrics["generator"] == worst["generator"])
            & (metrics["modality"] == worst["modality"])
            & (metrics["level"] == worst["worst_level"])
        ].iloc[0]
        items.append(
            f"Worst generator: {worst['generator']} on {worst['modality']}, {label} "
            f"{format_interval(point['value'], point['ci_low'], point['ci_high'])} at level "
            f"{worst['worst_level']:g} (drop {format_interval(worst['value'], worst['ci_low'], worst['ci_high'])})."
        )
    return items
