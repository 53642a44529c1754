"""Modality specs, the multimodal batch and the bundled real datasets."""

from robustmed.data.batch import Batch
from robustmed.data.datasets import Dataset, TaskSpec, available_datasets, load_dataset
from robustmed.data.spec import ModalityKind, ModalitySpec

__all__ = [
    "Batch",
    "Dataset",
    "ModalityKind",
    "ModalitySpec",
    "TaskSpec",
    "available_datasets",
    "load_dataset",
]
