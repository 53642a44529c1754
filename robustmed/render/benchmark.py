"""Combine the per-entry results of a benchmark run into one report, grouped per entry.

Each entry folder is an ordinary run folder, so its sections come from
:func:`robustmed.render.report.build_report`; this module prefixes their anchors
and titles with the entry name, adds an overview section per entry and a table
over all entries, and fills the same template.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from robustmed.engine.store import atomic_write_text
from robustmed.errors import RobustmedError
from robustmed.render.html import Section, Table
from robustmed.render.report import REPORT, ReportContent, SummaryItem, build_report, load_run, render_html

BENCHMARK_FILE = "benchmark.json"


def _prefixed(section: Section, entry: str) -> Section:
    """Give an entry's section a unique anchor, a title that names the entry, and links into its folder."""
    figures = []
    for figure in section.figures:
        figure = dict(figure)
        if figure.get("vectors"):
            figure["vectors"] = [f"{entry}/{path}" for path in figure["vectors"]]
        figures.append(figure)
    return Section(
        anchor=f"{entry}-{section.anchor}",
        title=f"{entry}: {section.title}",
        paragraphs=list(section.paragraphs),
        figures=figures,
        tables=list(section.tables),
    )


def _overview_table(entries: list[dict], seconds: dict) -> Table:
    rows = []
    for entry in entries:
        kinds = sorted(set(entry.get("modalities", {}).values()))
        took = seconds.get(entry["name"])
        rows.append(
            [
                entry["name"],
                entry["dataset"],
                entry["model"],
                ", ".join(kinds) or "not recorded",
                ", ".join(entry["kinds"]),
                f"{took:.0f}" if took is not None else "not recorded",
            ]
        )
    columns = ["entry", "dataset", "model", "modality kinds", "analyses", "run time (s)"]
    return Table("Benchmark entries", columns, rows, text_columns=5)


def _entry_overview(entry: dict, manifest: dict) -> Section:
    modalities = entry.get("modalities", {})
    described = ", ".join(f"{name} ({kind})" for name, kind in modalities.items()) or "not recorded"
    paragraph = (
        f"Dataset {entry['dataset']} ({manifest['data']['split']} split), model {entry['model']}. "
        f"Modalities: {described}. Analyses: {', '.join(entry['kinds'])}. "
        "The bundled datasets' cards in robustmed's docs/datasets/ say what is real and what is derived."
    )
    return Section(anchor=entry["name"], title=f"{entry['name']}: overview", paragraphs=[paragraph])


def build_benchmark_report(root: str | Path) -> ReportContent:
    """Build the combined report content of a benchmark folder from stored results only.

    Raises
    ------
    RobustmedError
        If ``root`` contains no ``benchmark.json`` or no entry has stored results.
    """
    root = Path(root)
    path = root / BENCHMARK_FILE
    if not path.is_file():
        raise RobustmedError(f"{root} contains no benchmark results ({BENCHMARK_FILE} not found).")
    record = json.loads(path.read_text())
    run_info_path = root / "run.json"
    run_info = json.loads(run_info_path.read_text()) if run_info_path.is_file() else {}
    recipe = record["recipe"]

    sections: list[Section] = []
    findings: list[SummaryItem] = []
    headlines: list[tuple[str, str]] = []
    provenance: list[tuple[str, str]] = [("recipe", recipe.get("name", "")), ("entries", str(len(record["entries"])))]
    notes: list[str] = []
    versions: list[tuple[str, str]] = []
    for entry in record["entries"]:
        name = entry["name"]
        entry_root = root / name
        if not (entry_root / "manifest.json").is_file():
            notes.append(f"Entry {name!r} has no stored results; the run may not have finished.")
            continue
        content = build_report(load_run(entry_root))
        manifest = json.loads((entry_root / "manifest.json").read_text())
        sections.append(_entry_overview(entry, manifest))
        sections.extend(_prefixed(section, name) for section in content.sections)
        findings.extend(SummaryItem(f"{name}: {item.label}", item.text, f"{name}-{item.anchor}") for item in content.findings)
        headlines.extend((f"{name}: {sentence}", f"{name}-{anchor}") for sentence, anchor in content.headlines)
        notes.extend(f"{name}: {note}" for note in content.notes)
        provenance.extend((f"{name}: {key}", value) for key, value in content.provenance if key != "recipe")
        versions = versions or content.versions
    if not sections:
        raise RobustmedError(f"{root} contains no entry results to render; the benchmark run may not have finished.")

    kinds = sorted({kind for entry in record["entries"] for kind in entry.get("modalities", {}).values()})
    overview = Section(
        "benchmark",
        "Benchmark overview",
        paragraphs=[f"{len(record['entries'])} entries covering {len(kinds)} modality kinds: {', '.join(kinds)}."],
        tables=[_overview_table(record["entries"], run_info.get("entries", {}))],
    )
    context = [("recipe", recipe.get("name", "")), ("entries", str(len(record["entries"]))), ("modality kinds", str(len(kinds)))]
    if "seconds" in run_info:
        context.append(("run time", f"{run_info['seconds']:.0f} s"))
    return ReportContent(
        title=recipe.get("report", {}).get("title", "robustmed report"),
        description=recipe.get("description", ""),
        findings=findings,
        headlines=headlines,
        sections=[overview, *sections],
        provenance=provenance,
        versions=versions,
        recipe_yaml=yaml.safe_dump(recipe, sort_keys=False),
        confidence=float(recipe.get("bootstrap", {}).get("confidence", 0.95)),
        context=context,
        notes=notes,
    )


def render_benchmark_report(root: str | Path) -> Path:
    """Render ``report.html`` of a benchmark folder, with every entry's sections grouped per entry."""
    root = Path(root)
    path = root / REPORT
    atomic_write_text(path, render_html(build_benchmark_report(root)))
    return path
