"""Registry of bundled reference models: name, dataset, shipped weights and adapter factory."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module, resources
from pathlib import Path

from robustmed.models.adapter import ModelAdapter
from robustmed.models.checkpoint import load_checkpoint, sha256_file

WEIGHTS_PACKAGE = "robustmed.models.weights"

# Each module defines REFERENCE_MODELS, a tuple of ReferenceModel; add a module here to register them.
REFERENCE_MODULES = (
    "robustmed.models.reference",
    "robustmed.models.peptide",
    "robustmed.models.lung_reference",
    "robustmed.models.actg_reference",
    "robustmed.models.benchmark",
)


@dataclass(frozen=True)
class ReferenceModel:
    """A bundled model.

    ``build(checkpoint)`` turns the weights-only checkpoint (the dict stored in
    ``robustmed/models/weights/<name>.pt``) into an adapter; ``train()`` retrains
    it deterministically and returns the checkpoint dict to store.
    """

    name: str
    dataset: str
    description: str
    build: Callable[[dict], ModelAdapter]
    train: Callable[[], dict]


@cache
def reference_models() -> dict[str, ReferenceModel]:
    found = {}
    for path in REFERENCE_MODULES:
        for model in import_module(path).REFERENCE_MODELS:
            found[model.name] = model
    return found


def _get(name: str) -> ReferenceModel:
    models = reference_models()
    if name not in models:
        raise KeyError(f"Unknown reference model {name!r}; available: {', '.join(sorted(models))}.")
    return models[name]


def weights_path(name: str) -> Path:
    return Path(str(resources.files(WEIGHTS_PACKAGE).joinpath(f"{name}.pt")))


def recorded_checksums() -> dict[str, str]:
    return json.loads(resources.files(WEIGHTS_PACKAGE).joinpath("checksums.json").read_text())


def reference_checksum(name: str) -> str:
    return sha256_file(weights_path(name))


def load_reference_checkpoint(name: str) -> dict:
    """Load the shipped weights (weights-only) after checking their recorded SHA-256."""
    _get(name)
    return load_checkpoint(weights_path(name), expected_sha256=recorded_checksums()[name])


def load_reference_adapter(name: str) -> ModelAdapter:
    return _get(name).build(load_reference_checkpoint(name))


def retrain_and_store(name: str) -> str:
    """Retrain ``name``, write its weights and checksum; return the new SHA-256."""
    import io

    import torch

    model = _get(name)
    buffer = io.BytesIO()
    torch.save(model.train(), buffer)
    path = weights_path(name)
    path.write_bytes(buffer.getvalue())
    checksums_path = path.parent / "checksums.json"
    checksums = json.loads(checksums_path.read_text()) if checksums_path.exists() else {}
    checksums[name] = sha256_file(path)
    checksums_path.write_text(json.dumps(checksums, indent=2, sort_keys=True) + "\n")
    return checksums[name]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Retrain bundled reference models and write their weights.")
    parser.add_argument("names", nargs="+", choices=sorted(reference_models()))
    for name in parser.parse_args().names:
        print(f"{name}: sha256={retrain_and_store(name)}")


if __name__ == "__main__":
    main()
