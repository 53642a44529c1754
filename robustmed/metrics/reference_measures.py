"""Reference-normalised robustness measures (CE, relative CE, BE, rBE) from two runs' tables.

The reference model's results are its stored ``degradation_metrics`` table: a
robustmed output folder, a Parquet or CSV file of that table, or a DataFrame.
Both runs must cover the same corruptions (generator × modality) and levels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from robustmed.errors import DataError
from robustmed.metrics.robustness import (
    balanced_error,
    corruption_error,
    effective_robustness,
    relative_balanced_error,
    relative_corruption_error,
)

TABLE = "degradation_metrics"
CLEAN = "none"
# Error metric of each benchmark family: ImageNet-C uses top-1 error, MedMNIST-C 1 − balanced accuracy.
FAMILY_METRIC = {"imagenet_c": "accuracy", "medmnist_c": "balanced_accuracy"}
KEYS = ["task", "generator", "modality"]
INTERVAL_NOTE = "none: computed from stored point values"


def load_degradation_table(source) -> pd.DataFrame:
    """Load a ``degradation_metrics`` table from a DataFrame, an output folder or a table file."""
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    candidates = [path / "tables" / f"{TABLE}.parquet", path / "tables" / f"{TABLE}.csv"] if path.is_dir() else [path]
    for candidate in candidates:
        if candidate.is_file():
            if candidate.suffix == ".parquet":
                return pd.read_parquet(candidate)
            if candidate.suffix == ".csv":
                return pd.read_csv(candidate)
            raise DataError(f"Invalid reference table {candidate}: expected a .parquet or .csv file.")
    raise DataError(
        f"Reference results not found at {path}: pass a robustmed output folder containing "
        f"tables/{TABLE}.parquet, or that table as a .parquet or .csv file."
    )


def _error_curves(table: pd.DataFrame, metric: str, label: str) -> dict[tuple, pd.Series]:
    """Error 1 − metric per level for every (task, generator, modality), averaged over seeds."""
    missing = {"task", "generator", "modality", "level", "metric", "value"} - set(table.columns)
    if missing:
        raise DataError(f"The {label} table lacks the columns {sorted(missing)}; pass a {TABLE} table.")
    rows = table[(table["metric"] == metric) & (table["generator"] != CLEAN)]
    if rows.empty:
        raise DataError(
            f"The {label} table has no {metric!r} rows; rerun the degradation analysis with "
            f"metrics including {metric!r}."
        )
    curves = {}
    for key, group in rows.groupby(KEYS, sort=True):
        curve = group.groupby("level")["value"].mean().sort_index()
        curves[key] = 1.0 - curve
    return curves


def reference_measures(model, reference, *, family: str = "medmnist_c", reference_name: str = "reference") -> pd.DataFrame:
    """Compute CE and relative CE (ImageNet-C) or BE and rBE (MedMNIST-C) against a reference run.

    Parameters
    ----------
    model, reference : DataFrame, output folder or table file
        ``degradation_metrics`` tables of the evaluated model and of the
        reference model, on the same corruptions and levels.
    family : {"medmnist_c", "imagenet_c"}, default="medmnist_c"
        ``imagenet_c`` gives ``ce`` and ``relative_ce`` with E = 1 − accuracy.
        ``medmnist_c`` gives ``be`` and ``rbe`` with E = 1 − balanced accuracy.
    reference_name : str
        Stored in the ``reference_model`` column.

    Returns
    -------
    DataFrame
        One row per (task, corruption, measure), plus a row with ``generator``
        and ``modality`` "mean" per task and measure (mCE, relative mCE, BE or
        rBE). Intervals are NaN because stored tables hold no replicates.
    """
    if family not in FAMILY_METRIC:
        raise ValueError(f"reference_measures: family must be one of {sorted(FAMILY_METRIC)}; got {family!r}.")
    metric = FAMILY_METRIC[family]
    model_curves = _error_curves(load_degradation_table(model), metric, "model")
    reference_curves = _error_curves(load_degradation_table(reference), metric, "reference")
    missing = sorted(set(model_curves) - set(reference_curves))
    if missing:
        raise DataError(
            f"The reference results lack the corruptions {missing} (task, generator, modality); "
            "evaluate the reference model on the same generators and modalities."
        )
    rows = []
    for key, errors in model_curves.items():
        reference_errors = reference_curves[key]
        if not np.array_equal(errors.index.to_numpy(), reference_errors.index.to_numpy()):
            raise DataError(
                f"Corruption {key}: the model has levels {errors.index.tolist()} but the reference has "
                f"{reference_errors.index.tolist()}; both must use the same levels."
            )
        if errors.index[0] != 0.0:
            raise DataError(f"Corruption {key}: level 0 (the clean input) is missing from the table.")
        clean, corrupted = float(errors.iloc[0]), errors.iloc[1:].to_numpy()
        reference_clean, reference_corrupted = float(reference_errors.iloc[0]), reference_errors.iloc[1:].to_numpy()
        if family == "imagenet_c":
            measures = {
                "ce": corruption_error(corrupted, reference_corrupted),
                "relative_ce": relative_corruption_error(corrupted, clean, reference_corrupted, reference_clean),
            }
        else:
            measures = {
                "be": balanced_error(corrupted, reference_corrupted),
                "rbe": relative_balanced_error(corrupted, clean, reference_corrupted, reference_clean),
            }
        # Effective robustness is taken on the metric itself (1 − E), where higher is better.
        measures["multibench_effective_robustness"] = effective_robustness(
            1.0 - errors.to_numpy(), 1.0 - reference_errors.to_numpy()
        )
        for measure, value in measures.items():
            rows.append({**dict(zip(KEYS, key, strict=True)), "measure": measure, "value": value})
    table = pd.DataFrame(rows)
    means = (
        table[table["measure"] != "multibench_effective_robustness"]
        .groupby(["task", "measure"], sort=True)["value"]
        .mean()
        .reset_index()
        .assign(generator="mean", modality="mean")
    )
    table = pd.concat([table, means[table.columns]], ignore_index=True)
    table["error_metric"] = metric
    table["reference_model"] = reference_name
    table["higher_is_better"] = table["measure"] == "multibench_effective_robustness"
    table["ci_low"] = np.nan
    table["ci_high"] = np.nan
    table["interval_method"] = INTERVAL_NOTE
    return table
