"""Report section for distribution shift, built from the stored ``shift_*`` tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from robustmed.render.figures.fairness import domain_forest, label, shift_strength_curves
from robustmed.render.html import FIGURES, ReportPart, Section, Table, figure_entry, format_interval, read_table


def _png(paths: list[Path]) -> Path:
    return next(p for p in paths if p.suffix == ".png")


def _interval(row) -> str:
    return format_interval(row["value"], row["ci_low"], row["ci_high"])


def shift_section(root: Path, formats: list[str]) -> ReportPart | None:
    domains = read_table(root, "shift_domains")
    gap = read_table(root, "shift_gap")
    synthetic = read_table(root, "shift_synthetic")
    has_domains = domains is not None and not domains.empty
    has_synthetic = synthetic is not None and not synthetic.empty
    if not has_domains and not has_synthetic:
        return None

    formats = sorted(set(formats) | {"png"})
    section = Section("shift", "Distribution shift")
    source = domains if has_domains else synthetic
    method = str(source["interval_method"].iloc[0]) if "interval_method" in source.columns else "bootstrap"
    section.paragraphs.append(
        "Natural shift compares domains of a metadata column; the in-domain pool holds the domains seen in "
        "training, the out-of-domain pool all others, and OOD − ID is paired over the same bootstrap "
        "replicates. Synthetic shifts reweight the clean evaluation predictions with importance weights "
        f"(label prevalence, or one covariate); the effective n is Kish's (Σw)²/Σw². Intervals: {method}."
    )

    headline = []
    if has_domains:
        task = sorted(domains["task"].unique())[0]
        domains, gap = domains[domains["task"] == task], gap[gap["task"] == task]
        metrics = list(dict.fromkeys(domains["metric"]))
        primary = "auroc" if "auroc" in metrics else metrics[0]
        paths = domain_forest(domains, primary, root / FIGURES / f"shift_domains_{primary}", formats)
        section.figures.append(figure_entry(_png(paths), f"{label(primary)} per domain, with the pooled values."))
        section.tables.append(_gap_table(domains, gap))
        section.tables.append(_domain_table(domains))
        headline += _domain_headline(domains, gap, primary)

    if has_synthetic:
        task = sorted(synthetic["task"].unique())[0]
        synthetic = synthetic[synthetic["task"] == task]
        for metric in dict.fromkeys(synthetic["metric"]):
            paths = shift_strength_curves(synthetic, metric, root / FIGURES / f"shift_strength_{metric}", formats)
            section.figures.append(figure_entry(_png(paths), f"{label(metric)} vs synthetic shift strength."))
        section.tables.append(_synthetic_table(synthetic))
        headline += _synthetic_headline(synthetic)
    return ReportPart(section, headline)


def _gap_table(domains: pd.DataFrame, gap: pd.DataFrame) -> Table:
    pools = domains[domains["domain_type"] == "pool"]
    rows = []
    for metric in dict.fromkeys(gap["metric"]):
        get = gap[gap["metric"] == metric].set_index("measure")
        pool = pools[pools["metric"] == metric].set_index("subgroup")
        cells = [label(metric)]
        for name in ("in-domain", "out-of-domain"):
            cells.append(f"{_interval(pool.loc[name])} (n={pool.loc[name]['n']})" if name in pool.index else "—")
        cells.append(_interval(get.loc["ood_minus_id"]))
        worst = get.loc["worst_domain"]
        cells.append(f"{worst['subgroup'] or '—'}: {_interval(worst)}")
        cells.append(_interval(get.loc["domain_difference"]))
        rows.append(cells)
    columns = ["metric", "in-domain", "out-of-domain", "OOD − ID", "worst domain", "domain difference"]
    return Table("In-domain vs out-of-domain [95% CI]", columns, rows, text_columns=1)


def _domain_table(domains: pd.DataFrame) -> Table:
    frame = domains[domains["domain_type"] == "domain"]
    metrics = list(dict.fromkeys(frame["metric"]))
    rows = []
    for (subgroup, pool), part in frame.groupby(["subgroup", "pool"], sort=True):
        by_metric = part.set_index("metric")
        reasons = sorted({r for r in part["reason"] if r})
        rows.append(
            [subgroup, pool, str(int(part["n"].iloc[0]))]
            + [_interval(by_metric.loc[m]) for m in metrics]
            + ["; ".join(reasons)]
        )
    columns = ["domain", "pool", "n"] + [label(m) for m in metrics] + ["note"]
    return Table("Per-domain metrics [95% CI]", columns, rows, text_columns=2)


def _synthetic_table(synthetic: pd.DataFrame) -> Table:
    metrics = list(dict.fromkeys(synthetic["metric"]))
    rows = []
    for (shift, strength), part in synthetic.groupby(["shift", "strength"], sort=True):
        by_metric = part.set_index("metric")
        rows.append(
            [shift, f"{part['strength_parameter'].iloc[0]} = {strength:.3g}", f"{part['effective_n'].iloc[0]:.1f}"]
            + [_interval(by_metric.loc[m]) for m in metrics]
        )
    columns = ["shift", "strength", "effective n"] + [label(m) for m in metrics]
    return Table("Metrics under synthetic shift [95% CI]", columns, rows, text_columns=2)


def _domain_headline(domains: pd.DataFrame, gap: pd.DataFrame, primary: str) -> list[str]:
    items = []
    get = gap[gap["metric"] == primary].set_index("measure")
    pools = domains[(domains["domain_type"] == "pool") & (domains["metric"] == primary)].set_index("subgroup")
    if "ood_minus_id" in get.index and np.isfinite(get.loc["ood_minus_id"]["value"]):
        items.append(
            f"{label(primary)} in-domain {_interval(pools.loc['in-domain'])} (n = {pools.loc['in-domain']['n']}) vs "
            f"out-of-domain {_interval(pools.loc['out-of-domain'])} (n = {pools.loc['out-of-domain']['n']}); "
            f"OOD − ID {_interval(get.loc['ood_minus_id'])}."
        )
    if "worst_domain" in get.index and np.isfinite(get.loc["worst_domain"]["value"]):
        worst = get.loc["worst_domain"]
        n = domains[(domains["subgroup"] == worst["subgroup"]) & (domains["domain_type"] == "domain")]["n"].iloc[0]
        items.append(f"Worst domain for {label(primary)}: {worst['subgroup']}, {_interval(worst)} (n = {n}).")
    return items


def _synthetic_headline(synthetic: pd.DataFrame) -> list[str]:
    items = []
    metrics = list(dict.fromkeys(synthetic["metric"]))
    for shift, part in synthetic.groupby("shift", sort=True):
        # AUROC and balanced accuracy do not change with label prevalence, so that headline uses a calibration metric.
        preferred = ("brier", "ece", "nll") if shift == "label prevalence" else ("auroc", "balanced_accuracy", "brier")
        metric = next((m for m in preferred if m in metrics), metrics[0])
        part = part[part["metric"] == metric]
        part = part.sort_values("strength")
        first, last = part.iloc[0], part.iloc[-1]
        items.append(
            f"{shift} shift: {label(metric)} {_interval(first)} at {first['strength_parameter']} "
            f"{first['strength']:.3g} vs {_interval(last)} at {last['strength']:.3g} (n = {first['n']}, "
            f"effective n {first['effective_n']:.0f} and {last['effective_n']:.0f})."
        )
    return items
