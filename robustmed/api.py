"""Python entry point: run a recipe end to end into an output folder."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import torch

from robustmed.data.datasets import load_dataset
from robustmed.engine.provenance import json_checksum, package_versions
from robustmed.engine.runner import Runner
from robustmed.engine.store import PredictionStore, atomic_write_text
from robustmed.errors import OutputFolderError, RobustmedError
from robustmed.evaluators.base import RunContext
from robustmed.evaluators.registry import get_evaluator
from robustmed.models.registry import load_reference_adapter, reference_checksum
from robustmed.recipes.loader import load_recipe
from robustmed.recipes.schema import Recipe
from robustmed.render.html import write_table
from robustmed.render.report import render_report
from robustmed.stats.bootstrap import Resampler

logger = logging.getLogger(__name__)

Progress = Callable[[Iterable], Iterable]


def default_output_dir(recipe: Recipe, base: Path = Path("reports")) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return base / f"{recipe.name}-{stamp}"


def _check_device(device: str) -> None:
    if device == "cuda" and not torch.cuda.is_available():
        raise RobustmedError("Device 'cuda' was requested but CUDA is not available; use --device cpu.")


def _manifest(recipe: Recipe, dataset, model_sha: str, cell_ids: list[str]) -> dict:
    recipe_dict = recipe.model_dump(mode="json")
    return {
        "format": 1,
        "recipe": recipe_dict,
        "recipe_sha256": json_checksum({k: v for k, v in recipe_dict.items() if k != "device"}),
        "seeds": {
            "root": recipe.seed,
            "bootstrap": recipe.bootstrap.seed,
            "bootstrap_resamples": recipe.bootstrap.n_resamples,
        },
        "data": {"name": dataset.name, "split": recipe.dataset.split, "sha256": dataset.checksum()},
        "model": {"name": recipe.model.reference, "sha256": model_sha},
        "device": recipe.device,
        "versions": package_versions(),
        "cells": cell_ids,
    }


def _run_info(root: Path, started: float, cells: int, resume: bool) -> dict:
    """Return run.json's content; a resumed run adds its time to the time recorded before."""
    seconds = time.perf_counter() - started
    info = {"seconds": round(seconds, 3), "cells": cells}
    if not resume:
        return info
    path = root / "run.json"
    # A killed run wrote no run.json, so the time before the interruption is unknown.
    previous = json.loads(path.read_text()) if path.is_file() else {"seconds_complete": False}
    info["sessions"] = int(previous.get("sessions", 1)) + 1
    info["seconds"] = round(seconds + float(previous.get("seconds", 0.0)), 3)
    if previous.get("seconds_complete") is False:
        info["seconds_complete"] = False
    return info


def _check_resume(store: PredictionStore, manifest: dict, resume: bool) -> None:
    if store.root.exists() and not store.root.is_dir():
        raise OutputFolderError(f"Output path {store.root} is a file; --out must name a new or empty folder.")
    previous = store.read_manifest()
    if previous is None:
        if store.folder.is_dir() and any(store.folder.iterdir()):
            raise OutputFolderError(f"{store.root} contains predictions but no manifest.json; choose a new --out folder.")
        if store.root.is_dir() and any(store.root.iterdir()):
            # Never mix run outputs into a folder of unrelated files.
            raise OutputFolderError(
                f"Output folder {store.root} is not empty and contains no robustmed run; "
                "choose a new or empty --out folder."
            )
        return
    if not resume:
        raise OutputFolderError(
            f"Output folder {store.root} already contains results; pass --resume to continue that run "
            "or choose a new --out folder."
        )
    for key in ("recipe_sha256", "data", "model"):
        if previous.get(key) != manifest[key]:
            raise OutputFolderError(
                f"Cannot resume in {store.root}: its {key.replace('_sha256', '')} differs from this run's. "
                "Use a new --out folder."
            )


def run_recipe(
    recipe: Recipe | str | Path,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    device: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Run every analysis of ``recipe`` and render its report; return the output folder.

    Parameters
    ----------
    recipe : Recipe, path or built-in recipe name
    out : path, optional
        Output folder; default: a new folder under ``reports/``.
    resume : bool, default=False
        Continue a run in ``out``, skipping cells whose predictions are stored.
    device : {"cpu", "cuda"}, optional
        Overrides the recipe's device.
    """
    started = time.perf_counter()
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    if device is not None:
        recipe = recipe.model_copy(update={"device": device})
    _check_device(recipe.device)
    root = Path(out) if out is not None else default_output_dir(recipe)
    if recipe.benchmark is not None:
        from robustmed.benchmark import run_benchmark

        return run_benchmark(recipe, root, resume=resume, progress=progress)

    dataset = load_dataset(recipe.dataset.name)
    batch = dataset.split(recipe.dataset.split)
    adapter = load_reference_adapter(recipe.model.reference)
    store = PredictionStore(root)
    runner = Runner(adapter, batch, dataset.specs, store, device=recipe.device, batch_size=recipe.batch_size)
    task = next(iter(dataset.tasks))
    # NOTE: ablation, fairness, shift and transfer evaluate the dense (n_resamples, n) weight matrix,
    # 8 bytes per entry and built on first use. Only degradation streams when it would exceed 1 GiB.
    resampler = Resampler(
        batch.targets[task].numpy(),
        clusters=batch.patient_ids,
        seed=recipe.bootstrap.seed,
        scheme=recipe.bootstrap.scheme,
    )
    context = RunContext(
        recipe=recipe, dataset=dataset, batch=batch, adapter=adapter, runner=runner, store=store,
        root=root, resampler=resampler, n_resamples=recipe.bootstrap.n_resamples,
        confidence=recipe.bootstrap.confidence,
    )

    analyses = [(get_evaluator(spec.kind), spec) for spec in recipe.analyses]
    for evaluator, spec in analyses:
        evaluator.validate(spec, context)
    cells = {spec.kind: evaluator.cells(spec, context) for evaluator, spec in analyses}
    all_cells = [cell for kind_cells in cells.values() for cell in kind_cells]

    manifest = _manifest(recipe, dataset, reference_checksum(recipe.model.reference), [c.cell_id for c in all_cells])
    _check_resume(store, manifest, resume)
    root.mkdir(parents=True, exist_ok=True)
    store.write_manifest(manifest)
    runner.run(all_cells, resume=True, progress=progress)

    for evaluator, spec in analyses:
        kind_cells = [c.cell_id for c in cells[spec.kind]]
        predictions = store.read(kind_cells) if kind_cells else pd.DataFrame()
        for name, frame in evaluator.evaluate(spec, context, predictions).items():
            write_table(root, name, frame)

    atomic_write_text(root / "run.json", json.dumps(_run_info(root, started, len(all_cells), resume), indent=2) + "\n")
    render_report(root)
    logger.info("wrote %s", root / "report.html")
    return root


__all__ = ["run_recipe"]
