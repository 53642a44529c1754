"""Model adapters: the one interface through which robustmed runs any model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import torch
from torch import nn

from robustmed.data.batch import Batch
from robustmed.data.datasets.base import TaskSpec

MissingPolicy = Literal["native", "drop", "zero", "mean", "learned_token", "marginal"]


def to_probabilities(logits: torch.Tensor, task: TaskSpec) -> torch.Tensor:
    """Convert logits to probabilities: (B,) for binary, (B, K) for multiclass and multilabel."""
    if task.type == "binary":
        return torch.sigmoid(logits.reshape(len(logits), -1)[:, -1])
    if task.type == "multiclass":
        return torch.softmax(logits, dim=-1)
    if task.type == "multilabel":
        return torch.sigmoid(logits)
    return logits.reshape(len(logits))


class ModelAdapter:
    """Wrap a model so robustmed can run it.

    Required: :meth:`predict`. Optional: :meth:`embed` (transfer analyses) and
    :meth:`encode` with :meth:`fuse` (late fusion; lets the engine cache
    per-modality embeddings). ``missing_policies`` lists how the adapter can feed
    a missing modality to the model; the first entry is the default.
    """

    tasks: dict[str, TaskSpec]
    modalities: tuple[str, ...]
    missing_policies: tuple[MissingPolicy, ...] = ("native",)

    def predict(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Per-task probabilities (regression: predicted values)."""
        raise NotImplementedError

    @property
    def supports_fusion_cache(self) -> bool:
        return False

    def to(self, device: torch.device | str) -> ModelAdapter:
        return self


class LateFusionAdapter(ModelAdapter):
    """Adapter for models that expose ``encode(name, x)`` and ``fuse(embeddings, present)``.

    Parameters
    ----------
    model : nn.Module
        Must provide ``encode``, ``fuse`` returning per-task logits, and optionally ``embed``.
    tasks : mapping of str to TaskSpec
    modalities : sequence of str
        Modality names in the order the model expects.
    """

    missing_policies = ("native", "learned_token", "zero", "mean")

    def __init__(self, model: nn.Module, tasks: Mapping[str, TaskSpec], modalities: tuple[str, ...]) -> None:
        self.model = model.eval()
        self.tasks = dict(tasks)
        self.modalities = tuple(modalities)
        self.device = next(model.parameters()).device

    @property
    def supports_fusion_cache(self) -> bool:
        return True

    def to(self, device: torch.device | str) -> LateFusionAdapter:
        self.model.to(device)
        self.device = torch.device(device)
        return self

    @torch.inference_mode()
    def encode(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(name, x.to(self.device))

    @torch.inference_mode()
    def fuse(self, embeddings: Mapping[str, torch.Tensor], present: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        present = {k: v.to(self.device) for k, v in present.items()}
        logits = self.model.fuse(dict(embeddings), present)
        return {task: to_probabilities(logits[task], spec).float() for task, spec in self.tasks.items()}

    @torch.inference_mode()
    def predict(self, batch: Batch) -> dict[str, torch.Tensor]:
        embeddings = {name: self.encode(name, batch.modalities[name]) for name in self.modalities}
        return self.fuse(embeddings, batch.present)

    @torch.inference_mode()
    def embed(self, batch: Batch) -> torch.Tensor:
        embeddings = {name: self.encode(name, batch.modalities[name]) for name in self.modalities}
        present = {k: v.to(self.device) for k, v in batch.present.items()}
        return self.model.embed(embeddings, present)


class CallableAdapter(ModelAdapter):
    """Adapter for any callable ``fn(batch) -> {task: logits}``, such as a wrapped ``nn.Module``."""

    def __init__(
        self,
        fn: Callable[[Batch], Mapping[str, torch.Tensor]],
        tasks: Mapping[str, TaskSpec],
        modalities: tuple[str, ...],
        outputs: Literal["logits", "probabilities"] = "logits",
    ) -> None:
        self.fn = fn
        self.tasks = dict(tasks)
        self.modalities = tuple(modalities)
        self.outputs = outputs

    @torch.inference_mode()
    def predict(self, batch: Batch) -> dict[str, torch.Tensor]:
        raw = self.fn(batch)
        if self.outputs == "probabilities":
            return {task: raw[task].float() for task in self.tasks}
        return {task: to_probabilities(raw[task], spec).float() for task, spec in self.tasks.items()}
