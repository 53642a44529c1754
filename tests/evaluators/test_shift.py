"""Distribution-shift analysis: importance weights and an end-to-end site-shift run."""

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import robustmed.recipes  # noqa: F401  (imports the evaluator registry before an evaluator module)
from robustmed.cli import app
from robustmed.errors import SmallGroupWarning
from robustmed.evaluators.shift import CovariateShiftSpec, covariate_weights, kish_effective_n, prevalence_weights

RECIPE = {
    "name": "shift_test",
    "dataset": {"name": "ncctg_lung", "split": "test"},
    "model": {"reference": "ncctg_late_fusion"},
    "bootstrap": {"n_resamples": 20, "confidence": 0.95, "seed": 0},
    "analyses": [
        {
            "kind": "shift",
            "metrics": ["auroc", "balanced_accuracy", "brier"],
            "domain_column": "site",
            "min_group_size": 10,
            "prevalence": [0.3, 0.9],
            "covariate": {"attribute": "age", "strengths": [-1.0, 1.0]},
        },
        {
            "kind": "fairness",
            "attributes": ["sex"],
            "metrics": ["auroc"],
            "threshold": {"rule": "sensitivity", "target": 0.8, "split": "train"},
        },
    ],
    "report": {"figure_formats": ["png"]},
}


