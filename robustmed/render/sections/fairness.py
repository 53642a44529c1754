"""Report section for the subgroup fairness audit, built from the stored ``fairness_*`` tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from robustmed.render.figures.fairness import disparity_curves, forest_plot, group_curves, label, reliability_diagrams
from robustmed.render.html import FIGURES, ReportPart, Section, Table, figure_entry, format_interval, read_table

TABLE_METRICS = ("auroc", "balanced_accuracy", "ece", "ece_equal_mass", "brier", "nll")
RATES = ("sensitivity", "specificity", "ppv", "npv")


def _png(paths: list[Path]) -> Path:
    return next(p for p in paths if p.suffix == ".png")


def _interval(row) -> str:
    return format_interval(row["value"], row["ci_low"], row["ci_high"])


def _primary(groups: pd.DataFrame) -> str:
    metrics = list(dict.fromkeys(groups["metric"]))
    return "auroc" if "auroc" in metrics else metrics[0]


def fairness_section(root: Path, formats: list[str]) -> ReportPart | None:
    groups = read_table(root, "fairness_groups")
    disparities = read_table(root, "fairness_disparities")
    criteria = read_table(root, "fairness_criteria")
    threshold = read_table(root, "fairness_threshold")
    reliability = read_table(root, "fairness_reliability")
    if groups is None or disparities is None or groups.empty:
        return None
    formats = sorted(set(formats) | {"png"})
    task = sorted(groups["task"].unique())[0]
    groups, disparities = groups[groups["task"] == task], disparities[disparities["task"] == task]
    clean_groups = groups[groups["level"] == 0.0].drop_duplicates(["attribute", "subgroup", "metric"])
    clean_disparities = disparities[disparities["level"] == 0.0].drop_duplicates(["attribute", "metric", "measure"])
    primary = _primary(groups)
    chosen = threshold[threshold["task"] == task].iloc[0] if threshold is not None and not threshold.empty else None

    section = Section("fairness", "Subgroup fairness")
    method = str(groups["interval_method"].iloc[0]) if "interval_method" in groups.columns else "bootstrap"
    section.paragraphs.append(
        "Metrics per subgroup of each metadata attribute and intersection, with 95% bootstrap intervals "
        f"over patients ({method}; the run's replicates restricted to each subgroup). A replicate that draws no member "
        "of a group, or only one class, gives no value for that group and is left out of that group's "
        "interval and of the disparity intervals. Groups below the minimum size are reported as NaN with "
        "a reason and left out of worst-group values and disparities. Differences and ratios follow "
        "fairlearn's MetricFrame definitions."
    )
    if chosen is not None:
        target = "" if pd.isna(chosen["target"]) else f" (target {chosen['target']:g})"
        section.paragraphs.append(
            f"Decision threshold {chosen['threshold']:.4f}, chosen by the {chosen['rule']} rule{target} on clean "
            f"predictions of the {chosen['split']} split (n = {chosen['n']}), where sensitivity is "
            f"{chosen['sensitivity']:.3f} and specificity {chosen['specificity']:.3f}. The same threshold is "
            "used for every subgroup and every severity level."
        )

    for metric in dict.fromkeys([primary, "sensitivity"]):
        if metric in set(clean_groups["metric"]):
            paths = forest_plot(clean_groups, metric, root / FIGURES / f"fairness_forest_{metric}", formats)
            section.figures.append(figure_entry(_png(paths), f"{label(metric)} per subgroup on clean input."))
    perturbed = groups[groups["generator"] != "none"]
    if not perturbed.empty:
        for index, attribute in enumerate(a for a in dict.fromkeys(groups["attribute"]) if a != "all"):
            paths = group_curves(perturbed, primary, attribute, root / FIGURES / f"fairness_groups_{index}", formats)
            section.figures.append(figure_entry(_png(paths), f"{label(primary)} vs severity per subgroup of {attribute}."))
        for measure in ("difference", "worst_group"):
            paths = disparity_curves(
                disparities[disparities["generator"] != "none"], primary, measure,
                root / FIGURES / f"fairness_{measure}_{primary}", formats,
            )
            section.figures.append(
                figure_entry(_png(paths), f"{label(primary)} {measure.replace('_', ' ')} between subgroups vs severity.")
            )
    if reliability is not None and not reliability.empty:
        reliability = reliability[reliability["task"] == task]
        for binning in ("equal_width", "equal_mass"):
            paths = reliability_diagrams(reliability, binning, root / FIGURES / f"fairness_reliability_{binning}", formats)
            section.figures.append(
                figure_entry(_png(paths), f"Reliability diagrams on clean input, {binning.replace('_', '-')} bins.")
            )

    section.tables.append(_group_table(clean_groups))
    section.tables.append(_disparity_table(clean_disparities))
    if criteria is not None and not criteria.empty:
        clean_criteria = criteria[(criteria["task"] == task) & (criteria["level"] == 0.0)]
        section.tables.append(_criteria_table(clean_criteria.drop_duplicates(["attribute", "criterion"])))
    if not perturbed.empty:
        section.tables.append(_severity_table(disparities[disparities["generator"] != "none"], primary))
    section.tables.append(_net_benefit_table(clean_groups))
    return ReportPart(section, _headline(clean_groups, clean_disparities, criteria, primary, task))


def _group_table(clean: pd.DataFrame) -> Table:
    metrics = [m for m in (*TABLE_METRICS, *RATES) if m in set(clean["metric"])]
    rows = []
    for (attribute, subgroup), part in clean.groupby(["attribute", "subgroup"], sort=False):
        by_metric = part.set_index("metric")
        reasons = sorted({r for r in part["reason"] if r})
        rows.append(
            [attribute, subgroup, str(int(part["n"].iloc[0])), str(int(part["n_patients"].iloc[0]))]
            + [_interval(by_metric.loc[m]) for m in metrics]
            + ["; ".join(reasons)]
        )
    columns = ["attribute", "subgroup", "n", "patients"] + [label(m) for m in metrics] + ["note"]
    return Table("Subgroup metrics on clean input [95% CI]", columns, rows, text_columns=2)


def _disparity_table(clean: pd.DataFrame) -> Table:
    rows = []
    measures = ("worst_group", "difference", "ratio", "difference_to_overall", "ratio_to_overall")
    for (attribute, metric), part in clean.groupby(["attribute", "metric"], sort=False):
        by_measure = part.set_index("measure")
        worst = by_measure.loc["worst_group"]
        rows.append(
            [attribute, label(metric), worst["worst_subgroup"] or "—"]
            + [_interval(by_measure.loc[m]) for m in measures]
            + [str(int(worst["n_groups"])), worst["excluded_subgroups"] or "—"]
        )
    columns = ["attribute", "metric", "worst subgroup", "worst value", "difference", "ratio", "difference to all",
               "ratio to all", "groups", "left out"]
    return Table("Disparities between subgroups on clean input [95% CI]", columns, rows, text_columns=3)


def _criteria_table(criteria: pd.DataFrame) -> Table:
    rows = []
    for attribute, part in criteria.groupby("attribute", sort=False):
        by_name = part.set_index("criterion")
        rows.append(
            [attribute]
            + [_interval(by_name.loc[name]) for name in (
                "equalized_odds_difference", "equal_opportunity_difference", "demographic_parity_difference",
                "demographic_parity_ratio")]
            + [str(int(part["n"].iloc[0]))]
        )
    columns = ["attribute", "equalized odds difference", "equal opportunity difference",
               "demographic parity difference", "demographic parity ratio", "n"]
    return Table("Fairness criteria at the fixed threshold, clean input [95% CI]", columns, rows, text_columns=1)


def _severity_table(disparities: pd.DataFrame, primary: str) -> Table:
    frame = disparities[(disparities["metric"] == primary) & disparities["measure"].isin(["worst_group", "difference"])]
    top = frame["level"].max()
    rows = []
    for (attribute, generator, modality), part in frame.groupby(["attribute", "generator", "modality"], sort=False):
        part = part.groupby(["level", "measure"], as_index=False).first()
        get = {(r["level"], r["measure"]): r for _, r in part.iterrows()}
        rows.append(
            [attribute, generator, modality]
            + [_interval(get[(level, m)]) for m in ("worst_group", "difference") for level in (0.0, top)]
        )
    columns = ["attribute", "generator", "modality", f"worst group, clean", f"worst group, level {top:g}",
               "difference, clean", f"difference, level {top:g}"]
    return Table(f"{label(primary)} worst group and difference, clean vs highest level [95% CI]", columns, rows,
                 text_columns=3)


def _net_benefit_table(clean: pd.DataFrame) -> Table:
    frame = clean[clean["metric"].str.contains("@", regex=False)]
    rows = []
    for (attribute, subgroup), part in frame.groupby(["attribute", "subgroup"], sort=False):
        by_metric = part.set_index("metric")
        points = sorted({m.split("@")[1] for m in part["metric"]}, key=float)
        rows.append(
            [attribute, subgroup, str(int(part["n"].iloc[0]))]
            + [f"{_interval(by_metric.loc[f'net_benefit@{pt}'])} vs {_interval(by_metric.loc[f'treat_all@{pt}'])}"
               for pt in points]
        )
        columns = ["attribute", "subgroup", "n"] + [f"pt = {pt}: model vs treat all" for pt in points]
    if not rows:
        return Table("Decision-curve net benefit", ["note"], [["no threshold probabilities requested"]])
    return Table("Decision-curve net benefit on clean input [95% CI]", columns, rows, text_columns=2)


def _headline(clean, disparities, criteria, primary: str, task: str) -> list[str]:
    items = []
    name = label(primary)
    frame = disparities[(disparities["metric"] == primary) & (disparities["measure"] == "difference")]
    frame = frame[np.isfinite(frame["value"])]
    if not frame.empty:
        widest = frame.sort_values("value", ascending=False).iloc[0]
        worst = disparities[
            (disparities["metric"] == primary)
            & (disparities["measure"] == "worst_group")
            & (disparities["attribute"] == widest["attribute"])
        ].iloc[0]
        worst_row = clean[
            (clean["attribute"] == widest["attribute"])
            & (clean["subgroup"] == worst["worst_subgroup"])
            & (clean["metric"] == primary)
        ].iloc[0]
        items.append(
            f"Largest clean {name} gap across {widest['attribute']}: difference "
            f"{_interval(widest)}; worst subgroup {worst['worst_subgroup']} at {_interval(worst_row)} "
            f"(n = {worst_row['n']})."
        )
    if criteria is not None and not criteria.empty:
        eo = criteria[(criteria["task"] == task) & (criteria["level"] == 0.0)
                      & (criteria["criterion"] == "equalized_odds_difference")]
        eo = eo[np.isfinite(eo["value"])].drop_duplicates("attribute")
        if not eo.empty:
            top = eo.sort_values("value", ascending=False).iloc[0]
            items.append(
                f"Largest equalized-odds difference at the fixed threshold: {top['attribute']}, "
                f"{_interval(top)} (n = {top['n']})."
            )
    return items
