"""The NCCTG lung dataset: derived one-year label, censoring and the site-aware split."""

import numpy as np
import pytest

from robustmed.data import load_dataset
from robustmed.data.datasets import ncctg_lung


@pytest.fixture(scope="module")
def lung():
    return load_dataset("ncctg_lung")


def test_label_and_censoring(lung):
    from lifelines.datasets import load_lung

    raw = load_lung()
    censored_early = ((raw["status"] == 0) & (raw["time"] < 365)).sum()
    assert censored_early == 42
    assert len(lung.batch) == len(raw) - censored_early == 186
    assert int(lung.batch.targets["death_1y"].sum()) == 121


def test_recorded_split_matches_draw(lung):
    drawn = ncctg_lung.draw_split()
    assert drawn["train"] == lung.split_ids["train"]
    assert drawn["test"] == lung.split_ids["test"]


def test_held_out_sites_only_in_test(lung):
    train_sites = set(lung.split("train").metadata["site"])
    assert train_sites == set(ncctg_lung.draw_split()["in_domain_sites"])
    test = lung.split("test").metadata["site"]
    assert (~test.isin(train_sites)).sum() == 74
    assert len(set(lung.split("train").sample_ids) & set(lung.split("test").sample_ids)) == 0


def test_missing_values_kept_as_nan(lung):
    patient = lung.batch.modalities["patient_reported"].numpy()
    assert np.isnan(patient).sum(axis=0).tolist() == [3, 36, 13]
