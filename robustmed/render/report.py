"""Render stored results into figures, tables and one self-contained HTML report.

Rendering reads only the output folder (manifest, tables and stored predictions),
never a model, so ``robustmed report DIR`` can rebuild everything from stored results.
The steps are public so that reports over several runs reuse them:
:func:`load_run` reads a folder, :func:`build_report` turns it into a
:class:`ReportContent` (summary, sections, provenance), and :func:`render_html`
fills the template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from robustmed.engine.store import atomic_write_text
from robustmed.errors import RobustmedError
from robustmed.render.findings import table_findings
from robustmed.render.html import FIGURES, FINDING_LABELS, Finding, ReportPart, Section
from robustmed.render.pseudonym import KEY_FILE
from robustmed.render.tables import export_section_tables

REPORT = "report.html"
DEFAULT_FORMATS = ["png", "pdf"]
VECTOR_FORMATS = ("pdf", "svg")


@dataclass
class RunResults:
    """An output folder's path, manifest and run record, as rendering reads them."""

    root: Path
    manifest: dict
    run_info: dict

    @property
    def recipe(self) -> dict:
        return self.manifest["recipe"]

    @property
    def formats(self) -> list[str]:
        return list(self.recipe.get("report", {}).get("figure_formats", DEFAULT_FORMATS))


@dataclass
class SummaryItem:
    """One row of the summary panel: a finding and the anchor of the section it comes from."""

    label: str
    text: str
    anchor: str


@dataclass
class ReportContent:
    """Everything the report template shows, built from stored results only."""

    title: str
    description: str
    findings: list[SummaryItem]
    headlines: list[tuple[str, str]]
    sections: list[Section]
    provenance: list[tuple[str, str]]
    versions: list[tuple[str, str]]
    recipe_yaml: str
    confidence: float = 0.95
    interval_method: str = "percentile"
    context: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _interval_method_name(recipe: dict) -> str:
    """Return the printed name of a run's interval method, "BCa" or "percentile".

    Runs recorded before BCa became the default carry no method and used percentile.
    """
    method = recipe.get("bootstrap", {}).get("method", "percentile")
    return "BCa" if method == "bca" else method


def load_run(root: str | Path) -> RunResults:
    """Read ``manifest.json`` and ``run.json`` of an output folder.

    Raises
    ------
    RobustmedError
        If the folder contains no manifest.
    """
    root = Path(root)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise RobustmedError(f"{root} contains no robustmed results (manifest.json not found). Run 'robustmed run' first.")
    manifest = json.loads(manifest_path.read_text())
    run_info_path = root / "run.json"
    run_info = json.loads(run_info_path.read_text()) if run_info_path.is_file() else {}
    return RunResults(root, manifest, run_info)


def interval_note(run: RunResults) -> str:
    """Return the sentence that names the run's interval method, for exported tables."""
    confidence = float(run.recipe.get("bootstrap", {}).get("confidence", 0.95))
    method = _interval_method_name(run.recipe)
    return f"Intervals: {confidence:.0%} {method} bootstrap intervals over patients, stratified by class."


def collect_parts(run: RunResults) -> tuple[list[ReportPart], list[str]]:
    """Build the report part of every analysis in the recipe; also return notes on kinds not rendered.

    Building a part also writes that section's figures and its summary tables (CSV,
    Markdown, LaTeX) under the output folder.
    """
    # The recipe schema builds its analysis union from the evaluator registry while evaluator
    # modules import recipe helpers, so the recipes package must load first.
    import robustmed.recipes  # noqa: F401
    from robustmed.evaluators.registry import evaluators

    registered = evaluators()
    parts, notes = [], []
    note = interval_note(run)
    for analysis in run.recipe["analyses"]:
        kind = analysis["kind"]
        evaluator = registered.get(kind)
        if evaluator is None:
            notes.append(f"Analysis kind {kind!r} is not registered in this robustmed version; its tables were not rendered.")
            continue
        part = evaluator.section(run.root, run.formats)
        if part is None:
            notes.append(f"Analysis kind {kind!r} has no stored tables; the run may not have finished.")
            continue
        export_section_tables(run.root, part.section.anchor, part.section.tables, note=note)
        parts.append(part)
    return parts, notes


