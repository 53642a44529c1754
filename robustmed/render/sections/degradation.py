"""Report section for degradation curves, built from the stored tables and predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from robustmed.render.figures.degradation import degradation_curves, metric_label, severity_heatmap
from robustmed.render.html import (
    CLEAN_PERFORMANCE,
    FIGURES,
    MOST_IMPORTANT_MODALITY,
    WORST_GENERATOR,
    WORST_GROUP,
    Finding,
    ReportPart,
    Section,
    Table,
    figure_entry,
    format_interval,
    read_table,
)
from robustmed.render.pseudonym import pseudonym_key, pseudonymise
from robustmed.render.style import png_path

ABSENCE_GENERATOR = "modality_absence"
AFFECTED_SAMPLES = 10


def _confidence_percent(root: Path) -> str:
    """Return the run's interval confidence as a percentage label, e.g. '95%'."""
    manifest = json.loads((root / "manifest.json").read_text()) if (root / "manifest.json").is_file() else {}
    confidence = manifest.get("recipe", {}).get("bootstrap", {}).get("confidence", 0.95)
    return f"{100 * confidence:g}%"


def degradation_section(root: Path, formats: list[str]) -> ReportPart | None:
    """Build the degradation section: curves, a heatmap, per-group curves, summary tables."""
    metrics = read_table(root, "degradation_metrics")
    summary = read_table(root, "degradation_summary")
    if metrics is None or summary is None or metrics.empty:
        return None
    formats = sorted(set(formats) | {"png"})
    overall = metrics[metrics["subgroup"] == "all"] if "subgroup" in metrics.columns else metrics
    primary = "auroc" if "auroc" in set(overall["metric"]) else str(overall["metric"].iloc[0])
    task = str(overall["task"].iloc[0])
    section = Section("degradation", "Degradation curves")
    method = str(overall["interval_method"].iloc[0]) if "interval_method" in overall.columns else "bootstrap"
    level = _confidence_percent(root)
    section.paragraphs.append(
        "Each curve shows a metric on the evaluation split as one generator corrupts one modality at "
        f"increasing severity (level 0 is the clean input). Bands are {level} intervals, {method}. "
        "The same resampled patients serve every level, so levels are compared paired."
    )
    if overall["task"].nunique() > 1:
        section.paragraphs.append(f"Figures show task {task!r}; the tables list every task.")

    for metric in overall["metric"].unique():
        paths = degradation_curves(
            overall, metric, root / FIGURES / f"degradation_{metric}", formats, task=task
        )
        section.figures.append(
            figure_entry(png_path(paths), f"{metric_label(metric)} vs severity, one panel per modality.")
        )
    paths = severity_heatmap(overall, primary, root / FIGURES / f"degradation_heatmap_{primary}", formats, task=task)
    section.figures.append(
        figure_entry(
            png_path(paths),
            f"Change in {metric_label(primary)} from the clean input for every generator × modality and "
            "severity level (negative = worse).",
        )
    )

    worst = _worst_curve(summary, primary, task)
    if worst is not None and "subgroup" in metrics.columns and metrics["subgroup"].nunique() > 1:
        select = {"generator": worst["generator"], "modality": worst["modality"]}
        paths = degradation_curves(
            metrics, primary, root / FIGURES / f"degradation_groups_{primary}", formats,
            task=task, panel="generator", hue="subgroup", select=select,
        )
        section.figures.append(
            figure_entry(
                png_path(paths),
                f"{metric_label(primary)} vs severity per subgroup under the worst generator "
                f"({worst['generator']} on {worst['modality']}).",
            )
        )

    section.tables.append(_summary_table(summary, overall, level))
    affected = _affected_samples(root, worst, task)
    if affected is not None:
        section.tables.append(affected)
    return ReportPart(section, [], _findings(overall, metrics, summary, primary, task))


def _worst_curve(summary: pd.DataFrame, metric: str, task: str) -> pd.Series | None:
    drops = summary[
        (summary["metric"] == metric) & (summary["measure"] == "worst_level_drop") & (summary["task"] == task)
    ].dropna(subset=["value"])
    if drops.empty:
        return None
    return drops.sort_values(["value", "generator", "modality"], ascending=[False, True, True]).iloc[0]


def _point(metrics: pd.DataFrame, metric: str, task: str, **labels: object) -> pd.Series | None:
    mask = (metrics["metric"] == metric) & (metrics["task"] == task)
    for column, value in labels.items():
        mask &= metrics[column] == value
    rows = metrics[mask]
    return None if rows.empty else rows.iloc[0]


def _interval(row: pd.Series | None) -> str:
    if row is None:
        return "NaN"
    return format_interval(row["value"], row["ci_low"], row["ci_high"])


