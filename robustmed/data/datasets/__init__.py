"""Registry of bundled real datasets, each loaded offline from an installed package."""

from __future__ import annotations

from collections.abc import Callable

from robustmed.data.datasets.base import Dataset, TaskSpec
from robustmed.errors import DataError

_LOADERS: dict[str, Callable[[], Dataset]] = {}
_CACHE: dict[str, Dataset] = {}


def register_dataset(name: str, loader: Callable[[], Dataset]) -> None:
    """Register a dataset loader under ``name``."""
    _LOADERS[name] = loader


def available_datasets() -> list[str]:
    return sorted(_LOADERS)


def load_dataset(name: str) -> Dataset:
    """Load a registered dataset (cached per process; datasets are immutable)."""
    if name not in _LOADERS:
        raise DataError(
            f"Unknown dataset {name!r}; available: {', '.join(available_datasets())}. "
            "Run 'robustmed list datasets' to see them."
        )
    if name not in _CACHE:
        _CACHE[name] = _LOADERS[name]()
    return _CACHE[name]


# Each module defines NAME and load(); add a module here to register a dataset.
DATASET_MODULES = (
    "robustmed.data.datasets.ad_data",
    "robustmed.data.datasets.peptides_amp_tm",
    "robustmed.data.datasets.peptides_amp_uniprot",
    "robustmed.data.datasets.peptides_acp_tm",
    "robustmed.data.datasets.peptides_acp_random",
    "robustmed.data.datasets.ischemic_stroke",
    "robustmed.data.datasets.breast_cancer",
    "robustmed.data.datasets.cxr_reports",
    "robustmed.data.datasets.bacterial_cds",
    "robustmed.data.datasets.ecg_heart_rate",
    "robustmed.data.datasets.imaging_patches",
    "robustmed.data.datasets.mni152_tissue",
    "robustmed.data.datasets.ncctg_lung",
    "robustmed.data.datasets.actg320_aids",
)


def _register_builtin() -> None:
    from importlib import import_module

    for path in DATASET_MODULES:
        module = import_module(path)
        register_dataset(module.NAME, module.load)


_register_builtin()

__all__ = ["Dataset", "TaskSpec", "available_datasets", "load_dataset", "register_dataset"]
