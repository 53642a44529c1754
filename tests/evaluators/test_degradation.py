"""Degradation analysis on a dataset without patient ids."""

import numpy as np
import pandas as pd
import yaml

from robustmed.api import run_recipe
from robustmed.recipes.loader import load_recipe
from robustmed.stats.intervals import interval_method_label


def test_bca_without_patient_ids(tmp_path):
    # The MNI152 patches have no patient ids, so every patch is its own patient.
    recipe = {
        "name": "brain",
        "dataset": {"name": "mni152_tissue", "split": "test"},
        "model": {"reference": "mni152_tissue_late_fusion"},
        "bootstrap": {"n_resamples": 50},
        "analyses": [{"kind": "degradation", "generators": ["volume_gaussian_noise"], "levels": [0, 2], "metrics": ["auroc"]}],
    }
    path = tmp_path / "brain.yaml"
    path.write_text(yaml.safe_dump(recipe))
    root = run_recipe(load_recipe(path), tmp_path / "out")
    table = pd.read_parquet(root / "tables" / "degradation_metrics.parquet")
    assert set(table["interval_method"]) == {interval_method_label("bca")}
    assert table["ci_low"].notna().all()
    assert (table["ci_low"] <= table["value"]).all()


def test_streamed_replicates_equal_dense(tmp_path, monkeypatch):
    # A run too large for the dense weight matrix streams its replicates; the tables are the same.
    from robustmed.evaluators import base

    recipe = {
        "name": "streamed",
        "dataset": {"name": "ad_data", "split": "test"},
        "model": {"reference": "ad_late_fusion"},
        "bootstrap": {"n_resamples": 100},
        "analyses": [
            {"kind": "degradation", "generators": ["gaussian_noise"], "levels": [0, 3], "metrics": ["auroc", "brier", "ece"]}
        ],
    }
    path = tmp_path / "streamed.yaml"
    path.write_text(yaml.safe_dump(recipe))
    dense = pd.read_parquet(run_recipe(load_recipe(path), tmp_path / "dense") / "tables" / "degradation_metrics.parquet")
    monkeypatch.setattr(base, "DENSE_WEIGHTS_BYTES", 0)
    streamed = pd.read_parquet(
        run_recipe(load_recipe(path), tmp_path / "streamed") / "tables" / "degradation_metrics.parquet"
    )
    columns = ["value", "ci_low", "ci_high"]
    np.testing.assert_allclose(streamed[columns].to_numpy(), dense[columns].to_numpy(), rtol=0, atol=1e-12)
