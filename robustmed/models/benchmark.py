"""Reference models of the bundled benchmark: one small multitask late-fusion network per dataset.

Every model has one encoder per modality (chosen by modality kind, see
:mod:`robustmed.models.encoders`), a learned token that replaces the embedding of
a missing modality, a shared trunk and one logit head per task. Training is
full batch on CPU, and all randomness comes from one seeded ``torch.Generator``.
Retrain and rewrite the shipped weights of one model with::

    python -m robustmed.models.registry imaging_patches_late_fusion
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from robustmed.data.datasets import Dataset, load_dataset
from robustmed.data.spec import ModalityKind
from robustmed.models.adapter import LateFusionAdapter
from robustmed.models.encoders import (
    BeatSpectrumEncoder,
    CodonConvEncoder,
    FeatureEncoder,
    HashedTextEncoder,
    ImageEncoder,
    VolumeEncoder,
    initialise_module,
)
from robustmed.models.registry import ReferenceModel


def build_encoder(spec: dict, hidden: int, embedding_dim: int) -> nn.Module:
    """Instantiate the encoder an encoder spec (``{"type": ..., parameters}``) describes."""
    kind = spec["type"]
    if kind == "features":
        return FeatureEncoder(spec["n_features"], hidden, embedding_dim)
    if kind == "image":
        return ImageEncoder(spec["channels"], embedding_dim)
    if kind == "volume":
        return VolumeEncoder(spec["channels"], embedding_dim)
    if kind == "beat_spectrum":
        return BeatSpectrumEncoder(spec["sampling_rate"], spec["n_samples"], hidden, embedding_dim)
    if kind == "hashed_text":
        return HashedTextEncoder(spec["n_buckets"], embedding_dim)
    if kind == "codon_conv":
        return CodonConvEncoder(embedding_dim)
    raise ValueError(f"Unknown encoder type {kind!r}; known: features, image, volume, beat_spectrum, hashed_text, codon_conv.")


def encoder_spec(dataset: Dataset, name: str, text_buckets: int) -> dict:
    """The encoder spec for modality ``name`` of ``dataset``, chosen by its modality kind."""
    spec = dataset.specs[name]
    if spec.kind in (ModalityKind.TABULAR, ModalityKind.OMICS):
        return {"type": "features", "n_features": spec.shape[0]}
    if spec.kind == ModalityKind.IMAGE:
        return {"type": "image", "channels": spec.shape[0]}
    if spec.kind == ModalityKind.VOLUME:
        return {"type": "volume", "channels": spec.shape[0]}
    if spec.kind == ModalityKind.SIGNAL:
        return {"type": "beat_spectrum", "sampling_rate": spec.sampling_rate, "n_samples": spec.shape[-1]}
    if spec.kind == ModalityKind.TEXT:
        return {"type": "hashed_text", "n_buckets": text_buckets}
    if spec.kind == ModalityKind.DNA:
        return {"type": "codon_conv"}
    raise ValueError(f"Dataset {dataset.name!r}: no benchmark encoder for modality kind {spec.kind.value!r}.")


class MultimodalNet(nn.Module):
    """Late-fusion multitask network over any mix of modality kinds.

    Parameters
    ----------
    encoders : dict of str to dict
        Encoder spec per modality, in the order the model fuses them.
    task_outputs : dict of str to int
        Number of logits per task (1 for a binary task).
    hidden : int
    embedding_dim : int
    """

    def __init__(self, encoders: dict[str, dict], task_outputs: dict[str, int], hidden: int, embedding_dim: int) -> None:
        super().__init__()
        self.modalities = list(encoders)
        self.config = {
            "encoders": {name: dict(spec) for name, spec in encoders.items()},
            "task_outputs": dict(task_outputs),
            "hidden": hidden,
            "embedding_dim": embedding_dim,
        }
        self.encoders = nn.ModuleDict({n: build_encoder(s, hidden, embedding_dim) for n, s in encoders.items()})
        self.missing_tokens = nn.ParameterDict({n: nn.Parameter(torch.zeros(embedding_dim)) for n in encoders})
        self.trunk = nn.Sequential(nn.Linear(embedding_dim * len(encoders), hidden), nn.GELU())
        self.heads = nn.ModuleDict({task: nn.Linear(hidden, n) for task, n in task_outputs.items()})

    def initialise(self, generator: torch.Generator) -> None:
        """Draw every weight from ``generator``."""
        initialise_module(self, generator)
        with torch.no_grad():
            for token in self.missing_tokens.values():
                token.normal_(0.0, 0.1, generator=generator)

    def encode(self, name: str, x) -> torch.Tensor:
        return self.encoders[name](x)

    def _fused(self, embeddings: dict[str, torch.Tensor], present: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = []
        for name in self.modalities:
            embedding = embeddings[name]
            token = self.missing_tokens[name].to(embedding.dtype)
            parts.append(torch.where(present[name].to(embedding.device).unsqueeze(1), embedding, token))
        return self.trunk(torch.cat(parts, dim=1))

    def fuse(self, embeddings: dict[str, torch.Tensor], present: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        hidden = self._fused(embeddings, present)
        return {task: head(hidden) for task, head in self.heads.items()}

    def embed(self, embeddings: dict[str, torch.Tensor], present: dict[str, torch.Tensor]) -> torch.Tensor:
        return self._fused(embeddings, present)

    def forward(self, inputs: dict, present: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.fuse({name: self.encode(name, inputs[name]) for name in self.modalities}, present)


@dataclass(frozen=True)
class BenchmarkTraining:
    """Training settings of one benchmark reference model."""

    dataset: str
    description: str
    seed: int = 20261204
    epochs: int = 200
    learning_rate: float = 3e-3
    weight_decay: float = 1e-2
    modality_dropout: float = 0.3
    hidden: int = 32
    embedding_dim: int = 16
    text_buckets: int = 2048
    # Tasks weighted in the loss; all tasks count equally unless set.
    task_weights: dict[str, float] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return f"{self.dataset}_late_fusion"


def _prepared_inputs(model: MultimodalNet, modalities: dict) -> dict:
    """Compute the weight-free front ends (text hashing, DNA one-hot, ECG spectrum) once for training."""
    prepared = {}
    for name in model.modalities:
        encoder = model.encoders[name]
        if isinstance(encoder, HashedTextEncoder):
            prepared[name] = encoder.featurise(modalities[name])
        elif isinstance(encoder, CodonConvEncoder):
            prepared[name] = encoder.one_hot(modalities[name])
        elif isinstance(encoder, BeatSpectrumEncoder):
            prepared[name] = encoder.features(modalities[name])
        else:
            prepared[name] = modalities[name]
    return prepared


def _encode_prepared(model: MultimodalNet, name: str, value) -> torch.Tensor:
    encoder = model.encoders[name]
    if isinstance(encoder, HashedTextEncoder):
        return encoder.linear(value)
    if isinstance(encoder, CodonConvEncoder):
        return encoder.forward_one_hot(*value)
    if isinstance(encoder, BeatSpectrumEncoder):
        return encoder.mlp(value)
    return encoder(value)


def train_benchmark_model(config: BenchmarkTraining) -> MultimodalNet:
    """Train the reference model of ``config.dataset`` on its training split, full batch, on CPU.

    Initialisation and modality dropout draw from one ``torch.Generator`` seeded
    with ``config.seed``; the loss is the weighted mean of per-task binary
    cross-entropies.
    """
    dataset = load_dataset(config.dataset)
    train = dataset.split("train")
    names = list(dataset.specs)
    model = MultimodalNet(
        {name: encoder_spec(dataset, name, config.text_buckets) for name in names},
        {task: 1 for task in dataset.tasks},
        hidden=config.hidden,
        embedding_dim=config.embedding_dim,
    )
    generator = torch.Generator().manual_seed(config.seed)
    model.initialise(generator)
    for name in names:
        encoder = model.encoders[name]
        if isinstance(encoder, FeatureEncoder):
            encoder.mean.copy_(torch.nanmean(train.modalities[name], dim=0))
            encoder.std.copy_(dataset.specs[name].feature_scale)

    inputs = _prepared_inputs(model, train.modalities)
    targets = {task: train.targets[task].float().unsqueeze(1) for task in dataset.tasks}
    weights = {task: config.task_weights.get(task, 1.0) for task in dataset.tasks}
    total_weight = sum(weights.values())
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(config.epochs):
        if len(names) > 1:
            present = {n: torch.rand(len(train), generator=generator) >= config.modality_dropout for n in names}
        else:
            present = {n: torch.ones(len(train), dtype=torch.bool) for n in names}
        optimiser.zero_grad()
        embeddings = {name: _encode_prepared(model, name, inputs[name]) for name in names}
        logits = model.fuse(embeddings, present)
        loss = sum(weights[t] * loss_fn(logits[t], targets[t]) for t in dataset.tasks) / total_weight
        loss.backward()
        optimiser.step()
    return model.eval()


def checkpoint(model: MultimodalNet) -> dict:
    return {"config": model.config, "state_dict": model.state_dict()}


def model_from_checkpoint(stored: dict) -> MultimodalNet:
    config = stored["config"]
    model = MultimodalNet(config["encoders"], config["task_outputs"], config["hidden"], config["embedding_dim"])
    model.load_state_dict(stored["state_dict"])
    return model.eval()


TRAINING = (
    BenchmarkTraining("ischemic_stroke", "late fusion of CTA plaque features and clinical risk factors",
                      epochs=60, weight_decay=1.0, hidden=8, embedding_dim=4),
    BenchmarkTraining("breast_cancer", "late fusion of 76-gene expression and clinical variables, two tasks",
                      epochs=150, weight_decay=0.5),
    BenchmarkTraining("cxr_reports", "hashed n-gram encoders of indication and report text, four findings",
                      epochs=120, learning_rate=1e-2),
    BenchmarkTraining("bacterial_cds", "codon-stride CNN over DNA windows: coding strand and reading frame",
                      epochs=200, learning_rate=1e-2),
    BenchmarkTraining("ecg_heart_rate", "QRS-energy spectrum and MLP for tachycardia from 10-s ECG",
                      epochs=300),
    BenchmarkTraining("imaging_patches", "three-layer CNN recognising six imaging modalities from patches",
                      epochs=250, learning_rate=1e-2),
    BenchmarkTraining("mni152_tissue", "3D CNN for grey matter and cortical surface in template patches",
                      epochs=150, learning_rate=1e-2),
)


class BenchmarkAdapter(LateFusionAdapter):
    """Late-fusion adapter that also accepts text and DNA modalities (lists of str).

    Tensors move to the model's device; lists of strings go to the encoder as
    they are, because the encoder featurises them itself.
    """

    @torch.inference_mode()
    def encode(self, name: str, x) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            x = x.to(self.device)
        return self.model.encode(name, x)


def _reference(config: BenchmarkTraining) -> ReferenceModel:
    def build(stored: dict) -> BenchmarkAdapter:
        model = model_from_checkpoint(stored)
        return BenchmarkAdapter(model, load_dataset(config.dataset).tasks, tuple(model.modalities))

    return ReferenceModel(
        name=config.model_name,
        dataset=config.dataset,
        description=config.description,
        build=build,
        train=lambda: checkpoint(train_benchmark_model(config)),
    )


TRAINING_BY_MODEL = {config.model_name: config for config in TRAINING}
REFERENCE_MODELS = tuple(_reference(config) for config in TRAINING)
