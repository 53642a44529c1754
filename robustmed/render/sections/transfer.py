"""Report section for zero-shot and few-shot transfer, built from the stored transfer tables only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from robustmed.render.figures.transfer import (
    METRIC_LABELS,
    PROTOCOL_LABELS,
    learning_curves,
    matrix_heatmap,
    severity_heatmap,
)
from robustmed.render.html import FIGURES, ReportPart, Section, Table, figure_entry, format_interval, read_table
from robustmed.render.style import png_path

PRIMARY = "balanced_accuracy"


def _with_png(formats: list[str]) -> list[str]:
    return list(dict.fromkeys([*formats, "png"]))


def _spread(value: float) -> str:
    return "NaN" if pd.isna(value) else f"{value:.3f}"


def transfer_section(root: Path, formats: list[str]) -> ReportPart | None:
    fewshot = read_table(root, "transfer_fewshot")
    zero_shot = read_table(root, "transfer_zero_shot")
    matrix = read_table(root, "transfer_matrix")
    severity = read_table(root, "transfer_severity")
    if fewshot is None and zero_shot is None and matrix is None:
        return None
    formats = _with_png(formats)

    section = Section("transfer", "Zero-shot and few-shot transfer")
    section.paragraphs.append(
        "Frozen embeddings of the model feed a logistic-regression linear probe and a nearest-class-prototype "
        "classifier, fitted on k labelled examples per class of each target task's train split and scored on "
        "its test split. Each k is repeated over seeded, class-stratified support draws; values are means over "
        "draws, spreads are sample standard deviations (ddof = 1), and brackets are 95% bootstrap intervals over "
        "test patients (stratified by class) and support draws. Zero-shot rows use no target labels."
    )

    primary = PRIMARY
    if fewshot is not None:
        metrics = list(dict.fromkeys(fewshot["metric"]))
        primary = PRIMARY if PRIMARY in metrics else metrics[0]
        for metric in metrics:
            paths = learning_curves(fewshot, metric, root / FIGURES / f"transfer_learning_{metric}", formats, zero_shot)
            section.figures.append(
                figure_entry(png_path(paths), f"{METRIC_LABELS.get(metric, metric)} vs shots per class, with 95% bands; "
                             "dotted lines are zero-shot results.")
            )
        section.tables.append(_fewshot_table(fewshot, primary))
    if zero_shot is not None:
        section.tables.append(_zero_shot_table(zero_shot))

    if matrix is not None:
        metric = primary if primary in set(matrix["metric"]) else matrix["metric"].iloc[0]
        paths = matrix_heatmap(matrix, metric, root / FIGURES / f"transfer_matrix_{metric}", formats)
        section.figures.append(
            figure_entry(png_path(paths), f"Cross-task transfer: {METRIC_LABELS.get(metric, metric)} of a probe fitted "
                         "on the row task and scored on the column task.")
        )
        section.tables.append(_matrix_table(matrix, metric))

    if severity is not None:
        metric = primary if primary in set(severity["metric"]) else severity["metric"].iloc[0]
        paths = severity_heatmap(severity, metric, root / FIGURES / f"transfer_severity_{metric}", formats)
        section.figures.append(
            figure_entry(png_path(paths), f"Few-shot x severity: {METRIC_LABELS.get(metric, metric)} of classifiers "
                         "fitted on clean embeddings and scored on perturbed test inputs (level 0 is clean).")
        )
        section.tables.append(_severity_table(severity, metric))
    return ReportPart(section, _headline(fewshot, zero_shot, primary))


def _fewshot_table(fewshot: pd.DataFrame, metric: str) -> Table:
    frame = fewshot[fewshot["metric"] == metric]
    rows = [
        [
            r["target"], PROTOCOL_LABELS.get(r["protocol"], r["protocol"]), r["shots"],
            format_interval(r["value"], r["ci_low"], r["ci_high"]), _spread(r["std"]), str(r["repeats"]), str(r["n"]),
        ]
        for _, r in frame.iterrows()
    ]
    columns = ["target", "protocol", "k", f"{METRIC_LABELS.get(metric, metric)} [95% CI]", "std over draws", "draws", "n test"]
    return Table(f"Learning curves ({METRIC_LABELS.get(metric, metric)})", columns, rows, text_columns=3)


def _zero_shot_table(zero_shot: pd.DataFrame) -> Table:
    metrics = list(dict.fromkeys(zero_shot["metric"]))
    rows = []
    for (target, method, source), group in zero_shot.groupby(["target", "method", "source"], sort=False):
        by_metric = {r["metric"]: format_interval(r["value"], r["ci_low"], r["ci_high"]) for _, r in group.iterrows()}
        rows.append([target, method, source, *[by_metric.get(m, "NaN") for m in metrics], str(group["n"].iloc[0])])
    columns = ["target", "method", "source", *[f"{METRIC_LABELS.get(m, m)} [95% CI]" for m in metrics], "n test"]
    return Table("Zero-shot transfer", columns, rows, text_columns=3)


def _matrix_table(matrix: pd.DataFrame, metric: str) -> Table:
    frame = matrix[matrix["metric"] == metric]
    rows = [
        [r["source"], r["target"], format_interval(r["value"], r["ci_low"], r["ci_high"]), r["reason"] or ""]
        for _, r in frame.iterrows()
    ]
    columns = ["probe fitted on", "scored on", f"{METRIC_LABELS.get(metric, metric)} [95% CI]", "note"]
    return Table("Cross-task transfer matrix", columns, rows, text_columns=2)


def _severity_table(severity: pd.DataFrame, metric: str) -> Table:
    """Clean value and the value at the highest level of each perturbation."""
    frame = severity[severity["metric"] == metric]
    keys = ["target", "protocol", "shots", "generator", "modality", "seed"]
    rows = []
    for key, group in frame.groupby(keys, sort=False):
        group = group.sort_values("level")
        clean, worst = group.iloc[0], group.iloc[-1]
        target, protocol, shots, generator, modality, _ = key
        rows.append(
            [
                target, PROTOCOL_LABELS.get(protocol, protocol), shots, f"{generator} on {modality}",
                format_interval(clean["value"], clean["ci_low"], clean["ci_high"]),
                f"{worst['level']:g}", format_interval(worst["value"], worst["ci_low"], worst["ci_high"]),
            ]
        )
    label = METRIC_LABELS.get(metric, metric)
    columns = ["target", "protocol", "k", "perturbation", f"clean {label} [95% CI]", "level", f"{label} at level [95% CI]"]
    return Table("Few-shot x severity: clean vs highest level", columns, rows, text_columns=4)


def _headline(fewshot: pd.DataFrame | None, zero_shot: pd.DataFrame | None, metric: str) -> list[str]:
    items = []
    label = METRIC_LABELS.get(metric, metric)
    if zero_shot is not None:
        frame = zero_shot[zero_shot["metric"] == metric].dropna(subset=["value"])
        if not frame.empty:
            best = frame.sort_values("value", ascending=False).iloc[0]
            items.append(
                f"Best zero-shot transfer: {best['method']} from {best['source']} to {best['target']}, {label} "
                f"{format_interval(best['value'], best['ci_low'], best['ci_high'])} (n = {best['n']})."
            )
    if fewshot is not None:
        frame = fewshot[(fewshot["metric"] == metric) & (fewshot["shots"] != "all")]
        for target, group in frame.groupby("target", sort=True):
            smallest = group[group["shots"].astype(int) == group["shots"].astype(int).min()]
            best = smallest.sort_values("value", ascending=False).iloc[0]
            items.append(
                f"{target} with k={best['shots']} per class: {label} "
                f"{format_interval(best['value'], best['ci_low'], best['ci_high'])} "
                f"({PROTOCOL_LABELS.get(best['protocol'], best['protocol'])}, {best['repeats']} draws, n = {best['n']})."
            )
    return items
