"""A small real run on the bundled data, shared by the rendering tests."""

import shutil

import pytest


SMALL_RECIPE = {
    "name": "render_small",
    "description": "Two generators on the Alzheimer's biomarkers, few replicates.",
    "dataset": {"name": "ad_data", "split": "test"},
    "model": {"reference": "ad_late_fusion"},
    "bootstrap": {"n_resamples": 50, "confidence": 0.95},
    "analyses": [
        {
            "kind": "degradation",
            "generators": ["multiplicative_noise", "modality_absence"],
            "levels": [0, 3, 5],
            "metrics": ["auroc", "brier"],
        }
    ],
    "report": {"title": "Render test", "figure_formats": ["png", "pdf", "svg"]},
}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """Output folder of a finished small degradation run (do not modify; copy it)."""
    from robustmed.api import run_recipe
    from robustmed.recipes.loader import parse_recipe

    root = tmp_path_factory.mktemp("render") / "small"
    run_recipe(parse_recipe(SMALL_RECIPE), root)
    return root


@pytest.fixture
def run_copy(small_run, tmp_path):
    """A private copy of the small run that a test may change."""
    target = tmp_path / "copy"
    shutil.copytree(small_run, target)
    return target
