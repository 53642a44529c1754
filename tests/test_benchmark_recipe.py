import json

import pytest

from robustmed.api import run_recipe
from robustmed.benchmark import entry_recipe
from robustmed.errors import RecipeError, RobustmedError
from robustmed.recipes.loader import load_recipe, parse_recipe
from robustmed.render.report import render_report

ENTRY_STROKE = {
    "name": "stroke",
    "dataset": {"name": "ischemic_stroke"},
    "model": {"reference": "ischemic_stroke_late_fusion"},
    "analyses": [
        {"kind": "degradation", "generators": ["modality_absence"], "levels": [0, 5], "metrics": ["auroc"]}
    ],
}
ENTRY_ECG = {
    "name": "ecg",
    "dataset": {"name": "ecg_heart_rate"},
    "model": {"reference": "ecg_heart_rate_late_fusion"},
    "analyses": [
        {"kind": "degradation", "generators": ["signal_white_noise"], "levels": [0, 5], "metrics": ["auroc", "brier"]}
    ],
}


def _recipe(**changes):
    data = {
        "name": "mini",
        "bootstrap": {"n_resamples": 20},
        "benchmark": [ENTRY_STROKE, ENTRY_ECG],
        "report": {"title": "two entries", "figure_formats": ["png"]},
    }
    data.update(changes)
    return data


def test_benchmark_runs_each_entry_into_subfolder(tmp_path):
    root = run_recipe(parse_recipe(_recipe()), tmp_path / "out")
    record = json.loads((root / "benchmark.json").read_text())
    assert [entry["name"] for entry in record["entries"]] == ["stroke", "ecg"]
    assert record["entries"][1]["modalities"] == {"ecg": "signal"}
    for entry in ("stroke", "ecg"):
        manifest = json.loads((root / entry / "manifest.json").read_text())
        assert manifest["recipe"]["name"] == f"mini.{entry}"
        assert (root / entry / "tables" / "degradation_metrics.parquet").is_file()
        assert (root / entry / "report.html").is_file()
    html = (root / "report.html").read_text()
    assert 'id="stroke-degradation"' in html
    assert 'id="ecg-degradation"' in html
    assert "2 entries covering 2 modality kinds: signal, tabular." in html


def test_benchmark_report_rerenders_from_folder(tmp_path):
    root = run_recipe(parse_recipe(_recipe(benchmark=[ENTRY_STROKE])), tmp_path / "out")
    (root / "report.html").unlink()
    assert render_report(root) == root / "report.html"
    assert 'id="stroke-degradation"' in (root / "report.html").read_text()


def test_benchmark_output_folder_not_reused(tmp_path):
    recipe = parse_recipe(_recipe(benchmark=[ENTRY_STROKE]))
    run_recipe(recipe, tmp_path / "out")
    with pytest.raises(RobustmedError, match="pass --resume"):
        run_recipe(recipe, tmp_path / "out")
    assert run_recipe(recipe, tmp_path / "out", resume=True) == tmp_path / "out"


def test_entry_recipe_shares_top_level_settings():
    recipe = parse_recipe(_recipe(seed=7))
    single = entry_recipe(recipe, recipe.benchmark[1])
    assert single.seed == 7
    assert single.bootstrap.n_resamples == 20
    assert single.dataset.name == "ecg_heart_rate"
    assert single.benchmark is None


def test_single_dataset_fields_rejected_beside_benchmark():
    with pytest.raises(RecipeError, match="remove the top-level dataset"):
        parse_recipe(_recipe(dataset={"name": "ad_data"}))


def test_recipe_without_dataset_or_benchmark_rejected():
    with pytest.raises(RecipeError, match="missing dataset, model, analyses"):
        parse_recipe({"name": "empty"})


def test_duplicate_entry_names_rejected():
    with pytest.raises(RecipeError, match="entry names must be unique"):
        parse_recipe(_recipe(benchmark=[ENTRY_STROKE, ENTRY_STROKE]))


def test_multimed_mini_covers_seven_kinds():
    from robustmed.data import load_dataset

    recipe = load_recipe("multimed_mini")
    kinds = {spec.kind.value for entry in recipe.benchmark for spec in load_dataset(entry.dataset.name).specs.values()}
    assert len(kinds) >= 7
    analyses = {analysis.kind for entry in recipe.benchmark for analysis in entry.analyses}
    assert {"degradation", "ablation", "transfer", "fairness"} <= analyses
