"""Transfer protocols on synthetic embeddings, and the transfer recipe end to end on the peptide data."""

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid
from typer.testing import CliRunner

from robustmed.cli import app
from robustmed.errors import RecipeError
from robustmed.evaluators.fewshot import (
    LinearProbe,
    PrototypeClassifier,
    draw_support,
    fit_protocol,
    score_repeats,
)
from robustmed.stats.bootstrap import resampling_weights

CLASSES = ("negative", "positive", "other")


def _blobs(n_per_class: int, separation: float, seed: int = 0, dim: int = 8):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    centres = separation * np.eye(3, dim)
    return centres[y] + rng.normal(size=(len(y), dim)), y


def test_probe_equals_sklearn_fitted_directly():
    x, y = _blobs(20, 1.0)
    test, _ = _blobs(10, 1.0, seed=1)
    probe = LinearProbe(3, c=0.5).fit(x, y)
    direct = LogisticRegression(C=0.5, max_iter=2000).fit(x, y)
    np.testing.assert_allclose(probe.predict_proba(test), direct.predict_proba(test))


def test_prototype_predicts_nearest_centroid():
    x, y = _blobs(20, 1.0)
    test, _ = _blobs(10, 1.0, seed=1)
    proba = PrototypeClassifier(3).fit(x, y).predict_proba(test)
    np.testing.assert_array_equal(proba.argmax(axis=1), NearestCentroid().fit(x, y).predict(test))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_support_stratified():
    labels = np.repeat([0, 1, 2], [30, 12, 7])
    for shots in (1, 2, 4, 7):
        index = draw_support(labels, shots, seed=3, repeat=0, class_names=CLASSES)
        assert np.bincount(labels[index], minlength=3).tolist() == [shots] * 3


def test_support_seeded():
    labels = np.repeat([0, 1, 2], [30, 12, 7])
    first = draw_support(labels, 4, seed=3, repeat=2, class_names=CLASSES)
    again = draw_support(labels, 4, seed=3, repeat=2, class_names=CLASSES)
    other_repeat = draw_support(labels, 4, seed=3, repeat=3, class_names=CLASSES)
    other_seed = draw_support(labels, 4, seed=4, repeat=2, class_names=CLASSES)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other_repeat)
    assert not np.array_equal(first, other_seed)


def test_support_independent_of_shot_order():
    labels = np.repeat([0, 1, 2], [30, 12, 7])
    ascending = {k: draw_support(labels, k, seed=0, repeat=1, class_names=CLASSES) for k in (1, 2, 4, 7)}
    descending = {k: draw_support(labels, k, seed=0, repeat=1, class_names=CLASSES) for k in (7, 4, 2, 1)}
    for k in ascending:
        np.testing.assert_array_equal(ascending[k], descending[k])
    assert set(ascending[2]) <= set(ascending[4])


def test_impossible_shots_name_class_and_count():
    labels = np.repeat([0, 1, 2], [30, 12, 7])
    with pytest.raises(ValueError, match=r"k=8 .* class 'other' has 7"):
        draw_support(labels, 8, seed=0, repeat=0, class_names=CLASSES)


@pytest.mark.parametrize("protocol", ["linear_probe", "prototype"])
def test_separable_embeddings_near_perfect_at_small_k(protocol):
    x, y = _blobs(40, 12.0)
    test, y_test = _blobs(30, 12.0, seed=5)
    weights = resampling_weights(50, y_test, seed=0)
    for shots in (1, 2):
        probabilities = []
        for repeat in range(5):
            index = draw_support(y, shots, seed=0, repeat=repeat, class_names=CLASSES)
            probabilities.append(fit_protocol(protocol, x[index], y[index], 3).predict_proba(test))
        scores = {s.metric: s for s in score_repeats(y_test, probabilities, weights, ["balanced_accuracy", "macro_auroc"], 0.95, 0)}
        assert scores["balanced_accuracy"].value >= 0.99
        assert scores["macro_auroc"].value >= 0.99


