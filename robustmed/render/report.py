"""Render stored results into figures, tables and one self-contained HTML report.

Rendering reads only the output folder (manifest and tables), never a model, so
``robustmed report DIR`` can rebuild everything from stored results.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from robustmed.engine.store import atomic_write_text
from robustmed.errors import RobustmedError


def _provenance(manifest: dict, run_info: dict) -> list[tuple[str, str]]:
    return [
        ("recipe", manifest["recipe"]["name"]),
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


def render_report(root: str | Path) -> Path:
    """Render figures and ``report.html`` in ``root`` from its manifest and tables."""
    from robustmed.evaluators.registry import evaluators

    root = Path(root)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise RobustmedError(f"{root} holds no robustmed results (manifest.json not found). Run 'robustmed run' first.")
    manifest = json.loads(manifest_path.read_text())
    run_info_path = root / "run.json"
    run_info = json.loads(run_info_path.read_text()) if run_info_path.is_file() else {}
    recipe = manifest["recipe"]
    formats = recipe.get("report", {}).get("figure_formats", ["png", "pdf"])

    registered = evaluators()
    sections, summary = [], []
    for analysis in recipe["analyses"]:
        evaluator = registered.get(analysis["kind"])
        part = evaluator.section(root, formats) if evaluator is not None else None
        if part is not None:
            sections.append(part.section)
            summary.extend(part.headline)
    if not sections:
        raise RobustmedError(f"{root} holds no result tables to render; the run may not have finished.")

    environment = Environment(
        loader=PackageLoader("robustmed.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    html = environment.get_template("report.html.j2").render(
        title=recipe.get("report", {}).get("title", "robustmed report"),
        description=recipe.get("description", ""),
        summary=summary,
        sections=sections,
        provenance=_provenance(manifest, run_info),
        recipe_yaml=yaml.safe_dump(recipe, sort_keys=False),
        versions=json.dumps(manifest["versions"], indent=2),
    )
    path = root / "report.html"
    atomic_write_text(path, html)
    return path