@pytest.fixture(scope="module")
def shift_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shift")
    recipe = folder / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    out = folder / "out"
    result = CliRunner().invoke(app, ["run", str(recipe), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # The CLI prints a SmallGroupWarning as one line starting "Warning: ".
    assert "Warning: Subgroup 'inst-33' of 'site' has 1 samples" in result.output
    names = ("shift_domains", "shift_gap", "shift_synthetic", "fairness_threshold")
    tables = {n: pd.read_parquet(out / "tables" / f"{n}.parquet") for n in names}
    return out, tables


def test_prevalence_weights_reach_target():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    for target in (0.1, 0.5, 0.9):
        weights = prevalence_weights(y, target)
        assert (weights * y).sum() / weights.sum() == pytest.approx(target, abs=1e-15)
        assert weights.mean() == pytest.approx(1.0, abs=1e-15)


def test_covariate_tilt_moves_mean_and_keeps_missing():
    ages = pd.Series([45.0, 55.0, 65.0, 75.0, np.nan])
    spec = CovariateShiftSpec(attribute="age", strengths=[1.0])
    assert np.allclose(covariate_weights(ages, spec, 0.0), 1.0)
    weights = covariate_weights(ages, spec, 1.0)
    assert weights[4] == 1.0
    present = ages.notna().to_numpy()
    assert np.average(ages[present], weights=weights[present]) > ages[present].mean()


def test_categorical_share_reaches_target():
    bands = pd.Series(["older", "younger", "younger", "middle"])
    spec = CovariateShiftSpec(attribute="age_band", strengths=[0.5], level="older")
    weights = covariate_weights(bands, spec, 0.5)
    assert weights[bands == "older"].sum() / weights.sum() == pytest.approx(0.5, abs=1e-15)


def test_kish_effective_n():
    assert kish_effective_n(np.ones(10)) == pytest.approx(10.0)
    assert kish_effective_n(np.array([1.0, 0.0, 0.0, 0.0])) == pytest.approx(1.0)


def test_in_domain_sites_are_training_sites(shift_run):
    from robustmed.data import load_dataset

    _, tables = shift_run
    domains = tables["shift_domains"]
    train_sites = set(load_dataset("ncctg_lung").split("train").metadata["site"])
    per_domain = domains[domains["domain_type"] == "domain"].drop_duplicates("subgroup")
    for _, row in per_domain.iterrows():
        assert (row["pool"] == "in-domain") == (row["subgroup"] in train_sites), row["subgroup"]
    pools = domains[(domains["domain_type"] == "pool") & (domains["metric"] == "auroc")].set_index("subgroup")
    assert pools.loc["in-domain", "n"] + pools.loc["out-of-domain", "n"] == pools.loc["all", "n"] == 119


def test_gap_is_ood_minus_id(shift_run):
    _, tables = shift_run
    pools = tables["shift_domains"]
    pools = pools[pools["domain_type"] == "pool"]
    gap = tables["shift_gap"]
    for metric in ("auroc", "brier"):
        by_pool = pools[pools["metric"] == metric].set_index("subgroup")["value"]
        row = gap[(gap["metric"] == metric) & (gap["measure"] == "ood_minus_id")].iloc[0]
        assert row["value"] == pytest.approx(by_pool["out-of-domain"] - by_pool["in-domain"], abs=1e-12)
        assert row["ci_low"] <= row["ci_high"]


def test_small_sites_nan_and_not_worst(shift_run):
    _, tables = shift_run
    domains = tables["shift_domains"]
    small = domains[(domains["domain_type"] == "domain") & (domains["n"] < 10)]
    assert len(small) > 0
    assert small["value"].isna().all()
    assert small["reason"].str.contains("fewer than min_group_size=10").all()
    worst = tables["shift_gap"].query("measure == 'worst_domain' and metric == 'auroc'").iloc[0]
    assert worst["subgroup"] not in set(small["subgroup"])


def test_prevalence_shift_leaves_auroc_and_moves_brier(shift_run):
    _, tables = shift_run
    synthetic = tables["shift_synthetic"]
    prevalence = synthetic[synthetic["shift"] == "label prevalence"]
    assert np.ptp(prevalence[prevalence["metric"] == "auroc"]["value"]) < 1e-12
    assert np.ptp(prevalence[prevalence["metric"] == "balanced_accuracy"]["value"]) < 1e-12
    brier = prevalence[prevalence["metric"] == "brier"].sort_values("strength")["value"]
    assert brier.nunique() == 3


def test_unknown_domain_column_is_one_clear_message(tmp_path):
    recipe = dict(RECIPE, analyses=[dict(RECIPE["analyses"][0], domain_column="hospital")])
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "analyses.shift.domain_column: unknown metadata column 'hospital'" in result.output
    assert "Traceback" not in result.output


def test_threshold_chosen_on_train_split(shift_run):
    from robustmed.data import load_dataset
    from robustmed.metrics.operating_points import choose_threshold
    from robustmed.models.registry import load_reference_adapter

    _, tables = shift_run
    chosen = tables["fairness_threshold"].iloc[0]
    assert chosen["split"] == "train"
    assert chosen["n"] == 67
    assert chosen["sensitivity"] >= 0.8
    train = load_dataset("ncctg_lung").split("train")
    probabilities = load_reference_adapter("ncctg_late_fusion").predict(train)["death_1y"].double().numpy()
    expected = choose_threshold(train.targets["death_1y"].numpy(), probabilities, "sensitivity", 0.8)
    assert chosen["threshold"] == pytest.approx(expected, abs=1e-6)


@pytest.fixture(scope="module")
def bca_run(tmp_path_factory):
    from robustmed.api import run_recipe

    folder = tmp_path_factory.mktemp("shift_bca")
    recipe = dict(
        RECIPE,
        name="shift_bca",
        bootstrap={"n_resamples": 200, "confidence": 0.95, "method": "bca"},
        analyses=[dict(RECIPE["analyses"][0], metrics=["auroc", "brier"], covariate=None)],
    )
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    with pytest.warns(SmallGroupWarning):
        out = run_recipe(path, folder / "out")
    names = ("shift_domains", "shift_gap", "shift_synthetic")
    return out, {n: pd.read_parquet(out / "tables" / f"{n}.parquet") for n in names}


def test_default_interval_is_bca(shift_run):
    from robustmed.stats.intervals import interval_method_label

    _, tables = shift_run
    label = interval_method_label("bca")
    assert set(tables["shift_domains"]["interval_method"]) == {label}
    assert set(tables["shift_gap"]["interval_method"]) == {label}
    assert set(tables["shift_synthetic"]["interval_method"]) == {label + ", importance-reweighted"}


def test_bca_labels_every_table(bca_run):
    from robustmed.stats.intervals import interval_method_label

    _, tables = bca_run
    label = interval_method_label("bca")
    assert set(tables["shift_domains"]["interval_method"]) == {label}
    assert set(tables["shift_gap"]["interval_method"]) == {label}
    assert set(tables["shift_synthetic"]["interval_method"]) == {label + ", importance-reweighted"}


def test_bca_gap_matches_direct_computation(bca_run):
    from robustmed.data import load_dataset
    from robustmed.metrics import fairness as fm
    from robustmed.metrics.registry import get_metric
    from robustmed.stats import bca_interval, jackknife_values, percentile_interval, resampling_weights

    out, tables = bca_run
    dataset = load_dataset("ncctg_lung")
    batch = dataset.split("test")
    predictions = pd.concat(pd.read_parquet(path) for path in (out / "predictions").glob("*.parquet"))
    order = {sid: i for i, sid in enumerate(batch.sample_ids)}
    predictions = predictions.iloc[np.argsort(predictions["sample_id"].map(order).to_numpy())]
    y, p = predictions["y_true"].to_numpy(), predictions["prob"].to_numpy()
    weights = resampling_weights(200, y, clusters=batch.patient_ids, seed=0)
    inside = set(dataset.split("train").metadata["site"].dropna().astype(str))
    out_of_domain = ~np.isin(fm.attribute_labels(batch.metadata, ["site"]), list(inside))
    auroc = get_metric("auroc")

    def pool(w: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return auroc.weighted(y[mask], p[mask], w[:, mask])

    def gap(w: np.ndarray) -> np.ndarray:
        return pool(w, out_of_domain) - pool(w, ~out_of_domain)

    value = gap(np.ones((1, len(y))))[0]
    replicates = gap(weights)
    expected = bca_interval(replicates, value, jackknife_values(gap, len(y), clusters=batch.patient_ids), 0.95)

    row = tables["shift_gap"].query("metric == 'auroc' and measure == 'ood_minus_id'").iloc[0]
    assert row["value"] == pytest.approx(value, abs=1e-12)
    assert row["ci_low"] == pytest.approx(expected[0], abs=1e-12)
    assert row["ci_high"] == pytest.approx(expected[1], abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) != pytest.approx(percentile_interval(replicates, 0.95), abs=1e-6)
