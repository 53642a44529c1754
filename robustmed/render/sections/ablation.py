"""Report section for the modality ablation, built from its stored tables only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from robustmed.render.figures.ablation import (
    VALUE_LABELS,
    interaction_heatmaps,
    missing_fraction_curves,
    shapley_bars,
    subset_heatmap,
)
from robustmed.render.figures.lattice import subset_lattice
from robustmed.render.html import FIGURES, ReportPart, Section, Table, figure_entry, format_interval, read_table

TABLE_NAMES = (
    "ablation_policies", "ablation_subsets", "ablation_shapley", "ablation_interactions",
    "ablation_summary", "ablation_novel", "ablation_missing",
)


def _png(paths: list[Path]) -> Path:
    return next(p for p in paths if p.suffix == ".png")


def _interval_method(table: pd.DataFrame) -> str:
    """Return the interval method that a table's rows name, or "bootstrap" when it has none."""
    if "interval_method" not in table.columns or table.empty:
        return "bootstrap"
    return str(table["interval_method"].iloc[0])


def ablation_section(root: Path, formats: list[str]) -> ReportPart | None:
    tables = {name: read_table(root, name) for name in TABLE_NAMES}
    if any(frame is None for frame in tables.values()):
        return None
    policies, subsets, shapley = tables["ablation_policies"], tables["ablation_subsets"], tables["ablation_shapley"]
    summary, novel, missing = tables["ablation_summary"], tables["ablation_novel"], tables["ablation_missing"]
    formats = sorted(set(formats) | {"png"})
    section = Section("ablation", "Modality ablation")
    section.paragraphs.append(
        "The model is evaluated on every subset of its modalities; an absent modality is fed by a fill "
        "policy. v(S) is the metric when only the modalities in S are present. Shapley values split "
        "v(all) − v(none) among the modalities; interaction indices show pairs that help (positive) or "
        "substitute for each other (negative). For lower-is-better metrics such as the Brier score, a "
        "negative Shapley value means the modality improves the metric. Intervals are 95% bootstrap "
        f"intervals over patients ({_interval_method(subsets)}), with the same resampled patients for "
        "every subset."
    )
    unsupported = policies[~policies["supported"]]
    for _, row in unsupported.iterrows():
        section.paragraphs.append(f"Policy {row['policy']} is not supported by this model: {row['reason']}.")

    tasks = list(dict.fromkeys(subsets["task"]))
    headline = []
    for task in tasks:
        # Figures and tables are drawn per task: a multitask model has one game per task.
        def for_task(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["task"] == task] if "task" in frame and not frame.empty else frame

        suffix = f"_{task}" if len(tasks) > 1 else ""
        headline.extend(
            _task_figures_and_tables(
                section, root, formats, suffix, task if len(tasks) > 1 else None,
                for_task(subsets), for_task(shapley), for_task(tables["ablation_interactions"]),
                for_task(summary), for_task(novel), for_task(missing),
            )
        )
    return ReportPart(section, headline)