def summarise(
    parts: list[ReportPart], extra: list[tuple[Finding, str]] = ()
) -> tuple[list[SummaryItem], list[tuple[str, str]]]:
    """Merge the parts' findings and headline sentences into the summary panel.

    ``extra`` adds (finding, section anchor) pairs, such as those that
    :func:`robustmed.render.findings.table_findings` reads from stored tables; a
    pair whose anchor no part has is ignored.

    Returns the findings and the remaining headline sentences with their section
    anchors. Findings list the labels of :data:`FINDING_LABELS` first, in that order,
    then other labels in section order. Per label, the finding of highest priority wins.
    """
    chosen: dict[str, tuple[Finding, str]] = {}
    anchors = {part.section.anchor for part in parts}
    for finding, anchor in extra:
        current = chosen.get(finding.label)
        if anchor in anchors and (current is None or finding.priority > current[0].priority):
            chosen[finding.label] = (finding, anchor)
    headlines = []
    for part in parts:
        anchor = part.section.anchor
        candidates = list(part.findings)
        for sentence in part.headline:
            label, _, rest = sentence.partition(":")
            if label.strip() in FINDING_LABELS and rest.strip():
                candidates.append(Finding(label.strip(), rest.strip()))
            else:
                headlines.append((sentence, anchor))
        for finding in candidates:
            current = chosen.get(finding.label)
            if current is None or finding.priority > current[0].priority:
                chosen[finding.label] = (finding, anchor)
    order = [label for label in FINDING_LABELS if label in chosen]
    order += [label for label in chosen if label not in FINDING_LABELS]
    findings = [SummaryItem(label, chosen[label][0].text, chosen[label][1]) for label in order]
    return findings, headlines


def recipe_yaml(recipe: dict) -> str:
    """Dump a recipe as YAML in the order recipes are written: name first, analyses by kind.

    The manifest stores the recipe with sorted keys; this order reads like the recipe file.
    """
    first = ("name", "description", "dataset", "model", "device", "batch_size", "seed", "bootstrap", "analyses")
    ordered = {key: recipe[key] for key in first if key in recipe}
    ordered |= {key: value for key, value in recipe.items() if key not in ordered}
    ordered["analyses"] = [
        {"kind": analysis.get("kind"), **{k: v for k, v in analysis.items() if k != "kind"}}
        for analysis in recipe.get("analyses", [])
    ]
    return yaml.dump(ordered, Dumper=_RecipeDumper, sort_keys=False, allow_unicode=True)


