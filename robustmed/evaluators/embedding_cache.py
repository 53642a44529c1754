"""Frozen embeddings and head probabilities of a model, computed through its adapter and cached on disk.

One cache entry contains the adapter's ``embed`` output and ``predict``
probabilities for one (model, dataset, split, perturbation). Its file name is
the SHA-256 of the model checksum, the data checksum, the split and the
perturbation, so a changed model or dataset never reads a stale entry. Files
are written atomically, so a killed run leaves either a complete entry or none.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from robustmed.data.batch import Batch
from robustmed.data.datasets.base import Dataset
from robustmed.engine.store import atomic_write_bytes
from robustmed.generators.base import Generator
from robustmed.generators.random import sample_keys
from robustmed.models.adapter import ModelAdapter

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
EMBEDDING = "embedding"
PROBABILITY_PREFIX = "probability__"


@dataclass(frozen=True)
class InputPerturbation:
    """A generator applied to one modality of the evaluated inputs at one level with one seed."""

    generator: Generator
    modality: str
    level: float
    seed: int

    def label(self) -> dict[str, object]:
        return {"generator": self.generator.name, "modality": self.modality, "level": self.level, "seed": self.seed}


def perturb(batch: Batch, perturbation: InputPerturbation | None, dataset: Dataset) -> Batch:
    """Apply ``perturbation`` to ``batch``; keys come from sample ids, so the result does not depend on batching."""
    if perturbation is None or perturbation.level == 0.0:
        return batch
    name = perturbation.modality
    keys = sample_keys(perturbation.seed, perturbation.generator.name, batch.sample_ids)
    result = perturbation.generator(
        batch.modalities[name], batch.present[name], perturbation.level, keys, dataset.specs[name]
    )
    return batch.with_modality(name, result.values, result.present)


class EmbeddingCache:
    """Cache of adapter outputs under ``folder``.

    Parameters
    ----------
    folder : path
        Cache folder (created on first write).
    adapter : ModelAdapter
        Must implement ``embed``.
    model_checksum : str
        SHA-256 of the model weights; part of every key.
    device : str, default="cpu"
    batch_size : int, default=256
    """

    def __init__(
        self, folder: Path, adapter: ModelAdapter, model_checksum: str, *, device: str = "cpu", batch_size: int = 256
    ) -> None:
        self.folder = Path(folder)
        self.adapter = adapter
        self.model_checksum = model_checksum
        self.device = device
        self.batch_size = batch_size
        self._data_checksums: dict[str, str] = {}
        self.hits = 0
        self.misses = 0

    def data_checksum(self, dataset: Dataset) -> str:
        if dataset.name not in self._data_checksums:
            self._data_checksums[dataset.name] = dataset.checksum()
        return self._data_checksums[dataset.name]

    def key(self, dataset: Dataset, split: str, perturbation: InputPerturbation | None) -> str:
        text = json.dumps(
            {
                "format": CACHE_FORMAT,
                "model": self.model_checksum,
                "data": self.data_checksum(dataset),
                "split": split,
                "perturbation": None if perturbation is None else perturbation.label(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def outputs(
        self, dataset: Dataset, split: str, perturbation: InputPerturbation | None = None
    ) -> dict[str, np.ndarray]:
        """Embeddings (key ``"embedding"``, shape (n, d)) and per-task head probabilities of a split.

        Rows follow the split's sample order. Reads the cache entry when it
        exists, else computes and stores it.
        """
        path = self.folder / f"{self.key(dataset, split, perturbation)}.npz"
        if path.is_file():
            self.hits += 1
            with np.load(path, allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}
        self.misses += 1
        outputs = self._compute(dataset, split, perturbation)
        buffer = io.BytesIO()
        np.savez(buffer, **outputs)
        atomic_write_bytes(path, buffer.getvalue())
        logger.debug("cached %s %s %s in %s", dataset.name, split, perturbation, path.name)
        return outputs

    def _compute(self, dataset: Dataset, split: str, perturbation: InputPerturbation | None) -> dict[str, np.ndarray]:
        batch = dataset.split(split)
        embeddings, probabilities = [], {task: [] for task in self.adapter.tasks}
        for chunk in batch.iter_batches(self.batch_size):
            chunk = perturb(chunk.to(self.device), perturbation, dataset)
            embedding = self.adapter.embed(chunk)
            if embedding.ndim != 2:
                raise ValueError(
                    f"adapter.embed must return a (batch, dim) tensor; got shape {tuple(embedding.shape)}."
                )
            embeddings.append(embedding.detach().float().cpu().numpy())
            for task, values in self.adapter.predict(chunk).items():
                probabilities[task].append(values.detach().double().cpu().numpy())
        outputs = {EMBEDDING: np.concatenate(embeddings).astype(np.float32)}
        for task, parts in probabilities.items():
            outputs[f"{PROBABILITY_PREFIX}{task}"] = np.concatenate(parts)
        return outputs


def head_probabilities(outputs: dict[str, np.ndarray], task: str) -> np.ndarray:
    """Class-probability matrix (n, K) of the model's head ``task``; a binary head gives [1 - p, p]."""
    values = outputs[f"{PROBABILITY_PREFIX}{task}"]
    if values.ndim == 1:
        return np.column_stack([1.0 - values, values])
    return values