def _task_figures_and_tables(
    section: Section,
    root: Path,
    formats: list[str],
    suffix: str,
    task: str | None,
    subsets: pd.DataFrame,
    shapley: pd.DataFrame,
    interactions: pd.DataFrame,
    summary: pd.DataFrame,
    novel: pd.DataFrame,
    missing: pd.DataFrame,
) -> list[str]:
    """Add one task's figures and tables to ``section``; return its headline sentences."""
    of_task = f" (task {task})" if task else ""
    metrics = list(dict.fromkeys(subsets["metric"]))
    primary = "auroc" if "auroc" in metrics else metrics[0]
    label = VALUE_LABELS.get(primary, primary)
    folder = root / FIGURES
    section.figures.append(
        figure_entry(_png(subset_heatmap(subsets, primary, folder / f"ablation_subsets_{primary}{suffix}", formats)),
                     f"{label} of every modality subset under each fill policy, with 95% intervals{of_task}.")
    )
    lattice = subset_lattice(subsets, primary, folder / f"ablation_lattice_{primary}{suffix}", formats)
    section.figures.append(
        figure_entry(_png(lattice), f"Lattice of modality subsets: {label} per subset, with the gain of adding "
                     f"each modality on the edges ({subsets['policy'].iloc[0]} fill){of_task}.")
    )
    for metric in metrics:
        paths = shapley_bars(shapley, metric, folder / f"ablation_shapley_{metric}{suffix}", formats)
        section.figures.append(
            figure_entry(_png(paths), f"Shapley values of {VALUE_LABELS.get(metric, metric)} per modality and policy{of_task}.")
        )
    if not interactions.empty:
        paths = interaction_heatmaps(interactions, primary, folder / f"ablation_interactions_{primary}{suffix}", formats)
        section.figures.append(
            figure_entry(_png(paths), f"Shapley interaction matrix of {label}: main effects on the diagonal{of_task}.")
        )
    if not missing.empty:
        paths = missing_fraction_curves(missing, primary, folder / f"ablation_missing_{primary}{suffix}", formats)
        policy = missing["policy"].iloc[0]
        section.figures.append(
            figure_entry(_png(paths), f"{label} when one modality is missing for a fraction of samples ({policy} fill){of_task}.")
        )
    shapley_table = _shapley_table(shapley, summary)
    novel_table = _novel_table(novel)
    if task:
        shapley_table.title += f", task {task}"
        novel_table.title += f", task {task}"
        shapley_table.name = f"shapley values {task}"
        novel_table.name = f"novel combinations {task}"
    section.tables.append(shapley_table)
    section.tables.append(novel_table)
    headline = _headline(shapley, summary, primary)
    return [f"{item[:-1]}{of_task}." if task else item for item in headline]


def _shapley_table(shapley: pd.DataFrame, summary: pd.DataFrame) -> Table:
    modalities = list(dict.fromkeys(shapley["modality"]))
    rows = []
    for (policy, metric), part in shapley.dropna(subset=["value"]).groupby(["policy", "metric"], sort=False):
        measures = summary[(summary["policy"] == policy) & (summary["metric"] == metric)].set_index("measure")
        by_modality = part.set_index("modality")
        cells = [policy, metric]
        for modality in modalities:
            r = by_modality.loc[modality]
            cells.append(format_interval(r["value"], r["ci_low"], r["ci_high"]))
        for measure in ("inter_shap", "shape_cross_modal"):
            m = measures.loc[measure]
            cells.append(format_interval(m["value"], m["ci_low"], m["ci_high"]))
        rows.append(cells)
    columns = ["policy", "metric", *[f"Shapley: {m}" for m in modalities], "InterSHAP", "SHAPE cross-modal"]
    return Table("Shapley values, InterSHAP and SHAPE cross-modal term [95% CI]", columns, rows, text_columns=2)


def _novel_table(novel: pd.DataFrame) -> Table:
    beating = novel[novel["beats_reference"]] if not novel.empty else novel
    rows = [
        [r["policy"], r["metric"], r["subset"], f"{r['reference']} ({r['reference_subset']})",
         format_interval(r["difference"], r["ci_low"], r["ci_high"]),
         "yes" if r["interval_excludes_zero"] else "no"]
        for _, r in beating.iterrows()
    ]
    columns = ["policy", "metric", "subset", "reference", "improvement [95% CI]", "interval excludes 0"]
    return Table("Subsets that beat the full model or the best single modality", columns, rows, text_columns=4)


def _headline(shapley: pd.DataFrame, summary: pd.DataFrame, primary: str) -> list[str]:
    part = shapley[(shapley["metric"] == primary) & shapley["value"].notna()]
    if part.empty:
        return []
    policy = part["policy"].iloc[0]
    part = part[part["policy"] == policy]
    top = part.sort_values("value", ascending=False).iloc[0]
    label = VALUE_LABELS.get(primary, primary)
    items = [
        f"Most important modality: {top['modality']}, Shapley value of {label} "
        f"{format_interval(top['value'], top['ci_low'], top['ci_high'])} ({policy} fill, n = {top['n']})."
    ]
    inter = summary[(summary["metric"] == primary) & (summary["policy"] == policy) & (summary["measure"] == "inter_shap")]
    if not inter.empty and pd.notna(inter["value"].iloc[0]):
        r = inter.iloc[0]
        items.append(
            "InterSHAP (share of attribution in modality interactions): "
            f"{format_interval(r['value'], r['ci_low'], r['ci_high'])} (n = {r['n']})."
        )
    return items
