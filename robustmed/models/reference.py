"""Bundled reference models: deterministic training code and shipped weights.

Retrain and rewrite the shipped weights with::

    python -m robustmed.models.reference ad_late_fusion
"""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from robustmed.data.datasets import load_dataset
from robustmed.models.adapter import LateFusionAdapter
from robustmed.models.checkpoint import load_checkpoint, sha256_file
from robustmed.models.late_fusion import LateFusionNet

WEIGHTS_PACKAGE = "robustmed.models.weights"


@dataclass(frozen=True)
class TrainingConfig:
    dataset: str = "ad_data"
    seed: int = 20261204
    epochs: int = 100
    learning_rate: float = 1e-3
    weight_decay: float = 0.5
    modality_dropout: float = 0.5
    hidden: int = 32
    embedding_dim: int = 16


REFERENCE_MODELS = {"ad_late_fusion": TrainingConfig()}


def train_late_fusion(config: TrainingConfig) -> LateFusionNet:
    """Train a :class:`LateFusionNet` on the dataset's train split, full batch, on CPU.

    All randomness (initialisation, modality dropout) comes from one
    ``torch.Generator`` seeded with ``config.seed``; no global RNG is used.
    Modality dropout teaches the learned missing tokens.
    """
    dataset = load_dataset(config.dataset)
    train = dataset.split("train")
    names = list(dataset.specs)
    model = LateFusionNet(
        {n: dataset.specs[n].shape[0] for n in names},
        {task: 1 for task in dataset.tasks},
        hidden=config.hidden,
        embedding_dim=config.embedding_dim,
    )
    generator = torch.Generator().manual_seed(config.seed)
    model.initialise(generator)
    for name in names:
        values = train.modalities[name]
        mean = torch.nanmean(values, dim=0)
        std = dataset.specs[name].feature_scale
        model.set_normalisation(name, mean, std)

    (task,) = dataset.tasks
    target = train.targets[task].float().unsqueeze(1)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(config.epochs):
        present = {
            n: torch.rand(len(train), generator=generator) >= config.modality_dropout for n in names
        }
        optimiser.zero_grad()
        loss = loss_fn(model(train.modalities, present)[task], target)
        loss.backward()
        optimiser.step()
    return model.eval()


def serialise(model: LateFusionNet) -> bytes:
    buffer = io.BytesIO()
    torch.save({"config": model.config, "state_dict": model.state_dict()}, buffer)
    return buffer.getvalue()


def _checksums() -> dict[str, str]:
    return json.loads(resources.files(WEIGHTS_PACKAGE).joinpath("checksums.json").read_text())


def weights_path(name: str) -> Path:
    return Path(str(resources.files(WEIGHTS_PACKAGE).joinpath(f"{name}.pt")))


def load_reference_model(name: str) -> LateFusionNet:
    """Load the shipped weights of reference model ``name`` after checking their SHA-256."""
    if name not in REFERENCE_MODELS:
        raise KeyError(f"Unknown reference model {name!r}; available: {', '.join(REFERENCE_MODELS)}.")
    checkpoint = load_checkpoint(weights_path(name), expected_sha256=_checksums()[name])
    config = checkpoint["config"]
    model = LateFusionNet(
        config["input_dims"], config["task_outputs"], config["hidden"], config["embedding_dim"]
    )
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()


def load_reference_adapter(name: str) -> LateFusionAdapter:
    config = REFERENCE_MODELS.get(name)
    if config is None:
        raise KeyError(f"Unknown reference model {name!r}; available: {', '.join(REFERENCE_MODELS)}.")
    model = load_reference_model(name)
    dataset = load_dataset(config.dataset)
    return LateFusionAdapter(model, dataset.tasks, tuple(model.modalities))


def reference_checksum(name: str) -> str:
    return sha256_file(weights_path(name))


def main() -> None:
    parser = argparse.ArgumentParser(description="Retrain a bundled reference model and write its weights.")
    parser.add_argument("name", choices=sorted(REFERENCE_MODELS))
    args = parser.parse_args()
    model = train_late_fusion(REFERENCE_MODELS[args.name])
    path = weights_path(args.name)
    path.write_bytes(serialise(model))
    checksums_path = path.parent / "checksums.json"
    checksums = json.loads(checksums_path.read_text()) if checksums_path.exists() else {}
    checksums[args.name] = sha256_file(path)
    checksums_path.write_text(json.dumps(checksums, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path} sha256={checksums[args.name]}")


if __name__ == "__main__":
    main()
