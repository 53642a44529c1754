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


def _register_builtin() -> None:
    from robustmed.data.datasets import ad_data

    register_dataset(ad_data.NAME, ad_data.load)


_register_builtin()

__all__ = ["Dataset", "TaskSpec", "available_datasets", "load_dataset", "register_dataset"]
