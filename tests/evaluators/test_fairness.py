"""Subgroup fairness analysis: small groups, bootstrap gaps, fixed threshold, end-to-end run."""

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import robustmed.recipes  # noqa: F401  (imports the evaluator registry before an evaluator module)
from robustmed.cli import app
from robustmed.errors import SmallGroupWarning
from robustmed.evaluators import grouping
from robustmed.metrics import fairness as fm
from robustmed.metrics.operating_points import rates
from robustmed.render.html import write_table
from robustmed.render.report import render_report

RECIPE = {
    "name": "fairness_test",
    "dataset": {"name": "ad_data", "split": "test"},
    "model": {"reference": "ad_late_fusion"},
    "bootstrap": {"n_resamples": 20, "confidence": 0.95, "seed": 0},
    "analyses": [
        {
            "kind": "fairness",
            "attributes": ["sex", "age_band"],
            "intersections": [["sex", "age_band"]],
            "metrics": ["auroc", "ece", "ece_equal_mass", "brier", "nll"],
            "min_group_size": 15,
            "threshold": {"rule": "sensitivity", "target": 0.8},
            "net_benefit_thresholds": [0.2],
            "generators": ["gaussian_noise"],
            "modalities": ["csf"],
            "levels": [0, 3, 5],
        }
    ],
    "report": {"figure_formats": ["png"]},
}
TABLE_COLUMNS = ["value", "ci_low", "ci_high", "interval_method", "n", "n_patients", "reason"]


@pytest.fixture(scope="module")
def audit_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fairness")
    recipe = folder / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    out = folder / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, ["run", str(recipe), "--out", str(out)])
    assert result.exit_code == 0, result.output
    tables = {name: pd.read_parquet(out / "tables" / f"{name}.parquet") for name in (
        "fairness_groups", "fairness_disparities", "fairness_criteria", "fairness_threshold", "fairness_reliability")}
    return out, tables, result.output


@pytest.fixture(scope="module")
def clean_predictions(ad_dataset, ad_adapter):
    batch = ad_dataset.split("test")
    p = ad_adapter.predict(batch)["impaired"].double().numpy()
    return batch, batch.targets["impaired"].numpy().astype(np.int64), p


def test_run_writes_tidy_tables_and_report(audit_run):
    out, tables, _ = audit_run
    for name in ("fairness_groups", "fairness_disparities", "fairness_criteria"):
        for column in TABLE_COLUMNS:
            assert column in tables[name].columns, (name, column)
    html = (out / "report.html").read_text()
    assert 'id="fairness"' in html
    assert (out / "figures" / "fairness_forest_auroc.png").stat().st_size > 1000
    assert (out / "figures" / "fairness_reliability_equal_mass.png").stat().st_size > 1000


def test_small_group_is_nan_with_reason_and_warns(audit_run):
    _, tables, output = audit_run
    groups = tables["fairness_groups"]
    small = groups[(groups["subgroup"] == "male & younger") & (groups["level"] == 0)]
    assert len(small) > 0
    assert small["value"].isna().all()
    assert (small["n"] == 14).all()
    assert small["reason"].str.contains("fewer than min_group_size=15").all()
    # The CLI prints a SmallGroupWarning as one line starting "Warning: ".
    messages = [line for line in output.splitlines() if line.startswith("Warning: Subgroup")]
    assert any("'male & younger'" in m for m in messages)


def test_small_group_left_out_of_disparities(audit_run):
    _, tables, _ = audit_run
    d = tables["fairness_disparities"]
    rows = d[(d["attribute"] == "sex & age_band") & (d["metric"] == "auroc") & (d["level"] == 0)]
    assert (rows["n_groups"] == 5).all()
    assert rows["excluded_subgroups"].str.contains("male & younger").all()
    worst = rows[rows["measure"] == "worst_group"].iloc[0]
    assert worst["worst_subgroup"] != "male & younger"
    assert np.isfinite(worst["value"])


def test_threshold_fixed_across_severities(audit_run):
    out, tables, _ = audit_run
    threshold = tables["fairness_threshold"]["threshold"].iloc[0]
    assert tables["fairness_criteria"]["threshold"].nunique() == 1
    assert tables["fairness_criteria"]["threshold"].iloc[0] == threshold

    predictions = pd.concat(pd.read_parquet(p) for p in (out / "predictions").glob("*.parquet"))
    worst = predictions[predictions["level"] == 5.0]
    groups = tables["fairness_groups"]
    stored = groups[(groups["level"] == 5.0) & (groups["attribute"] == "all") & (groups["metric"] == "sensitivity")]
    recomputed = rates(worst["y_true"].to_numpy(), worst["prob"].to_numpy(), threshold)["sensitivity"]
    assert stored["value"].iloc[0] == pytest.approx(recomputed, abs=1e-12)


