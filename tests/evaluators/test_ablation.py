"""Modality ablation: fill-policy semantics, embedding cache, marginal donors and an end-to-end run."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

import robustmed.recipes  # noqa: F401  (imports the evaluator registry before any evaluator module)
from robustmed.cli import app
from robustmed.data.batch import Batch
from robustmed.engine.ablation import SubsetPredictor, marginal_donors
from robustmed.errors import RobustmedError
from robustmed.evaluators.ablation import deployment_keep
from robustmed.evaluators.ablation_tables import merge_float32_ties
from robustmed.models.adapter import ModelAdapter, to_probabilities


@pytest.fixture(scope="module")
def test_batch(ad_dataset):
    return ad_dataset.split("test")


def replaced(batch: Batch, name: str, values: torch.Tensor) -> Batch:
    return batch.with_modality(name, values, torch.ones_like(batch.present[name]))


def test_keeping_everything_matches_predict(ad_adapter, test_batch):
    expected = ad_adapter.predict(test_batch)["impaired"].double().numpy()
    predictor = SubsetPredictor(ad_adapter, test_batch)
    for policy in ("native", "learned_token", "zero", "mean", "marginal"):
        got = predictor.predict({}, policy)["impaired"]
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=policy)


def test_native_uses_learned_token(ad_adapter, test_batch):
    predictor = SubsetPredictor(ad_adapter, test_batch, use_cache=False)
    absent = test_batch.with_modality("csf", test_batch.modalities["csf"], torch.zeros(len(test_batch), dtype=torch.bool))
    expected = ad_adapter.predict(absent)["impaired"].double().numpy()
    np.testing.assert_allclose(predictor.predict({"csf": False}, "native")["impaired"], expected, atol=1e-7)
    np.testing.assert_allclose(predictor.predict({"csf": False}, "learned_token")["impaired"], expected, atol=1e-7)


def test_zero_and_mean_fill_inputs(ad_adapter, test_batch):
    predictor = SubsetPredictor(ad_adapter, test_batch, use_cache=False)
    proteins = test_batch.modalities["proteins"]
    zero = ad_adapter.predict(replaced(test_batch, "proteins", torch.zeros_like(proteins)))["impaired"].double().numpy()
    np.testing.assert_allclose(predictor.predict({"proteins": False}, "zero")["impaired"], zero, atol=1e-7)
    means = torch.nanmean(proteins.double(), dim=0).float().expand_as(proteins)
    mean = ad_adapter.predict(replaced(test_batch, "proteins", means))["impaired"].double().numpy()
    np.testing.assert_allclose(predictor.predict({"proteins": False}, "mean")["impaired"], mean, atol=1e-7)
    assert not np.allclose(zero, mean)


def test_marginal_takes_donor_values(ad_adapter, test_batch):
    predictor = SubsetPredictor(ad_adapter, test_batch, use_cache=False, seed=5)
    donors = marginal_donors(test_batch.sample_ids, np.ones(len(test_batch), bool), 5, "genotype")
    swapped = replaced(test_batch, "genotype", test_batch.modalities["genotype"][donors])
    expected = ad_adapter.predict(swapped)["impaired"].double().numpy()
    np.testing.assert_allclose(predictor.predict({"genotype": False}, "marginal")["impaired"], expected, atol=1e-7)


def test_marginal_donors_deterministic_and_order_free():
    ids = [f"s{i}" for i in range(50)]
    available = np.ones(50, dtype=bool)
    available[[3, 7]] = False
    donors = marginal_donors(ids, available, 0, "csf").numpy()
    np.testing.assert_array_equal(donors, marginal_donors(ids, available, 0, "csf").numpy())
    assert (donors != np.arange(50)).all()
    assert available[donors].all()
    reversed_donors = marginal_donors(ids[::-1], available[::-1], 0, "csf").numpy()
    forward = {ids[i]: ids[d] for i, d in enumerate(donors)}
    backward = {ids[::-1][i]: ids[::-1][d] for i, d in enumerate(reversed_donors)}
    assert forward == backward
    assert not np.array_equal(donors, marginal_donors(ids, available, 1, "csf").numpy())


def test_marginal_donors_without_modality_raise():
    with pytest.raises(RobustmedError, match="no sample in the evaluation set has modality 'csf'"):
        marginal_donors(["a", "b"], np.zeros(2, dtype=bool), 0, "csf")


@pytest.mark.parametrize("policy", ["native", "learned_token", "zero", "mean", "marginal"])
def test_cached_equals_uncached(ad_adapter, test_batch, policy):
    cached = SubsetPredictor(ad_adapter, test_batch, batch_size=50)
    uncached = SubsetPredictor(ad_adapter, test_batch, batch_size=50, use_cache=False)
    assert cached.cached and not uncached.cached
    names = list(ad_adapter.modalities)
    for mask in range(8):
        keep = {name: bool(mask >> i & 1) for i, name in enumerate(names)}
        np.testing.assert_allclose(
            cached.predict(keep, policy)["impaired"], uncached.predict(keep, policy)["impaired"],
            atol=2e-6, err_msg=f"{policy} {keep}",
        )


def test_batch_size_does_not_change_predictions(ad_adapter, test_batch):
    small = SubsetPredictor(ad_adapter, test_batch, batch_size=7).predict({"csf": False}, "marginal")
    large = SubsetPredictor(ad_adapter, test_batch, batch_size=512).predict({"csf": False}, "marginal")
    np.testing.assert_allclose(small["impaired"], large["impaired"], atol=1e-6)


def test_drop_unsupported_for_concatenation(ad_adapter, test_batch):
    assert "concatenates" in ad_adapter.missing_policy_support("drop")
    with pytest.raises(RobustmedError, match="policy 'drop' is not available"):
        SubsetPredictor(ad_adapter, test_batch).predict({"csf": False}, "drop")


class MeanFusion(nn.Module):
    """Averages per-modality scores over the modalities it is given."""

    def __init__(self, dims):
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(d, 1) for name, d in dims.items()})
        with torch.no_grad():
            for k, head in enumerate(self.heads.values()):
                head.weight.fill_(0.1 * (k + 1))
                head.bias.zero_()

    def forward(self, inputs):
        scores = [self.heads[name](x.nan_to_num()) for name, x in inputs.items()]
        return torch.stack(scores).mean(dim=0)


class MeanFusionAdapter(ModelAdapter):
    missing_policies = ("drop",)

    def __init__(self, model, tasks, modalities):
        self.model, self.tasks, self.modalities = model, dict(tasks), tuple(modalities)

    @torch.inference_mode()
    def predict_without(self, batch, dropped):
        inputs = {n: batch.modalities[n] for n in self.modalities if n not in dropped}
        logits = self.model(inputs)
        return {task: to_probabilities(logits, spec) for task, spec in self.tasks.items()}

    def predict(self, batch):
        return self.predict_without(batch, ())


def test_drop_leaves_modalities_out(ad_dataset, test_batch):
    dims = {n: ad_dataset.specs[n].shape[0] for n in ad_dataset.specs}
    model = MeanFusion(dims)
    adapter = MeanFusionAdapter(model, ad_dataset.tasks, tuple(dims))
    predictor = SubsetPredictor(adapter, test_batch, batch_size=40)
    got = predictor.predict({"proteins": False}, "drop")["impaired"]
    with torch.no_grad():
        logits = model({n: test_batch.modalities[n] for n in ("csf", "genotype")})
    np.testing.assert_allclose(got, torch.sigmoid(logits[:, 0]).double().numpy(), atol=1e-6)
    nothing = predictor.predict({n: False for n in dims}, "drop")["impaired"]
    prevalence = test_batch.targets["impaired"].double().mean().item()
    np.testing.assert_allclose(nothing, prevalence)
    assert adapter.missing_policy_support("learned_token") is not None


def test_deployment_missingness_counts_and_nesting(test_batch):
    ids, metadata = test_batch.sample_ids, test_batch.metadata
    previous = np.ones(len(ids), dtype=bool)
    for fraction in np.linspace(0.0, 1.0, 11):
        keep = deployment_keep(ids, metadata, "csf", "random", float(fraction), 0)
        assert (~keep).sum() == round(fraction * len(ids))
        assert not (keep & ~previous).any()
        previous = keep
    keep = deployment_keep(ids, metadata, "csf", "age_band", 0.2, 0)
    first = sorted(metadata["age_band"].astype(str).unique())[0]
    assert (metadata["age_band"].astype(str)[~keep] == first).all()


def test_merge_float32_ties():
    p = np.array([0.26594949, 0.26594952, 0.5, 0.26594949, 8.434081e-14, 8.434098e-14, 0.2660])
    merged = merge_float32_ties(p)
    assert len(np.unique(merged[[0, 1, 3]])) == 1
    assert merged[4] == merged[5]
    assert len(np.unique(merged)) == 4


@pytest.fixture(scope="module")
def ablation_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ablation") / "run"
    result = CliRunner().invoke(app, ["run", "analyses/modality_ablation.yaml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_tables_figures_section(ablation_run):
    for name in ["subsets", "shapley", "interactions", "summary", "novel", "missing", "policies"]:
        assert (ablation_run / "tables" / f"ablation_{name}.csv").is_file(), name
    for stem in ["ablation_subsets_auroc", "ablation_shapley_auroc", "ablation_interactions_auroc", "ablation_missing_auroc"]:
        assert (ablation_run / "figures" / f"{stem}.png").stat().st_size > 1000, stem
    html = (ablation_run / "report.html").read_text()
    assert 'id="ablation"' in html
    assert "Most important modality" in html
    assert "ad-0" not in html


def test_run_shapley_efficiency_and_intervals(ablation_run):
    shapley = pd.read_csv(ablation_run / "tables" / "ablation_shapley.csv")
    summary = pd.read_csv(ablation_run / "tables" / "ablation_summary.csv").set_index(["policy", "metric", "measure"])
    for (policy, metric), part in shapley.dropna(subset=["value"]).groupby(["policy", "metric"]):
        gap = summary.loc[(policy, metric, "v_full"), "value"] - summary.loc[(policy, metric, "v_empty"), "value"]
        assert part["value"].sum() == pytest.approx(gap, abs=1e-9)
        assert (part["ci_low"] <= part["value"]).all()
        assert (part["value"] <= part["ci_high"]).all()
    auroc = shapley[(shapley["policy"] == "native") & (shapley["metric"] == "auroc")].set_index("modality")
    assert auroc.loc["csf", "ci_low"] > 0
    empty = summary.loc[("native", "auroc", "v_empty"), "value"]
    assert empty == pytest.approx(0.5)


def test_run_reports_drop_unsupported(ablation_run):
    policies = pd.read_csv(ablation_run / "tables" / "ablation_policies.csv").set_index("policy")
    assert not policies.loc["drop", "supported"]
    assert "concatenates" in policies.loc["drop", "reason"]
    subsets = pd.read_csv(ablation_run / "tables" / "ablation_subsets.csv")
    dropped = subsets[subsets["policy"] == "drop"]
    assert dropped["value"].isna().all()
    assert dropped["reason"].str.startswith("policy not supported").all()


def test_run_missing_curve_ends_at_subset_value(ablation_run):
    missing = pd.read_csv(ablation_run / "tables" / "ablation_missing.csv")
    subsets = pd.read_csv(ablation_run / "tables" / "ablation_subsets.csv")
    curve = missing[(missing["metric"] == "auroc") & (missing["modality"] == "csf") & (missing["mechanism"] == "random")]
    full_missing = curve[curve["fraction"] == 1.0]["value"].iloc[0]
    without_csf = subsets[(subsets["policy"] == "native") & (subsets["metric"] == "auroc") & (subsets["subset"] == "proteins+genotype")]
    assert full_missing == pytest.approx(without_csf["value"].iloc[0])
    assert curve[curve["fraction"] == 0.0]["n_missing"].iloc[0] == 0
    manifest = json.loads((ablation_run / "manifest.json").read_text())
    assert manifest["recipe"]["analyses"][0]["kind"] == "ablation"


def test_predict_many_matches_predict(ad_adapter, test_batch):
    predictor = SubsetPredictor(ad_adapter, test_batch)
    requests = [({"csf": False}, "zero"), ({"proteins": False, "genotype": False}, "native"), ({}, "marginal")]
    together = predictor.predict_many(requests)
    for (keep, policy), outputs in zip(requests, together, strict=True):
        np.testing.assert_allclose(outputs["impaired"], predictor.predict(keep, policy)["impaired"], atol=1e-6)


def test_attribution_beyond_ten_modalities():
    from robustmed.evaluators.ablation_tables import Game, attribution_rows
    from robustmed.metrics.shapley import permutation_coalitions, sample_permutations
    from robustmed.stats.intervals import MetricEstimate

    m = 11
    weights = np.linspace(0.0, 1.0, m)
    permutations = sample_permutations(m, 20, seed=0)
    masks = set(permutation_coalitions(permutations)) | {1 << i for i in range(m)} | {2**m - 1}
    noise = np.random.default_rng(0).normal(0.0, 0.01, size=50)

    def value(mask):
        return float(sum(weights[i] for i in range(m) if mask >> i & 1))

    values = {mask: MetricEstimate("auroc", value(mask), value(mask) + noise, 0.0, 0.0) for mask in masks}
    shapley, interactions, summary = attribution_rows(Game([f"m{i}" for i in range(m)], values, permutations), 0.95, {})
    np.testing.assert_allclose([row["value"] for row in shapley], weights, atol=1e-12)
    assert shapley[0]["estimator"] == "permutation sampling (20 orders)"
    assert interactions == []
    measures = {row["measure"]: row for row in summary}
    assert np.isnan(measures["inter_shap"]["value"])
    assert "at most 10 modalities" in measures["inter_shap"]["reason"]
    assert measures["shape_cross_modal"]["value"] == pytest.approx(0.0, abs=1e-12)


def test_run_resume_gives_same_bytes(ablation_run):
    tables = {p.name: p.read_bytes() for p in (ablation_run / "tables").glob("ablation_*.csv")}
    cells = sorted((ablation_run / "predictions").glob("ablation-*.parquet"))
    for path in cells[::40]:
        path.unlink()
    result = CliRunner().invoke(app, ["run", "analyses/modality_ablation.yaml", "--out", str(ablation_run), "--resume"])
    assert result.exit_code == 0, result.output
    assert len(list((ablation_run / "predictions").glob("ablation-*.parquet"))) == len(cells)
    for name, content in tables.items():
        assert (ablation_run / "tables" / name).read_bytes() == content, name


BCA_RECIPE = {
    "name": "ablation_bca",
    "dataset": {"name": "ad_data", "split": "test"},
    "model": {"reference": "ad_late_fusion"},
    "bootstrap": {"n_resamples": 200, "confidence": 0.95, "method": "bca"},
    "analyses": [
        {
            "kind": "ablation",
            "policies": ["native", "zero"],
            "metrics": ["auroc", "true_class_probability"],
            "missing_fractions": [0.0, 0.5, 1.0],
        }
    ],
    "report": {"figure_formats": ["png"]},
}


@pytest.fixture(scope="module")
def bca_run(tmp_path_factory):
    import yaml

    from robustmed.api import run_recipe

    folder = tmp_path_factory.mktemp("ablation_bca")
    recipe = folder / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(BCA_RECIPE))
    return run_recipe(recipe, folder / "out")


def test_default_interval_is_bca(ablation_run):
    from robustmed.stats.intervals import interval_method_label

    for name in ("subsets", "shapley", "missing"):
        table = pd.read_csv(ablation_run / "tables" / f"ablation_{name}.csv")
        assert set(table["interval_method"]) == {interval_method_label("bca")}, name


def test_bca_labels_every_table(bca_run):
    from robustmed.stats.intervals import interval_method_label

    label = interval_method_label("bca")
    for name in ("subsets", "shapley", "interactions", "summary", "missing"):
        table = pd.read_parquet(bca_run / "tables" / f"ablation_{name}.parquet")
        assert set(table["interval_method"]) == {label}, name
    novel = pd.read_parquet(bca_run / "tables" / "ablation_novel.parquet")
    assert set(novel["interval_method"]) == {"paired " + label}


def test_bca_shapley_matches_direct_computation(bca_run, ad_dataset, ad_adapter):
    from robustmed.evaluators.ablation_tables import merge_float32_ties, subset_label
    from robustmed.metrics.registry import get_metric
    from robustmed.metrics.shapley import shapley_values
    from robustmed.stats import bca_interval, jackknife_values, percentile_interval, resampling_weights

    batch = ad_dataset.split("test")
    y = batch.targets["impaired"].numpy().astype(np.int64)
    weights = resampling_weights(200, y, clusters=batch.patient_ids, seed=0)
    order = {sid: i for i, sid in enumerate(batch.sample_ids)}
    predictions = pd.concat(pd.read_parquet(p) for p in (bca_run / "predictions").glob("ablation-*.parquet"))
    native = predictions[(predictions["part"] == "subset") & (predictions["policy"] == "native")]
    names = list(ad_adapter.modalities)
    auroc = get_metric("auroc")
    point, replicates, jackknife = [], [], []
    for mask in range(2 ** len(names)):
        rows = native[native["subset"] == subset_label(mask, names)]
        rows = rows.iloc[np.argsort(rows["sample_id"].map(order).to_numpy())]
        assert (rows["y_true"].to_numpy() == y).all()
        p = merge_float32_ties(rows["prob"].to_numpy())
        point.append(auroc.value(y, p))
        replicates.append(auroc.weighted(y, p, weights))
        jackknife.append(jackknife_values(lambda w, p=p: auroc.weighted(y, p, w), len(y), clusters=batch.patient_ids))
    i = names.index("csf")
    phi = shapley_values(np.array(point), len(names))[i]
    phi_replicates = shapley_values(np.column_stack(replicates), len(names))[:, i]
    phi_jackknife = shapley_values(np.column_stack(jackknife), len(names))[:, i]
    expected = bca_interval(phi_replicates, phi, phi_jackknife, 0.95)

    shapley = pd.read_parquet(bca_run / "tables" / "ablation_shapley.parquet")
    row = shapley.query("policy == 'native' and metric == 'auroc' and modality == 'csf'").iloc[0]
    assert row["value"] == pytest.approx(phi, abs=1e-12)
    assert row["ci_low"] == pytest.approx(expected[0], abs=1e-12)
    assert row["ci_high"] == pytest.approx(expected[1], abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) != pytest.approx(percentile_interval(phi_replicates, 0.95), abs=1e-6)
