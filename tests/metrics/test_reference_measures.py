import pandas as pd
import pytest

from robustmed.errors import DataError
from robustmed.metrics.reference_measures import reference_measures


def _table(errors: dict[str, list[float]], clean: float, metric: str = "balanced_accuracy", seeds=(0,)) -> pd.DataFrame:
    rows = []
    for generator, curve in errors.items():
        for seed in seeds:
            for level, error in enumerate([clean, *curve]):
                rows.append(
                    {"task": "t", "generator": generator, "modality": "m", "seed": seed,
                     "level": float(level), "metric": metric, "value": 1 - error}
                )
    return pd.DataFrame(rows)


MODEL = _table({"noise": [0.20, 0.25, 0.30, 0.35, 0.40], "blur": [0.15, 0.15, 0.20, 0.20, 0.30]}, 0.10)
REFERENCE = _table({"noise": [0.30, 0.40, 0.50, 0.60, 0.70], "blur": [0.20, 0.25, 0.30, 0.35, 0.40]}, 0.20)


def _value(table, generator, measure):
    return table[(table["generator"] == generator) & (table["measure"] == measure)]["value"].item()


def test_medmnist_measures_from_tables():
    table = reference_measures(MODEL, REFERENCE, reference_name="alexnet")
    assert _value(table, "noise", "be") == pytest.approx(0.6)
    assert _value(table, "blur", "rbe") == pytest.approx(1.0)
    assert _value(table, "mean", "rbe") == pytest.approx((2 / 3 + 1.0) / 2)
    assert set(table["reference_model"]) == {"alexnet"}
    assert table["ci_low"].isna().all()


def test_imagenet_measures_from_stored_files(tmp_path):
    (tmp_path / "tables").mkdir()
    _table({"noise": [0.30, 0.40, 0.50, 0.60, 0.70]}, 0.20, "accuracy").to_csv(
        tmp_path / "tables" / "degradation_metrics.csv", index=False
    )
    model_file = tmp_path / "model.parquet"
    _table({"noise": [0.20, 0.25, 0.30, 0.35, 0.40]}, 0.10, "accuracy").to_parquet(model_file)
    table = reference_measures(model_file, tmp_path, family="imagenet_c")
    assert _value(table, "noise", "ce") == pytest.approx(0.6)
    assert _value(table, "mean", "relative_ce") == pytest.approx(1.0 / 1.5)


def test_seeds_averaged_per_level():
    model = _table({"noise": [0.2, 0.4]}, 0.1, seeds=(0, 1))
    model.loc[(model["seed"] == 1) & (model["level"] > 0), "value"] -= 0.1  # seed 1 errs 0.1 more
    table = reference_measures(model, _table({"noise": [0.5, 0.5]}, 0.1))
    assert _value(table, "noise", "be") == pytest.approx(0.35 / 0.5)


def test_missing_metric_message():
    with pytest.raises(DataError, match="no 'accuracy' rows"):
        reference_measures(MODEL, REFERENCE, family="imagenet_c")


def test_missing_corruption_message():
    with pytest.raises(DataError, match="lack the corruptions"):
        reference_measures(MODEL, _table({"noise": [0.3] * 5}, 0.2))


def test_level_mismatch_message():
    with pytest.raises(DataError, match="same levels"):
        reference_measures(_table({"noise": [0.2, 0.3]}, 0.1), _table({"noise": [0.2, 0.3, 0.4]}, 0.1))


def test_missing_folder_message(tmp_path):
    with pytest.raises(DataError, match="not found"):
        reference_measures(MODEL, tmp_path / "nowhere")
