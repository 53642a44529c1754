"""Group disparities against fairlearn's MetricFrame on the bundled Alzheimer's data."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

import robustmed.recipes  # noqa: F401  (imports the evaluator registry in its working order)
from robustmed.evaluators import grouping
from robustmed.metrics import classification as cls
from robustmed.metrics import fairness as fm

TOLERANCE = 1e-12
THRESHOLD = 0.5
METRICS = {"auroc": cls.auroc, "balanced_accuracy": cls.balanced_accuracy, "brier": cls.brier, "nll": cls.nll}


@pytest.fixture(scope="module")
def clean_predictions(ad_dataset, ad_adapter):
    batch = ad_dataset.split("test")
    p = ad_adapter.predict(batch)["impaired"].double().numpy()
    y = batch.targets["impaired"].numpy().astype(np.int64)
    return batch, y, p


def _robustmed_groups(batch, y, p, attributes):
    labels = fm.attribute_labels(batch.metadata, attributes)
    patients = np.asarray(batch.patient_ids)
    groups = grouping.build_groups(labels, patients, "+".join(attributes), min_group_size=1)
    weights = np.ones((1, len(y)))
    values = [
        grouping.group_values(g, y, p, weights, 0.95, metrics=list(METRICS), threshold=THRESHOLD) for g in groups
    ]
    overall = grouping.group_values(
        grouping.overall_group(patients), y, p, weights, 0.95, metrics=list(METRICS), threshold=THRESHOLD
    )
    return labels, values, overall


@pytest.mark.parametrize("attributes", [["sex"], ["age_band"], ["apoe4_carrier"], ["sex", "age_band"]])
def test_groups_and_disparities_match_fairlearn(clean_predictions, attributes):
    batch, y, p = clean_predictions
    labels, values, overall = _robustmed_groups(batch, y, p, attributes)
    predicted = (p >= THRESHOLD).astype(np.int64)
    frame = MetricFrame(
        metrics={"sensitivity": true_positive_rate, "fpr": false_positive_rate, "selection_rate": selection_rate},
        y_true=y, y_pred=predicted, sensitive_features=pd.Series(labels, name="group"),
    )
    scores = MetricFrame(metrics=METRICS, y_true=y, y_pred=p, sensitive_features=pd.Series(labels, name="group"))
    checked = 0
    for mf in (frame, scores):
        for measure in mf.by_group.columns:
            for g in values:
                assert abs(g.values[measure].value - mf.by_group.loc[g.group.subgroup, measure]) < TOLERANCE
            estimates, info = grouping.disparity_estimates(values, overall, measure, 0.95)
            assert info["used"] == [g.group.subgroup for g in values]
            expected = {
                "difference": mf.difference(method="between_groups")[measure],
                "difference_to_overall": mf.difference(method="to_overall")[measure],
                "ratio": mf.ratio(method="between_groups")[measure],
                "ratio_to_overall": mf.ratio(method="to_overall")[measure],
            }
            for name, value in expected.items():
                assert abs(estimates[name].value - value) < TOLERANCE, (measure, name)
                checked += 1
    assert checked == 4 * 7


@pytest.mark.parametrize("attributes", [["sex"], ["age_band"], ["sex", "age_band"]])
def test_fairness_criteria_match_fairlearn(clean_predictions, attributes):
    batch, y, p = clean_predictions
    labels, values, _ = _robustmed_groups(batch, y, p, attributes)
    predicted = (p >= THRESHOLD).astype(np.int64)
    estimates, used = grouping.criteria_estimates(values, 0.95)
    assert len(used) == len(values)
    expected = {
        "equalized_odds_difference": equalized_odds_difference(y, predicted, sensitive_features=labels),
        "equal_opportunity_difference": equal_opportunity_difference(y, predicted, sensitive_features=labels),
        "demographic_parity_difference": demographic_parity_difference(y, predicted, sensitive_features=labels),
        "demographic_parity_ratio": demographic_parity_ratio(y, predicted, sensitive_features=labels),
    }
    for name, value in expected.items():
        assert abs(estimates[name].value - value) < TOLERANCE, name


def test_worst_group_direction():
    values = np.array([[0.7, 0.9, 0.8]])
    worst, index = fm.worst_group(values, higher_is_better=True)
    assert worst[0] == 0.7
    assert index[0] == 0
    worst, index = fm.worst_group(values, higher_is_better=False)
    assert worst[0] == 0.9
    assert index[0] == 1


def test_replicate_missing_group_gives_nan_summary():
    values = np.array([[0.7, 0.9], [0.6, np.nan]])
    summary = fm.disparities(values, np.array([0.8, 0.6]), higher_is_better=True)
    assert summary["difference"][0] == pytest.approx(0.2)
    for name in fm.DISPARITY_MEASURES:
        assert np.isnan(summary[name][1]), name
    assert summary["worst_index"][1] == -1


def test_ratio_to_overall_inverts_ratios_above_one():
    ratio = fm.ratio(np.array([[0.5, 2.0]]), np.array([1.0]))
    assert ratio[0] == 0.5


def test_intersection_labels_and_missing():
    metadata = pd.DataFrame({"sex": ["female", "male", None], "site": ["a", "b", "b"]})
    labels = fm.attribute_labels(metadata, ["sex", "site"])
    assert labels.tolist() == ["female & a", "male & b", "missing & b"]


def test_bin_column_left_closed_and_out_of_range():
    binned = fm.bin_column(pd.Series([59.0, 60.0, 75.0, 90.0]), [0, 60, 80])
    assert binned.iloc[0] == "[0, 60)"
    assert binned.iloc[1] == "[60, 80)"
    assert binned.iloc[2] == "[60, 80)"
    assert pd.isna(binned.iloc[3])
