"""The ad_data late-fusion reference model: deterministic training code.

Retrain and rewrite the shipped weights with::

    python -m robustmed.models.registry ad_late_fusion
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from robustmed.data.datasets import load_dataset
from robustmed.models.adapter import LateFusionAdapter
from robustmed.models.late_fusion import LateFusionNet
from robustmed.models.registry import ReferenceModel


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


def checkpoint(model: LateFusionNet) -> dict:
    return {"config": model.config, "state_dict": model.state_dict()}


def model_from_checkpoint(stored: dict) -> LateFusionNet:
    config = stored["config"]
    model = LateFusionNet(config["input_dims"], config["task_outputs"], config["hidden"], config["embedding_dim"])
    model.load_state_dict(stored["state_dict"])
    return model.eval()


def late_fusion_reference(name: str, config: TrainingConfig, description: str) -> ReferenceModel:
    """Describe a :class:`LateFusionNet` reference model trained by :func:`train_late_fusion`."""

    def build(stored: dict) -> LateFusionAdapter:
        model = model_from_checkpoint(stored)
        return LateFusionAdapter(model, load_dataset(config.dataset).tasks, tuple(model.modalities))

    return ReferenceModel(
        name=name,
        dataset=config.dataset,
        description=description,
        build=build,
        train=lambda: checkpoint(train_late_fusion(config)),
    )


AD_CONFIG = TrainingConfig()

REFERENCE_MODELS = (
    late_fusion_reference(
        "ad_late_fusion", AD_CONFIG, "late-fusion MLP over plasma proteins, CSF biomarkers and APOE genotype"
    ),
)
