"""Batched evaluation of cells on a device, with the late-fusion embedding cache.

A cell is one point of an analysis grid. The runner applies the cell's
perturbation batch by batch on the model's device, runs the adapter, and writes
one Parquet partition per cell with one row per sample and task. When the
adapter exposes ``encode``/``fuse``, clean per-modality embeddings are computed
once and only the perturbed modality is re-encoded in each cell.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from robustmed.data.batch import Batch
from robustmed.data.spec import ModalitySpec
from robustmed.engine.store import PredictionStore
from robustmed.errors import DataError
from robustmed.generators.base import Generator
from robustmed.generators.random import sample_keys
from robustmed.models.adapter import ModelAdapter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Perturbation:
    """One generator applied to one modality at one level with one seed."""

    generator: Generator
    modality: str
    level: float
    seed: int


@dataclass(frozen=True)
class Cell:
    """A grid point: its analysis, descriptive labels and the perturbations to apply."""

    analysis: str
    labels: dict[str, object]
    perturbations: tuple[Perturbation, ...] = ()
    present_override: dict[str, bool] = field(default_factory=dict)

    @property
    def cell_id(self) -> str:
        text = json.dumps({"analysis": self.analysis, **self.labels}, sort_keys=True, default=str)
        return f"{self.analysis}-{hashlib.sha1(text.encode()).hexdigest()[:16]}"


def _perturb(batch: Batch, cell: Cell, specs: dict[str, ModalitySpec]) -> tuple[Batch, list[str], set[str]]:
    """Apply a cell's perturbations; return the batch, recorded parameters and changed modalities."""
    records: list[dict] = [{} for _ in range(len(batch))]
    changed: set[str] = set()
    for perturbation in cell.perturbations:
        generator, name = perturbation.generator, perturbation.modality
        keys = sample_keys(perturbation.seed, generator.name, batch.sample_ids)
        result = generator(batch.modalities[name], batch.present[name], perturbation.level, keys, specs[name])
        if result.values is not batch.modalities[name]:
            changed.add(name)
        batch = batch.with_modality(name, result.values, result.present)
        for i, text in enumerate(Generator.record(result.params)):
            records[i][f"{generator.name}@{name}"] = json.loads(text)
    for name, keep in cell.present_override.items():
        if not keep:
            batch = batch.with_modality(name, batch.modalities[name], torch.zeros_like(batch.present[name]))
    return batch, [json.dumps(r, sort_keys=True) if r else "" for r in records], changed


class Runner:
    """Evaluate cells over a dataset split and store their predictions.

    Parameters
    ----------
    adapter : ModelAdapter
    batch : Batch
        The evaluation samples (on CPU; moved to ``device`` batch by batch).
    specs : dict of str to ModalitySpec
    store : PredictionStore
    device : str, default="cpu"
    batch_size : int, default=256
    """

    def __init__(
        self,
        adapter: ModelAdapter,
        batch: Batch,
        specs: dict[str, ModalitySpec],
        store: PredictionStore,
        *,
        device: str = "cpu",
        batch_size: int = 256,
        use_cache: bool = True,
    ) -> None:
        self.adapter = adapter.to(device)
        self.batch = batch
        self.specs = specs
        self.store = store
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.use_cache = use_cache and adapter.supports_fusion_cache
        self._clean_embeddings: list[dict[str, torch.Tensor]] | None = None

    def _chunks(self) -> list[Batch]:
        return list(self.batch.iter_batches(self.batch_size))

    def _embeddings(self, chunks: list[Batch]) -> list[dict[str, torch.Tensor]]:
        if self._clean_embeddings is None:
            # Batch.to moves tensors and leaves text and sequence modalities (lists of str) as they are.
            on_device = [c.to(self.device) for c in chunks]
            self._clean_embeddings = [
                {n: self.adapter.encode(n, c.modalities[n]) for n in self.adapter.modalities} for c in on_device
            ]
        return self._clean_embeddings

    def predict_cell(self, cell: Cell) -> pd.DataFrame:
        """Predictions of one cell: one row per sample and task."""
        chunks = self._chunks()
        cached = self._embeddings(chunks) if self.use_cache else None
        frames = []
        for index, chunk in enumerate(chunks):
            chunk = chunk.to(self.device)
            perturbed, records, changed = _perturb(chunk, cell, self.specs)
            if cached is not None:
                embeddings = dict(cached[index])
                for name in changed:
                    embeddings[name] = self.adapter.encode(name, perturbed.modalities[name])
                outputs = self.adapter.fuse(embeddings, perturbed.present)
            else:
                outputs = self.adapter.predict(perturbed)
            frames.append(self._rows(chunk, outputs, records))
        frame = pd.concat(frames, ignore_index=True)
        frame.insert(0, "cell_id", cell.cell_id)
        frame.insert(1, "analysis", cell.analysis)
        for position, (key, value) in enumerate(sorted(cell.labels.items()), start=2):
            frame.insert(position, key, value)
        return frame

    def _rows(self, chunk: Batch, outputs: dict[str, torch.Tensor], records: list[str]) -> pd.DataFrame:
        parts = []
        # A multitask model may predict tasks this dataset does not label; only labelled tasks are stored.
        labelled = [task for task in outputs if task in chunk.targets]
        if not labelled:
            raise DataError(
                f"The model predicts tasks {', '.join(sorted(outputs))} but the dataset labels "
                f"{', '.join(sorted(chunk.targets)) or 'none'}; pair the model with a dataset it was built for."
            )
        for task in labelled:
            values = outputs[task].detach().cpu().double().numpy()
            part = pd.DataFrame(
                {
                    "sample_id": chunk.sample_ids,
                    "patient_id": chunk.patient_ids if chunk.patient_ids is not None else chunk.sample_ids,
                    "task": task,
                    "y_true": chunk.targets[task].cpu().numpy().astype(np.int64),
                }
            )
            if values.ndim == 1:
                part["prob"] = values
            else:
                for k in range(values.shape[1]):
                    part[f"prob_{k}"] = values[:, k]
            part["params"] = records
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def run(
        self,
        cells: Iterable[Cell],
        *,
        resume: bool = True,
        progress: Callable[[Iterable], Iterable] | None = None,
    ) -> list[str]:
        """Evaluate every cell not already stored (when ``resume``); return all cell ids."""
        cells = list(cells)
        iterator = progress(cells) if progress is not None else cells
        for cell in iterator:
            if resume and self.store.has(cell.cell_id):
                logger.debug("skipping stored cell %s", cell.cell_id)
                continue
            self.store.write(cell.cell_id, self.predict_cell(cell))
        return [c.cell_id for c in cells]
