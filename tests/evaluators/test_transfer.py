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