def _summary_table(summary: pd.DataFrame, metrics: pd.DataFrame, level: str) -> Table:
    keys = ["task", "generator", "modality", "seed", "metric"]
    auc = summary[summary["measure"] == "auc_normalised"].merge(
        summary[summary["measure"] == "worst_level_drop"][[*keys, "value", "ci_low", "ci_high"]],
        on=keys,
        suffixes=("", "_drop"),
    )
    rows = []
    for _, r in auc.sort_values(["task", "metric", "modality", "generator", "seed"]).iterrows():
        labels = {"generator": r["generator"], "modality": r["modality"], "seed": r["seed"]}
        clean = _point(metrics, r["metric"], r["task"], level=0.0, **labels)
        worst = _point(metrics, r["metric"], r["task"], level=r["worst_level"], **labels)
        rows.append(
            [
                r["task"],
                r["metric"],
                r["modality"],
                r["generator"],
                _interval(clean),
                _interval(worst),
                format_interval(r["value"], r["ci_low"], r["ci_high"]),
                format_interval(r["value_drop"], r["ci_low_drop"], r["ci_high_drop"]),
                str(r["n"]),
            ]
        )
    columns = [
        "task", "metric", "modality", "generator", f"clean [{level} CI]", f"worst level [{level} CI]",
        f"normalised AUC [{level} CI]", f"worst-level drop [{level} CI]", "n",
    ]
    return Table("Curve summaries", columns, rows, text_columns=4, name="curve_summaries")


def _affected_samples(root: Path, worst: pd.Series | None, task: str) -> Table | None:
    """List the samples whose predicted probability moves most under the worst generator, pseudonymised."""
    from robustmed.engine.runner import Cell
    from robustmed.engine.store import PredictionStore
    from robustmed.evaluators.degradation import ANALYSIS, CLEAN

    if worst is None:
        return None
    store = PredictionStore(root)
    clean_cell = Cell(ANALYSIS, {"generator": CLEAN, "modality": CLEAN, "level": 0.0, "seed": -1}).cell_id
    worst_labels = {
        "generator": worst["generator"], "modality": worst["modality"],
        "level": float(worst["worst_level"]), "seed": int(worst["seed"]),
    }
    worst_cell = Cell(ANALYSIS, worst_labels).cell_id
    if not (store.has(clean_cell) and store.has(worst_cell)):
        return None
    clean = store.read([clean_cell])
    perturbed = store.read([worst_cell])
    paired = clean[clean["task"] == task].merge(
        perturbed[perturbed["task"] == task][["sample_id", "prob"]], on="sample_id", suffixes=("_clean", "_worst")
    )
    paired["change"] = paired["prob_worst"] - paired["prob_clean"]
    paired["magnitude"] = paired["change"].abs()
    top = paired.sort_values(["magnitude", "sample_id"], ascending=[False, True]).head(AFFECTED_SAMPLES)
    names = pseudonymise(top["sample_id"], pseudonym_key(root))
    rows = [
        [name, str(int(r["y_true"])), f"{r['prob_clean']:.3f}", f"{r['prob_worst']:.3f}", f"{r['change']:+.3f}"]
        for name, (_, r) in zip(names, top.iterrows(), strict=True)
    ]
    title = (
        f"Samples whose predicted probability changes most under {worst['generator']} on "
        f"{worst['modality']} at level {worst['worst_level']:g} (pseudonymised ids)"
    )
    columns = ["sample", "label", "p clean", "p perturbed", "change"]
    return Table(title, columns, rows, text_columns=1, name="affected_samples")


def _findings(
    overall: pd.DataFrame, metrics: pd.DataFrame, summary: pd.DataFrame, primary: str, task: str
) -> list[Finding]:
    label = metric_label(primary)
    findings = []
    clean = _point(overall, primary, task, level=0.0)
    if clean is not None:
        findings.append(
            Finding(
                CLEAN_PERFORMANCE,
                f"{label} {_interval(clean)} (n = {clean['n']} samples, {clean['n_patients']} patients).",
            )
        )
    worst = _worst_curve(summary, primary, task)
    if worst is not None:
        point = _point(
            overall, primary, task, generator=worst["generator"], modality=worst["modality"],
            level=worst["worst_level"], seed=worst["seed"],
        )
        findings.append(
            Finding(
                WORST_GENERATOR,
                f"{worst['generator']} on {worst['modality']}: {label} {_interval(point)} at level "
                f"{worst['worst_level']:g}, a drop of {format_interval(worst['value'], worst['ci_low'], worst['ci_high'])} "
                f"(n = {worst['n']}).",
            )
        )
    absence = summary[
        (summary["metric"] == primary) & (summary["measure"] == "worst_level_drop")
        & (summary["generator"] == ABSENCE_GENERATOR) & (summary["task"] == task)
    ].dropna(subset=["value"])
    if not absence.empty:
        top = absence.sort_values(["value", "modality"], ascending=[False, True]).iloc[0]
        findings.append(
            Finding(
                MOST_IMPORTANT_MODALITY,
                f"{top['modality']}: removing it costs {label} "
                f"{format_interval(top['value'], top['ci_low'], top['ci_high'])} (n = {top['n']}; "
                "largest drop among whole-modality absences).",
                priority=-1,
            )
        )
    if "subgroup" in metrics.columns and metrics["subgroup"].nunique() > 1:
        groups = metrics[
            (metrics["metric"] == primary) & (metrics["task"] == task) & (metrics["level"] == 0.0)
            & (metrics["subgroup"] != "all")
        ].dropna(subset=["value"]).drop_duplicates("subgroup")
        if not groups.empty:
            higher = bool(groups["higher_is_better"].iloc[0]) if "higher_is_better" in groups else True
            row = groups.sort_values("value", ascending=higher).iloc[0]
            findings.append(
                Finding(
                    WORST_GROUP,
                    f"{row['subgroup']}: clean {label} {_interval(row)} (n = {row['n']}).",
                    priority=-1,
                )
            )
    return findings