def test_repeat_scores_spread_and_interval():
    x, y = _blobs(40, 1.5)
    test, y_test = _blobs(30, 1.5, seed=5)
    weights = resampling_weights(200, y_test, seed=0)
    probabilities = [
        fit_protocol("linear_probe", x[i], y[i], 3).predict_proba(test)
        for i in (draw_support(y, 2, seed=0, repeat=r, class_names=CLASSES) for r in range(6))
    ]
    (score,) = score_repeats(y_test, probabilities, weights, ["balanced_accuracy"], 0.95, 0)
    assert score.std == pytest.approx(np.std(score.per_repeat, ddof=1))
    assert score.value == pytest.approx(score.per_repeat.mean())
    assert score.low < score.value < score.high
    (single,) = score_repeats(y_test, probabilities[:1], weights, ["balanced_accuracy"], 0.95, 0)
    assert np.isnan(single.std)
    assert single.reason


def _recipe(tmp_path, shots, cache):
    recipe = {
        "name": "transfer-test",
        "dataset": {"name": "peptides_acp_tm"},
        "model": {"reference": "peptide_cnn"},
        "bootstrap": {"n_resamples": 50},
        "analyses": [
            {
                "kind": "transfer",
                "targets": ["peptides_acp_tm"],
                "shots": shots,
                "repeats": 3,
                "cache_dir": str(cache),
                "zero_shot": [
                    {
                        "method": "head",
                        "source": "amp_vs_tm",
                        "target": "peptides_acp_tm",
                        "class_map": {"transmembrane": "transmembrane", "antimicrobial": "anticancer"},
                    }
                ],
                "matrix": {
                    "tasks": ["peptides_acp_tm", "peptides_acp_random"],
                    "label_map": {"anticancer": "active", "transmembrane": "inactive", "random": "inactive"},
                },
                "perturbation": {"generators": ["modality_absence"], "modalities": ["sequence"], "levels": [0, 5], "shots": [4]},
            }
        ],
        "report": {"figure_formats": ["png"]},
    }
    path = tmp_path / f"transfer-{'-'.join(map(str, shots))}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.fixture(scope="module")
