import numpy as np
import pandas as pd
import pytest

from robustmed.engine import Cell, Perturbation, PredictionStore, Runner
from robustmed.engine.store import confined_path
from robustmed.errors import RobustmedError
from robustmed.generators import build_generator


def _cells():
    cells = [Cell("degradation", {"generator": "none", "level": 0.0})]
    for name, modality in [("gaussian_noise", "proteins"), ("modality_absence", "csf"), ("mcar_missing", "csf")]:
        generator = build_generator(name)
        cells.append(Cell("degradation", {"generator": name, "level": 3.0}, (Perturbation(generator, modality, 3.0, 0),)))
    return cells


def _predictions(tmp_path, ad_dataset, ad_adapter, batch_size, use_cache=True):
    store = PredictionStore(tmp_path)
    runner = Runner(ad_adapter, ad_dataset.split("test"), ad_dataset.specs, store, batch_size=batch_size, use_cache=use_cache)
    runner.run(_cells())
    return store.read().sort_values(["cell_id", "sample_id"]).reset_index(drop=True)


def test_results_independent_of_batch_size(tmp_path, ad_dataset, ad_adapter):
    large = _predictions(tmp_path / "a", ad_dataset, ad_adapter, 256)
    small = _predictions(tmp_path / "b", ad_dataset, ad_adapter, 7)
    pd.testing.assert_frame_equal(large.drop(columns="prob"), small.drop(columns="prob"))
    np.testing.assert_allclose(large["prob"], small["prob"], rtol=0, atol=1e-6)


def test_embedding_cache_matches_full_forward(tmp_path, ad_dataset, ad_adapter):
    cached = _predictions(tmp_path / "a", ad_dataset, ad_adapter, 64, use_cache=True)
    uncached = _predictions(tmp_path / "b", ad_dataset, ad_adapter, 64, use_cache=False)
    np.testing.assert_allclose(cached["prob"], uncached["prob"], rtol=0, atol=1e-6)


def test_one_row_per_sample_and_task(tmp_path, ad_dataset, ad_adapter):
    frame = _predictions(tmp_path, ad_dataset, ad_adapter, 64)
    assert len(frame) == 4 * len(ad_dataset.split_ids["test"])
    assert not frame.duplicated(["cell_id", "sample_id", "task"]).any()


def test_resume_skips_stored_cells(tmp_path, ad_dataset, ad_adapter):
    store = PredictionStore(tmp_path)
    runner = Runner(ad_adapter, ad_dataset.split("test"), ad_dataset.specs, store)
    cells = _cells()
    runner.run(cells[:2])
    stored = {c.cell_id: store._cell_path(c.cell_id).read_bytes() for c in cells[:2]}
    calls = []
    original = runner.predict_cell
    runner.predict_cell = lambda cell: calls.append(cell.cell_id) or original(cell)
    runner.run(cells)
    assert calls == [c.cell_id for c in cells[2:]]
    for cell_id, data in stored.items():
        assert store._cell_path(cell_id).read_bytes() == data


def test_paths_confined_to_output_folder(tmp_path):
    with pytest.raises(RobustmedError, match="would leave the output folder"):
        confined_path(tmp_path, "../outside.parquet")


def test_unlabelled_tasks_skipped(tmp_path, ad_dataset, ad_adapter):
    from robustmed.models.adapter import CallableAdapter

    def predict(batch):
        logits = ad_adapter.model(batch.modalities, batch.present)["impaired"]
        return {"impaired": logits, "unlabelled_task": logits}

    adapter = CallableAdapter(predict, {**ad_adapter.tasks, "unlabelled_task": ad_adapter.tasks["impaired"]}, ad_adapter.modalities)
    store = PredictionStore(tmp_path)
    Runner(adapter, ad_dataset.split("test"), ad_dataset.specs, store).run(_cells()[:1])
    assert set(store.read()["task"]) == {"impaired"}


def test_no_labelled_task_rejected(tmp_path, ad_dataset, ad_adapter):
    from robustmed.errors import DataError
    from robustmed.models.adapter import CallableAdapter

    adapter = CallableAdapter(
        lambda batch: {"other": ad_adapter.model(batch.modalities, batch.present)["impaired"]},
        {"other": ad_adapter.tasks["impaired"]},
        ad_adapter.modalities,
    )
    runner = Runner(adapter, ad_dataset.split("test"), ad_dataset.specs, PredictionStore(tmp_path))
    with pytest.raises(DataError, match="dataset labels impaired"):
        runner.run(_cells()[:1])