class _RecipeDumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line strings (a folded description) as literal blocks."""


def _represent_string(dumper: yaml.SafeDumper, text: str):
    """Represent a string, dropping the line breaks a folded YAML block leaves around it."""
    if "\n" not in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text)
    text = text.strip()
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_RecipeDumper.add_representer(str, _represent_string)


def provenance(run: RunResults) -> list[tuple[str, str]]:
    """Rows of the provenance block: recipe, data, model, seeds, device and time taken."""
    manifest, run_info = run.manifest, run.run_info
    seeds = manifest.get("seeds", {})
    bootstrap = run.recipe.get("bootstrap", {})
    rows = [
        ("recipe", run.recipe.get("name", "")),
        ("recipe SHA-256", manifest.get("recipe_sha256", "not recorded")),
        ("dataset", f"{manifest['data']['name']} ({manifest['data']['split']} split)"),
        ("data SHA-256", manifest["data"]["sha256"]),
        ("model", manifest["model"]["name"]),
        ("model SHA-256", manifest["model"]["sha256"]),
        ("generator root seed", str(seeds.get("root", "not recorded"))),
        (
            "bootstrap",
            f"{seeds.get('bootstrap_resamples', '?')} replicates, seed {seeds.get('bootstrap', '?')}, "
            f"{bootstrap.get('confidence', 0.95):.0%} {_interval_method_name(run.recipe)} intervals, "
            f"{bootstrap.get('scheme', 'multinomial')} weights",
        ),
        ("cells", str(run_info.get("cells", len(manifest.get("cells", []))))),
        ("device", manifest.get("device", "not recorded")),
        ("time taken", _run_time(run_info, decimals=1) if "seconds" in run_info else "not recorded"),
        ("sample ids", f"HMAC-SHA256 pseudonyms keyed by {KEY_FILE} in the output folder (not in this report)"),
    ]
    return rows


def run_context(run: RunResults) -> list[tuple[str, str]]:
    """List the facts shown under the report title: dataset, model, recipe and run time."""
    manifest, seconds = run.manifest, run.run_info.get("seconds")
    context = [
        ("dataset", f"{manifest['data']['name']} ({manifest['data']['split']} split)"),
        ("model", manifest["model"]["name"]),
        ("recipe", run.recipe.get("name", "")),
    ]
    if seconds is not None:
        context.append(("run time", _run_time(run.run_info)))
    return context


def _run_time(run_info: dict, decimals: int = 0) -> str:
    """Return the run time as shown in the report, saying when it spans resumed sessions."""
    text = f"{run_info['seconds']:.{decimals}f} s"
    sessions = int(run_info.get("sessions", 1))
    if sessions > 1:
        text += f" over {sessions} sessions"
    if run_info.get("seconds_complete") is False:
        text += ", without the time before an interruption"
    return text


def build_report(run: RunResults) -> ReportContent:
    """Build figures, summary tables and the report content of one run.

    Raises
    ------
    RobustmedError
        If no analysis of the recipe has stored tables.
    """
    parts, notes = collect_parts(run)
    if not parts:
        raise RobustmedError(f"{run.root} contains no result tables to render; the run may not have finished.")
    findings, headlines = summarise(parts, table_findings(run.root))
    sections = [part.section for part in parts]
    for section in sections:
        _link_vector_files(run.root, section)
    return ReportContent(
        title=run.recipe.get("report", {}).get("title", "robustmed report"),
        description=run.recipe.get("description", ""),
        findings=findings,
        headlines=headlines,
        sections=sections,
        provenance=provenance(run),
        versions=sorted(run.manifest.get("versions", {}).items()),
        recipe_yaml=recipe_yaml(run.recipe),
        confidence=float(run.recipe.get("bootstrap", {}).get("confidence", 0.95)),
        interval_method=_interval_method_name(run.recipe),
        context=run_context(run),
        notes=notes,
    )


def _link_vector_files(root: Path, section: Section) -> None:
    """Record, per figure, the vector files next to its PNG, for links beside the image."""
    for figure in section.figures:
        stem = figure.get("stem")
        if not stem or "vectors" in figure:
            continue
        figure["vectors"] = [
            f"{FIGURES}/{stem}.{fmt}" for fmt in VECTOR_FORMATS if (root / FIGURES / f"{stem}.{fmt}").is_file()
        ]


def template_environment() -> Environment:
    """Create the Jinja2 environment of robustmed's templates, which HTML-escapes every value."""
    return Environment(
        loader=PackageLoader("robustmed.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render_html(content: ReportContent) -> str:
    """Fill the report template with ``content``."""
    return template_environment().get_template("report.html.j2").render(report=content)


def render_report(root: str | Path) -> Path:
    """Render figures, tables and ``report.html`` in ``root`` from its manifest and stored results.

    A benchmark folder (one with ``benchmark.json``) gets the combined report of its entries.
    """
    if (Path(root) / "benchmark.json").is_file():
        from robustmed.render.benchmark import render_benchmark_report

        return render_benchmark_report(root)
    run = load_run(root)
    content = build_report(run)
    path = run.root / REPORT
    atomic_write_text(path, render_html(content))
    return path