def transfer_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("transfer")
    out = folder / "run"
    result = CliRunner().invoke(app, ["run", str(_recipe(folder, [1, 4, "all"], folder / "cache")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return folder, out


def test_run_writes_tables_figures_report(transfer_run):
    _, out = transfer_run
    for name in ["fewshot", "zero_shot", "matrix", "severity", "repeats"]:
        assert (out / "tables" / f"transfer_{name}.parquet").is_file(), name
    for stem in ["transfer_learning_balanced_accuracy", "transfer_matrix_balanced_accuracy", "transfer_severity_balanced_accuracy"]:
        assert (out / "figures" / f"{stem}.png").stat().st_size > 1000, stem
    html = (out / "report.html").read_text()
    assert 'id="transfer"' in html
    assert "Few-shot x severity" in html
    assert "pep-" not in html


def test_run_intervals_everywhere(transfer_run):
    _, out = transfer_run
    fewshot = pd.read_parquet(out / "tables" / "transfer_fewshot.parquet")
    assert set(fewshot["metric"]) == {"balanced_accuracy", "macro_auroc", "macro_f1"}
    assert fewshot[["value", "ci_low", "ci_high"]].notna().all().all()
    assert (fewshot["ci_low"] <= fewshot["value"]).all()
    assert (fewshot["value"] <= fewshot["ci_high"]).all()
    repeated = fewshot[fewshot["shots"] != "all"]
    assert (repeated["repeats"] == 3).all()
    assert repeated["std"].notna().all()
    assert (fewshot["n"] == 248).all()
    severity = pd.read_parquet(out / "tables" / "transfer_severity.parquet")
    assert set(severity["level"]) == {0.0, 5.0}
    assert set(severity["shots"]) == {"4", "0"}
    assert severity[["ci_low", "ci_high"]].notna().all().all()


def test_run_zero_shot_head_transfers(transfer_run):
    _, out = transfer_run
    zero_shot = pd.read_parquet(out / "tables" / "transfer_zero_shot.parquet")
    auroc = zero_shot[zero_shot["metric"] == "macro_auroc"].iloc[0]
    assert auroc["value"] > 0.9
    assert auroc["ci_low"] > 0.8


def test_run_matrix_diagonal_and_mapping(transfer_run):
    _, out = transfer_run
    matrix = pd.read_parquet(out / "tables" / "transfer_matrix.parquet")
    assert len(matrix[matrix["metric"] == "balanced_accuracy"]) == 4
    assert matrix["value"].notna().all()


def test_run_independent_of_shot_order(transfer_run):
    from robustmed.api import run_recipe

    folder, out = transfer_run
    reordered = run_recipe(_recipe(folder, ["all", 4, 1], folder / "cache"), folder / "reordered")
    columns = ["protocol", "shots", "metric", "value", "std", "ci_low", "ci_high"]
    first = pd.read_parquet(out / "tables" / "transfer_fewshot.parquet")[columns]
    second = pd.read_parquet(reordered / "tables" / "transfer_fewshot.parquet")[columns]
    key = ["protocol", "shots", "metric"]
    pd.testing.assert_frame_equal(
        first.sort_values(key).reset_index(drop=True), second.sort_values(key).reset_index(drop=True)
    )


def test_impossible_shots_rejected_before_run(tmp_path):
    from robustmed.api import run_recipe

    with pytest.raises(RecipeError, match=r"k=300 .* class 'transmembrane' has 289"):
        run_recipe(_recipe(tmp_path, [4, 300], tmp_path / "cache"), tmp_path / "out")


def test_cache_reused_and_keyed_by_model(transfer_run, tmp_path):
    from robustmed.data import load_dataset
    from robustmed.evaluators.embedding_cache import EmbeddingCache
    from robustmed.models.registry import load_reference_adapter

    folder, _ = transfer_run
    dataset = load_dataset("peptides_acp_tm")
    adapter = load_reference_adapter("peptide_cnn")
    from robustmed.models.registry import reference_checksum

    cache = EmbeddingCache(folder / "cache", adapter, reference_checksum("peptide_cnn"))
    stored = cache.outputs(dataset, "test")
    assert cache.hits == 1
    assert cache.misses == 0
    fresh = EmbeddingCache(tmp_path, adapter, "another-model").outputs(dataset, "test")
    np.testing.assert_allclose(stored["embedding"], fresh["embedding"], rtol=1e-5, atol=1e-6)
    assert cache.key(dataset, "test", None) != EmbeddingCache(tmp_path, adapter, "another-model").key(dataset, "test", None)
    assert not list(tmp_path.glob(".*.tmp"))


def test_repeat_scores_bca_jackknifes_patients_and_draws():
    from robustmed.evaluators.fewshot import repeat_choices
    from robustmed.metrics.multiclass import weighted_scores
    from robustmed.stats import bca_interval, jackknife_values, percentile_interval
    from robustmed.stats.intervals import pooled_jackknife

    x, y = _blobs(40, 1.5)
    test, y_test = _blobs(30, 1.5, seed=5)
    patients = np.arange(len(y_test)) // 2
    weights = resampling_weights(200, y_test, clusters=patients, seed=0)
    probabilities = [
        fit_protocol("prototype", x[i], y[i], 3).predict_proba(test)
        for i in (draw_support(y, 2, seed=0, repeat=r, class_names=CLASSES) for r in range(5))
    ]
    (bca,) = score_repeats(y_test, probabilities, weights, ["macro_f1"], 0.95, 0, method="bca", clusters=patients)
    (percentile,) = score_repeats(y_test, probabilities, weights, ["macro_f1"], 0.95, 0)

    def score(w, p):
        return weighted_scores(y_test, p, w, ["macro_f1"])["macro_f1"]

    per_repeat = np.array([score(np.ones((1, len(y_test))), p)[0] for p in probabilities])
    choices = repeat_choices(len(weights), len(probabilities), 0)
    per_replicate = np.column_stack([score(weights, p) for p in probabilities])
    replicates = np.take_along_axis(per_replicate, choices, axis=1).mean(axis=1)
    deleting_patients = jackknife_values(
        lambda w: np.mean([score(w, p) for p in probabilities], axis=0), len(y_test), clusters=patients
    )
    deleting_draws = np.array([np.delete(per_repeat, r).mean() for r in range(len(per_repeat))])
    expected = bca_interval(replicates, per_repeat.mean(), pooled_jackknife(deleting_patients, deleting_draws), 0.95)
    assert (bca.low, bca.high) == pytest.approx(expected, abs=1e-12)
    assert (percentile.low, percentile.high) == pytest.approx(percentile_interval(replicates, 0.95), abs=1e-12)
    assert (bca.low, bca.high) != pytest.approx((percentile.low, percentile.high), abs=1e-6)
    assert bca.value == percentile.value


def test_default_interval_is_bca(transfer_run):
    from robustmed.evaluators.transfer import BCA_METHOD_REPEATED, BCA_METHOD_SINGLE

    _, out = transfer_run
    fewshot = pd.read_parquet(out / "tables" / "transfer_fewshot.parquet")
    assert set(fewshot[fewshot["repeats"] > 1]["interval_method"]) == {BCA_METHOD_REPEATED}
    assert set(fewshot[fewshot["repeats"] == 1]["interval_method"]) == {BCA_METHOD_SINGLE}


@pytest.fixture(scope="module")
def bca_run(tmp_path_factory):
    from robustmed.api import run_recipe

    folder = tmp_path_factory.mktemp("transfer_bca")
    recipe = {
        "name": "transfer-bca",
        "dataset": {"name": "peptides_acp_tm"},
        "model": {"reference": "peptide_cnn"},
        "bootstrap": {"n_resamples": 200, "method": "bca"},
        "analyses": [
            {
                "kind": "transfer",
                "targets": ["peptides_acp_tm"],
                "shots": [2, "all"],
                "repeats": 3,
                "protocols": ["prototype"],
                "cache_dir": str(folder / "cache"),
                "zero_shot": [
                    {
                        "method": "head",
                        "source": "amp_vs_tm",
                        "target": "peptides_acp_tm",
                        "class_map": {"transmembrane": "transmembrane", "antimicrobial": "anticancer"},
                    }
                ],
            }
        ],
        "report": {"figure_formats": ["png"]},
    }
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return folder, run_recipe(path, folder / "out")


def test_bca_labels_repeated_and_single_rows(bca_run):
    from robustmed.evaluators.transfer import BCA_METHOD_REPEATED, BCA_METHOD_SINGLE

    _, out = bca_run
    fewshot = pd.read_parquet(out / "tables" / "transfer_fewshot.parquet")
    assert set(fewshot[fewshot["shots"] == "2"]["interval_method"]) == {BCA_METHOD_REPEATED}
    assert set(fewshot[fewshot["shots"] == "all"]["interval_method"]) == {BCA_METHOD_SINGLE}
    zero_shot = pd.read_parquet(out / "tables" / "transfer_zero_shot.parquet")
    assert set(zero_shot["interval_method"]) == {BCA_METHOD_SINGLE}
    assert fewshot[["ci_low", "ci_high"]].notna().all().all()


def test_bca_zero_shot_matches_direct_computation(bca_run):
    from robustmed.data import load_dataset
    from robustmed.evaluators.embedding_cache import EmbeddingCache, head_probabilities
    from robustmed.metrics.multiclass import weighted_scores
    from robustmed.models.registry import load_reference_adapter, reference_checksum
    from robustmed.stats import bca_interval, jackknife_values, percentile_interval

    folder, out = bca_run
    dataset = load_dataset("peptides_acp_tm")
    test = dataset.split("test")
    y = test.targets["acp_vs_tm"].numpy().astype(np.int64)
    patients = test.patient_ids or test.sample_ids
    adapter = load_reference_adapter("peptide_cnn")
    outputs = EmbeddingCache(folder / "cache", adapter, reference_checksum("peptide_cnn")).outputs(dataset, "test")
    head_classes = adapter.tasks["amp_vs_tm"].classes
    class_map = {"transmembrane": "transmembrane", "antimicrobial": "anticancer"}
    target_classes = dataset.tasks["acp_vs_tm"].classes
    sources = sorted(class_map, key=lambda c: target_classes.index(class_map[c]))
    order = [head_classes.index(source) for source in sources]
    probabilities = head_probabilities(outputs, "amp_vs_tm")[:, order]

    def auroc(w):
        return weighted_scores(y, probabilities, w, ["macro_auroc"])["macro_auroc"]

    weights = resampling_weights(200, y, clusters=patients, seed=0)
    value, replicates = auroc(np.ones((1, len(y))))[0], auroc(weights)
    expected = bca_interval(replicates, value, jackknife_values(auroc, len(y), clusters=patients), 0.95)

    row = pd.read_parquet(out / "tables" / "transfer_zero_shot.parquet").query("metric == 'macro_auroc'").iloc[0]
    assert row["value"] == pytest.approx(value, abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected, abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) != pytest.approx(percentile_interval(replicates, 0.95), abs=1e-6)