def test_clean_sensitivity_meets_target(audit_run):
    _, tables, _ = audit_run
    chosen = tables["fairness_threshold"].iloc[0]
    assert chosen["sensitivity"] >= 0.8
    groups = tables["fairness_groups"]
    clean = groups[(groups["level"] == 0) & (groups["attribute"] == "all") & (groups["metric"] == "sensitivity")]
    assert clean["value"].iloc[0] == pytest.approx(chosen["sensitivity"], abs=1e-12)


def test_disparity_curve_covers_levels(audit_run):
    _, tables, _ = audit_run
    d = tables["fairness_disparities"]
    curve = d[(d["attribute"] == "age_band") & (d["metric"] == "auroc") & (d["measure"] == "difference")]
    assert sorted(curve["level"].unique()) == [0.0, 3.0, 5.0]
    finite = curve[np.isfinite(curve["value"])]
    assert (finite["ci_low"] <= finite["ci_high"]).all()


def test_subgroup_names_escaped_in_report(audit_run, tmp_path):
    out, tables, _ = audit_run
    hostile = "<script>alert(1)</script>"
    for name, frame in tables.items():
        if "subgroup" in frame.columns:
            frame = frame.assign(subgroup=frame["subgroup"].replace("female", hostile))
        write_table(out, name, frame)
    render_report(out)
    html = (out / "report.html").read_text()
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_replicate_missing_group_does_not_crash(clean_predictions):
    batch, y, p = clean_predictions
    labels = fm.attribute_labels(batch.metadata, ["sex"])
    groups = grouping.build_groups(labels, batch.patient_ids, "sex", min_group_size=1)
    weights = np.ones((3, len(y)))
    weights[1, labels == "male"] = 0.0  # replicate 1 draws no male patient
    values = [grouping.group_values(g, y, p, weights, 0.95, metrics=["auroc", "brier"], threshold=0.5) for g in groups]
    overall = grouping.group_values(
        grouping.overall_group(batch.patient_ids), y, p, weights, 0.95, metrics=["auroc", "brier"], threshold=0.5
    )
    male = next(v for v in values if v.group.subgroup == "male")
    assert np.isnan(male.values["auroc"].replicates[1])
    for measure in ("auroc", "brier", "sensitivity"):
        estimates, info = grouping.disparity_estimates(values, overall, measure, 0.95)
        assert info["replicates_used"] == 2, measure
        assert np.isnan(estimates["difference"].replicates[1])
        assert np.isfinite(estimates["difference"].low), measure
        assert np.isfinite(estimates["difference"].value), measure
    criteria, _ = grouping.criteria_estimates(values, 0.95)
    assert np.isnan(criteria["equalized_odds_difference"].replicates[1])
    assert np.isfinite(criteria["equalized_odds_difference"].high)


def test_small_group_warning_category():
    labels = np.array(["a"] * 5 + ["b"] * 2)
    with pytest.warns(SmallGroupWarning, match=r"Subgroup 'b' of 'site' has 2 samples, fewer than min_group_size=3"):
        groups = grouping.build_groups(labels, [str(i) for i in range(7)], "site", min_group_size=3)
    assert [g.eligible for g in groups] == [True, False]


def test_unknown_attribute_is_one_clear_message(tmp_path):
    recipe = dict(RECIPE, analyses=[dict(RECIPE["analyses"][0], attributes=["ethnicity"], intersections=[])])
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "analyses.fairness.attributes: unknown attribute 'ethnicity'" in result.output
    assert "Traceback" not in result.output


def test_age_bins_define_attribute():
    from robustmed.data import load_dataset
    from robustmed.evaluators.fairness import FairnessAnalysis, attribute_table

    metadata = load_dataset("ncctg_lung").split("test").metadata
    spec = FairnessAnalysis(
        kind="fairness", attributes=["age_group"], intersections=[["sex", "age_group"]],
        bins={"age_group": {"column": "age", "edges": [0, 65, 120]}},
    )
    labels = attribute_table(spec, metadata)
    assert set(labels["age_group"]) == {"[0, 65)", "[65, 120)"}
    assert (labels["age_group"] == "[0, 65)").sum() == (metadata["age"] < 65).sum()
    assert "male & [65, 120)" in set(labels["sex & age_group"])


