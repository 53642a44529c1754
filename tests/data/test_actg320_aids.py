"""The ACTG 320 dataset: derived 180-day label, censoring and the recorded split."""

import pytest

from robustmed.data import load_dataset
from robustmed.data.datasets import actg320_aids


@pytest.fixture(scope="module")
def actg():
    return load_dataset("actg320_aids")


def test_label_and_censoring(actg):
    from sksurv.datasets import load_aids

    _, outcome = load_aids(endpoint="aids")
    censored_early = ((~outcome["censor"]) & (outcome["time"] < 180)).sum()
    assert censored_early == 223
    assert len(actg.batch) == len(outcome) - censored_early == 928
    assert int(actg.batch.targets["event_180d"].sum()) == 77


def test_recorded_split_matches_draw(actg):
    drawn = actg320_aids.draw_split()
    assert drawn["train"] == actg.split_ids["train"]
    assert drawn["test"] == actg.split_ids["test"]


def test_race_is_metadata_not_input(actg):
    assert "race_ethnicity" in actg.batch.metadata.columns
    for spec in actg.specs.values():
        assert "raceth" not in spec.feature_names
