"""Command-line interface: ``robustmed run``, ``list``, ``report``, ``calibrate`` and ``preview``."""

from __future__ import annotations

import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="robustmed",
    help="Measure how multimodal medical AI models hold up when their inputs get worse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USAGE = 2


class Device(StrEnum):
    cpu = "cpu"
    cuda = "cuda"


class Catalogue(StrEnum):
    generators = "generators"
    recipes = "recipes"
    datasets = "datasets"
    all = "all"


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print robustmed's own warnings as one plain line; others keep Python's format."""
    from robustmed.errors import SmallGroupWarning

    if issubclass(category, SmallGroupWarning):
        typer.echo(f"Warning: {message}", err=True)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


_default_show_warning = warnings.showwarning


@app.callback()
def main(ctx: typer.Context) -> None:
    """Measure how multimodal medical AI models hold up when their inputs get worse."""
    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))


def _progress(items):
    from tqdm.auto import tqdm

    items = list(items)
    return tqdm(items, desc="cells", unit="cell", disable=None, file=sys.stderr)


@app.command()
def run(
    recipe: Annotated[str, typer.Argument(help="Recipe file, or the name of a built-in recipe (see 'robustmed list recipes').")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder. Default: a new folder under reports/."),
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run in --out, skipping stored cells.")] = False,
    device: Annotated[Device | None, typer.Option("--device", help="Device for models and generators; overrides the recipe.")] = None,
) -> None:
    """Run an analysis recipe and write tables, figures and an HTML report."""
    from robustmed.errors import RobustmedError
    from robustmed.recipes.loader import load_recipe

    try:
        parsed = load_recipe(recipe)
    except RobustmedError as error:
        _fail(str(error))
    from robustmed.api import run_recipe

    from robustmed.errors import OutputFolderError, RecipeError

    try:
        root = run_recipe(parsed, out, resume=resume, device=device.value if device else None, progress=_progress)
    except (RecipeError, OutputFolderError) as error:  # checks that need the dataset or model, and --out
        _fail(str(error))
    except RobustmedError as error:
        _fail(str(error), code=1)
    typer.echo(f"Report: {root / 'report.html'}")
    typer.echo(f"Tables: {root / 'tables'}")


@app.command("list")
def list_catalogue(
    what: Annotated[Catalogue, typer.Argument(help="What to list.")] = Catalogue.all,
) -> None:
    """List generators, built-in recipes and bundled datasets."""
    if what in (Catalogue.generators, Catalogue.all):
        from robustmed.generators.registry import build_generator, generator_names

        typer.echo("Generators:")
        for name in generator_names():
            generator = build_generator(name)
            kinds = ", ".join(sorted(generator.kinds))
            ladder = generator.ladder
            values = ", ".join(f"{v:g}" for v in ladder.values)
            typer.echo(f"  {name:<24} {generator.description} [{kinds}]; {ladder.parameter} at levels 1-5: {values}")
    if what in (Catalogue.recipes, Catalogue.all):
        from robustmed.recipes.loader import builtin_recipes

        typer.echo("Recipes:")
        for name, path in builtin_recipes().items():
            typer.echo(f"  {name:<24} {path}")
    if what in (Catalogue.datasets, Catalogue.all):
        from robustmed.data.datasets import available_datasets

        typer.echo("Datasets:")
        for name in available_datasets():
            typer.echo(f"  {name}")


@app.command()
def report(
    results_dir: Annotated[Path, typer.Argument(help="Output folder of an earlier 'robustmed run'.")],
) -> None:
    """Re-render figures and the HTML report from stored results, without loading models."""
    from robustmed.errors import RobustmedError
    from robustmed.render.report import render_report

    try:
        path = render_report(results_dir)
    except RobustmedError as error:
        _fail(str(error), code=1)
    typer.echo(f"Report: {path}")


@app.command()
def calibrate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for calibration.csv and calibration.md.")] = Path(
        "reports/calibration"
    ),
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", help="Modality kind to calibrate (repeatable). Default: all.")] = None,
    generator: Annotated[
        list[str] | None, typer.Option("--generator", "-g", help="Generator to calibrate (repeatable). Default: all.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Root seed of the generators' random numbers.")] = 0,
) -> None:
    """Measure fidelity loss per severity level of each generator on real samples.

    Exits with status 1 when a loss falls as the level rises; warns about flat rows.
    """
    from robustmed.errors import RobustmedError
    from robustmed.generators.calibration import calibrate as run_calibration
    from robustmed.generators.calibration import write_calibration

    command = " ".join(["robustmed calibrate", *[f"--kind {k}" for k in kind or []], *[f"--generator {g}" for g in generator or []]])
    try:
        table = run_calibration(kind, generator, root_seed=seed)
    except RobustmedError as error:
        _fail(str(error))
    csv_path, md_path, summary = write_calibration(table, out, command)
    typer.echo(f"Calibrated {len(summary)} generator-sample pairs.")
    typer.echo(f"Table: {csv_path}")
    typer.echo(f"Summary: {md_path}")
    flat = summary[summary["monotone"] & summary["flat"]]
    if not flat.empty:
        pairs = ", ".join(f"{row.generator} on {row.sample}" for row in flat.itertuples())
        typer.echo(f"Warning: fidelity loss barely changes from level 1 to level 5 for: {pairs}.", err=True)
    failing = summary[~summary["monotone"]]
    if not failing.empty:
        pairs = ", ".join(f"{row.generator} on {row.sample}" for row in failing.itertuples())
        _fail(f"fidelity loss does not grow with the level for: {pairs}.", code=1)


@app.command()
def preview(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for index.html and figures/.")] = Path("reports/preview"),
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", help="Modality kind to show (repeatable). Default: all.")] = None,
    generator: Annotated[
        list[str] | None, typer.Option("--generator", "-g", help="Generator to show (repeatable). Default: all.")
    ] = None,
) -> None:
    """Render a gallery of every generator at levels 0-5 on a real sample of its modality."""
    from robustmed.errors import RobustmedError
    from robustmed.render.gallery import render_gallery

    try:
        path = render_gallery(out, kind, generator)
    except RobustmedError as error:
        _fail(str(error))
    typer.echo(f"Gallery: {path}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