def test_bins_reject_categorical_column(ad_dataset):
    from robustmed.errors import RecipeError
    from robustmed.evaluators.fairness import FairnessAnalysis, attribute_table

    spec = FairnessAnalysis(
        kind="fairness", attributes=["band"], bins={"band": {"column": "age_band", "edges": [0, 1]}}
    )
    with pytest.raises(RecipeError, match=r"bins.band.column: 'age_band' is not numeric"):
        attribute_table(spec, ad_dataset.split("test").metadata)


BCA_RECIPE = {
    "name": "fairness_bca",
    "dataset": {"name": "ad_data", "split": "test"},
    "model": {"reference": "ad_late_fusion"},
    "bootstrap": {"n_resamples": 200, "confidence": 0.95, "method": "bca"},
    "analyses": [
        {
            "kind": "fairness",
            "attributes": ["sex", "age_band"],
            "metrics": ["auroc", "brier"],
            "min_group_size": 15,
            "net_benefit_thresholds": [0.2],
        }
    ],
    "report": {"figure_formats": ["png"]},
}


@pytest.fixture(scope="module")
def bca_run(tmp_path_factory):
    from robustmed.api import run_recipe

    folder = tmp_path_factory.mktemp("fairness_bca")
    recipe = folder / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(BCA_RECIPE))
    out = run_recipe(recipe, folder / "out")
    tables = {name: pd.read_parquet(out / "tables" / f"{name}.parquet") for name in (
        "fairness_groups", "fairness_disparities", "fairness_criteria")}
    return out, tables


def test_default_interval_is_bca(audit_run):
    from robustmed.stats.intervals import interval_method_label

    _, tables, _ = audit_run
    for name in ("fairness_groups", "fairness_disparities", "fairness_criteria"):
        assert set(tables[name]["interval_method"]) == {interval_method_label("bca")}, name


def test_bca_labels_every_table(bca_run):
    from robustmed.stats.intervals import interval_method_label

    _, tables = bca_run
    for name, table in tables.items():
        assert set(table["interval_method"]) == {interval_method_label("bca")}, name
    criteria = tables["fairness_criteria"]
    assert np.isfinite(criteria[["ci_low", "ci_high"]]).all().all()


def test_bca_difference_matches_direct_computation(bca_run, ad_dataset):
    from robustmed.metrics.registry import get_metric
    from robustmed.stats import bca_interval, jackknife_values, percentile_interval, resampling_weights

    out, tables = bca_run
    batch = ad_dataset.split("test")
    predictions = pd.concat(pd.read_parquet(p) for p in (out / "predictions").glob("*.parquet"))
    order = {sid: i for i, sid in enumerate(batch.sample_ids)}
    clean = predictions[predictions["analysis"] == "fairness"]
    clean = clean.iloc[np.argsort(clean["sample_id"].map(order).to_numpy())]
    y, p = clean["y_true"].to_numpy(), clean["prob"].to_numpy()
    weights = resampling_weights(200, y, clusters=batch.patient_ids, seed=0)
    labels = fm.attribute_labels(batch.metadata, ["sex"])
    auroc = get_metric("auroc")
    point, replicates, jackknife = [], [], []
    for subgroup in ("female", "male"):
        index = np.flatnonzero(labels == subgroup)
        point.append(auroc.value(y[index], p[index]))
        replicates.append(auroc.weighted(y[index], p[index], weights[:, index]))
        jackknife.append(
            jackknife_values(
                lambda w, index=index: auroc.weighted(y[index], p[index], w[:, index]), len(y),
                clusters=batch.patient_ids,
            )
        )
    replicates, jackknife = np.column_stack(replicates), np.column_stack(jackknife)
    value = max(point) - min(point)
    difference_replicates = replicates.max(axis=1) - replicates.min(axis=1)
    expected = bca_interval(difference_replicates, value, jackknife.max(axis=1) - jackknife.min(axis=1), 0.95)

    d = tables["fairness_disparities"]
    row = d.query("attribute == 'sex' and metric == 'auroc' and measure == 'difference'").iloc[0]
    assert row["value"] == pytest.approx(value, abs=1e-12)
    assert row["ci_low"] == pytest.approx(expected[0], abs=1e-12)
    assert row["ci_high"] == pytest.approx(expected[1], abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) != pytest.approx(percentile_interval(difference_replicates, 0.95), abs=1e-6)
