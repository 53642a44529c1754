"""Run a benchmark recipe: several datasets and models, one output subfolder each, one report.

A benchmark recipe lists entries, each with its own dataset, model and
analyses. Every entry runs as an ordinary single-dataset recipe into
``OUT/<entry name>/``, with its own manifest, tables and report, so it resumes
and re-renders on its own. ``OUT/benchmark.json`` records the entries, and
``OUT/report.html`` combines their sections, grouped per entry.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from robustmed.engine.store import atomic_write_text
from robustmed.errors import RobustmedError
from robustmed.recipes.schema import BenchmarkEntry, Recipe, ReportSpec

logger = logging.getLogger(__name__)

BENCHMARK_FILE = "benchmark.json"


def entry_recipe(recipe: Recipe, entry: BenchmarkEntry) -> Recipe:
    """Build the single-dataset recipe that runs ``entry`` with the benchmark's shared settings."""
    return Recipe(
        name=f"{recipe.name}.{entry.name}",
        description=recipe.description,
        dataset=entry.dataset,
        model=entry.model,
        device=recipe.device,
        batch_size=recipe.batch_size,
        seed=recipe.seed,
        bootstrap=recipe.bootstrap,
        analyses=entry.analyses,
        report=ReportSpec(title=f"{recipe.report.title}: {entry.name}", figure_formats=recipe.report.figure_formats),
    )


def _check_resume(root: Path, recipe: Recipe, resume: bool) -> None:
    path = root / BENCHMARK_FILE
    if not path.is_file():
        if root.is_dir() and any(root.iterdir()):
            raise RobustmedError(f"{root} is not empty and contains no {BENCHMARK_FILE}; choose a new --out folder.")
        return
    if not resume:
        raise RobustmedError(
            f"Output folder {root} already contains benchmark results; pass --resume to continue that run "
            "or choose a new --out folder."
        )
    previous = json.loads(path.read_text())
    if previous.get("recipe") != recipe.model_dump(mode="json", exclude={"device"}):
        raise RobustmedError(f"Cannot resume in {root}: its benchmark recipe differs from this one. Use a new --out folder.")


def run_benchmark(recipe: Recipe, root: Path, *, resume: bool = False, progress=None) -> Path:
    """Run every entry of a benchmark recipe into ``root/<entry>/`` and render the combined report.

    Parameters
    ----------
    recipe : Recipe
        A recipe whose ``benchmark`` list is set.
    root : Path
        Output folder.
    resume : bool, default=False
        Continue an interrupted benchmark: finished entries are skipped cell by cell.
    progress : callable, optional
        Wraps each entry's cell iterator, as in :func:`robustmed.api.run_recipe`.
    """
    from robustmed.api import run_recipe
    from robustmed.render.benchmark import render_benchmark_report

    if recipe.benchmark is None:
        raise RobustmedError(f"Recipe {recipe.name!r} has no benchmark entries.")
    started = time.perf_counter()
    _check_resume(root, recipe, resume)
    root.mkdir(parents=True, exist_ok=True)
    from robustmed.data.datasets import load_dataset

    entries = []
    for entry in recipe.benchmark:
        specs = load_dataset(entry.dataset.name).specs
        entries.append(
            {
                "name": entry.name,
                "dataset": entry.dataset.name,
                "model": entry.model.reference,
                "kinds": [analysis.kind for analysis in entry.analyses],
                "modalities": {name: spec.kind.value for name, spec in specs.items()},
            }
        )
    record = {"format": 1, "recipe": recipe.model_dump(mode="json", exclude={"device"}), "entries": entries}
    atomic_write_text(root / BENCHMARK_FILE, json.dumps(record, indent=2) + "\n")

    seconds = {}
    # NOTE: an entry's analyses are checked against its dataset and model only when the entry
    # runs, so an invalid later entry stops the run after earlier entries finished (they resume).
    for entry in recipe.benchmark:
        entry_root = root / entry.name
        entry_started = time.perf_counter()
        logger.info("benchmark entry %s: %s with %s", entry.name, entry.dataset.name, entry.model.reference)
        # An entry folder that already has a manifest is resumed; a new one starts fresh.
        entry_resume = resume and (entry_root / "manifest.json").is_file()
        run_recipe(entry_recipe(recipe, entry), entry_root, resume=entry_resume, progress=progress)
        seconds[entry.name] = round(time.perf_counter() - entry_started, 3)

    run_info = {"seconds": round(time.perf_counter() - started, 3), "entries": seconds}
    atomic_write_text(root / "run.json", json.dumps(run_info, indent=2) + "\n")
    render_benchmark_report(root)
    return root


def is_benchmark_folder(root: str | Path) -> bool:
    return (Path(root) / BENCHMARK_FILE).is_file()


__all__ = ["entry_recipe", "is_benchmark_folder", "run_benchmark"]
