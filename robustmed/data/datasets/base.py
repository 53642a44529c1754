"""Dataset container, task description and recorded train/test splits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
import torch

from robustmed.data.batch import Batch
from robustmed.data.spec import ModalitySpec
from robustmed.errors import DataError

TaskType = Literal["binary", "multiclass", "multilabel", "regression"]
SPLITS = ("train", "test", "all")


@dataclass(frozen=True)
class TaskSpec:
    """A prediction task: its type and, for classification, the class names in label order."""

    name: str
    type: TaskType
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A real dataset with its modalities, tasks and recorded split.

    ``batch`` holds every sample; ``split_ids`` maps "train" and "test" to
    sample ids, fixed in the repository so that results are comparable.
    """

    name: str
    specs: dict[str, ModalitySpec]
    tasks: dict[str, TaskSpec]
    batch: Batch
    split_ids: dict[str, list[str]]
    card: str

    def split(self, name: str = "test") -> Batch:
        """Return the samples of split ``name`` ("train", "test" or "all")."""
        if name not in SPLITS:
            raise DataError(f"Dataset {self.name!r}: split must be one of {SPLITS}; got {name!r}.")
        if name == "all":
            return self.batch
        position = {sid: i for i, sid in enumerate(self.batch.sample_ids)}
        return self.batch.select([position[sid] for sid in self.split_ids[name]])

    def checksum(self) -> str:
        """SHA-256 over every modality, target and sample id, in a fixed order."""
        digest = hashlib.sha256()
        digest.update(json.dumps(self.batch.sample_ids).encode())
        for name in sorted(self.batch.modalities):
            value = self.batch.modalities[name]
            if isinstance(value, torch.Tensor):
                digest.update(value.detach().cpu().contiguous().numpy().tobytes())
            else:
                digest.update(json.dumps(value).encode())
            digest.update(self.batch.present[name].cpu().numpy().tobytes())
        for name in sorted(self.batch.targets):
            digest.update(self.batch.targets[name].cpu().numpy().tobytes())
        return digest.hexdigest()


def make_split(
    sample_ids: list[str], labels: np.ndarray, *, test_fraction: float, seed: int
) -> dict[str, list[str]]:
    """Draw a class-stratified patient-level split with scikit-learn."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        np.asarray(sample_ids), test_size=test_fraction, stratify=labels, random_state=seed
    )
    return {"train": sorted(train.tolist()), "test": sorted(test.tolist())}


def load_recorded_split(dataset_name: str) -> dict:
    """Read the split file shipped in ``robustmed/data/splits``."""
    text = resources.files("robustmed.data.splits").joinpath(f"{dataset_name}.json").read_text()
    return json.loads(text)


def frame_to_tensor(frame: pd.DataFrame) -> torch.Tensor:
    return torch.tensor(frame.to_numpy(dtype=np.float32), dtype=torch.float32)


def train_statistics(values: torch.Tensor, train_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-feature spread and range on the training split, ignoring NaN."""
    train = values[train_mask].double()
    finite = ~torch.isnan(train)
    filled = torch.where(finite, train, 0.0)
    count = finite.sum(0).clamp_min(2)
    mean = filled.sum(0) / count
    var = (torch.where(finite, train - mean, 0.0) ** 2).sum(0) / (count - 1)
    low = torch.where(finite, train, torch.inf).amin(0)
    high = torch.where(finite, train, -torch.inf).amax(0)
    return {
        "scale": var.sqrt().float().clamp_min(1e-6),
        "low": low.float(),
        "high": high.float(),
    }
