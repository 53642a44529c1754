"""Render stored results into figures, tables and one self-contained HTML report.

Rendering reads only the output folder (manifest and tables), never a model, so
``robustmed report DIR`` can rebuild everything from stored results.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from robustmed.engine.store import atomic_write_text
from robustmed.errors import RobustmedError
from robustmed.render.figures import METRIC_LABELS, degradation_curves

TABLES = "tables"
FIGURES = "figures"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    text_columns: int = 1


@dataclass
class Section:
    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def format_interval(value: float, low: float, high: float, digits: int = 3) -> str:
    """'value [low, high]', or 'NaN' when the value is missing."""
    if pd.isna(value):
        return "NaN"
    if pd.isna(low) or pd.isna(high):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def read_table(root: Path, name: str) -> pd.DataFrame | None:
    path = root / TABLES / f"{name}.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def write_table(root: Path, name: str, frame: pd.DataFrame) -> None:
    """Store a tidy table as Parquet (for re-rendering) and CSV (for people)."""
    folder = root / TABLES
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.parquet.tmp"
    frame.to_parquet(temporary, index=False)
    temporary.replace(folder / f"{name}.parquet")
    atomic_write_text(folder / f"{name}.csv", frame.to_csv(index=False))


def _embed_png(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _degradation_section(root: Path, formats: list[str]) -> tuple[Section, list[str]] | None:
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
        stem = root / FIGURES / f"degradation_{metric}"
        paths = degradation_curves(metrics, metric, stem, sorted(set(formats) | {"png"}))
        png = next(p for p in paths if p.suffix == ".png")
        label = METRIC_LABELS.get(metric, metric)
        section.figures.append(
            {"caption": f"{label} vs severity, one panel per modality.", "data": _embed_png(png)}
        )

    auc = summary[summary["measure"] == "auc_normalised"].merge(
        summary[summary["measure"] == "worst_level_drop"][["task", "generator", "modality", "seed", "metric", "value", "ci_low", "ci_high"]],
        on=["task", "generator", "modality", "seed", "metric"],
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
    section.tables.append(
        Table(
            "Curve summaries",
            ["metric", "modality", "generator", "clean", "level 5", "normalised AUC [95% CI]", "worst-level drop [95% CI]", "n"],
            rows,
            text_columns=3,
        )
    )
    headline = _degradation_headline(metrics, summary)
    return section, headline


def _degradation_headline(metrics: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
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
        worst_point = metrics[
            (metrics["metric"] == primary)
            & (metrics["generator"] == worst["generator"])
            & (metrics["modality"] == worst["modality"])
            & (metrics["level"] == worst["worst_level"])
        ].iloc[0]
        items.append(
            f"Worst generator: {worst['generator']} on {worst['modality']}, {label} "
            f"{format_interval(worst_point['value'], worst_point['ci_low'], worst_point['ci_high'])} at level "
            f"{worst['worst_level']:g} (drop {format_interval(worst['value'], worst['ci_low'], worst['ci_high'])})."
        )
    return items


def render_report(root: str | Path) -> Path:
    """Render figures and ``report.html`` in ``root`` from its manifest and tables."""
    root = Path(root)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise RobustmedError(f"{root} holds no robustmed results (manifest.json not found). Run 'robustmed run' first.")
    manifest = json.loads(manifest_path.read_text())
    run_info_path = root / "run.json"
    run_info = json.loads(run_info_path.read_text()) if run_info_path.is_file() else {}
    recipe = manifest["recipe"]
    formats = recipe.get("report", {}).get("figure_formats", ["png", "pdf"])

    sections, summary = [], []
    built = _degradation_section(root, formats)
    if built is not None:
        sections.append(built[0])
        summary.extend(built[1])
    if not sections:
        raise RobustmedError(f"{root} holds no result tables to render; the run may not have finished.")

    provenance = [
        ("recipe", recipe["name"]),
        ("dataset", f"{manifest['data']['name']} ({manifest['data']['split']} split)"),
        ("data SHA-256", manifest["data"]["sha256"]),
        ("model", manifest["model"]["name"]),
        ("model SHA-256", manifest["model"]["sha256"]),
        ("generator root seed", str(manifest["seeds"]["root"])),
        ("bootstrap", f"{manifest['seeds']['bootstrap_resamples']} replicates, seed {manifest['seeds']['bootstrap']}"),
        ("device", manifest["device"]),
        ("time taken", f"{run_info['seconds']:.1f} s" if "seconds" in run_info else "not recorded"),
        ("robustmed", manifest["versions"].get("robustmed", "")),
    ]
    environment = Environment(
        loader=PackageLoader("robustmed.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    html = environment.get_template("report.html.j2").render(
        title=recipe.get("report", {}).get("title", "robustmed report"),
        description=recipe.get("description", ""),
        summary=summary,
        sections=sections,
        provenance=provenance,
        recipe_yaml=yaml.safe_dump(recipe, sort_keys=False),
        versions=json.dumps(manifest["versions"], indent=2),
    )
    path = root / "report.html"
    atomic_write_text(path, html)
    return path
