"""Model adapters: the one interface through which robustmed runs any model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import torch
from torch import nn

from robustmed.data.batch import Batch
from robustmed.data.datasets.base import TaskSpec

MissingPolicy = Literal["native", "drop", "zero", "mean", "learned_token", "marginal"]
MISSING_POLICIES: tuple[MissingPolicy, ...] = ("native", "drop", "zero", "mean", "learned_token", "marginal")
# Policies that rewrite the input before the forward pass, so they need no support from the model.
INPUT_FILL_POLICIES: tuple[MissingPolicy, ...] = ("zero", "mean", "marginal")


def fill_missing(
    batch: Batch,
    policy: MissingPolicy,
    *,
    means: Mapping[str, torch.Tensor] | None = None,
    donors: Mapping[str, torch.Tensor] | None = None,
    donor_values: Mapping[str, torch.Tensor] | None = None,
) -> Batch:
    """Fill every absent modality entry at the input and mark it present.

    Parameters
    ----------
    batch : Batch
    policy : {"zero", "mean", "marginal"}
        ``zero`` writes zeros, ``mean`` writes ``means[name]`` (one value per
        feature), ``marginal`` copies row ``donors[name][i]`` of
        ``donor_values[name]`` into sample i.
    means, donors, donor_values : mappings by modality name
        Needed by ``mean`` and ``marginal``; donor indices point into
        ``donor_values`` (usually the whole evaluation set).

    Raises
    ------
    ValueError
        For another policy, or a text modality (zero and mean have no meaning for text).
    """
    if policy not in INPUT_FILL_POLICIES:
        raise ValueError(f"fill_missing: policy must be one of {INPUT_FILL_POLICIES}; got {policy!r}.")
    result = batch
    for name, values in batch.modalities.items():
        absent = ~batch.present[name]
        if not bool(absent.any()):
            continue
        if policy == "marginal":
            source = donor_values[name]
            index = donors[name].to(torch.long)
            if isinstance(source, torch.Tensor):
                replacement = source.to(values.device)[index.to(source.device)].to(values.dtype)
            else:
                replacement = [source[int(j)] for j in index]
        elif not isinstance(values, torch.Tensor):
            raise ValueError(f"fill_missing: {policy} fill needs a tensor modality; {name!r} is text.")
        elif policy == "zero":
            replacement = torch.zeros_like(values)
        else:
            replacement = means[name].to(values.device, values.dtype).expand_as(values)
        if isinstance(values, torch.Tensor):
            mask = absent.to(values.device).reshape(-1, *([1] * (values.dim() - 1)))
            filled = torch.where(mask, replacement, values)
        else:
            flags = absent.tolist()
            filled = [replacement[i] if flag else text for i, (flag, text) in enumerate(zip(flags, values))]
        result = result.with_modality(name, filled, torch.ones_like(batch.present[name]))
    return result


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
    a missing modality to the model; the first entry is the default. The input
    fills (zero, mean, marginal) need nothing from the model, so
    :meth:`missing_policy_support` accepts them for every adapter.
    """

    tasks: dict[str, TaskSpec]
    modalities: tuple[str, ...]
    missing_policies: tuple[MissingPolicy, ...] = ("native",)
    # Why a model-side policy is unavailable, shown to users instead of a fake result.
    unsupported_policy_reasons: dict[str, str] = {
        "drop": "the model declares no way to run with a modality left out",
        "learned_token": "the model declares no learned missing-modality token",
    }

    def missing_policy_support(self, policy: str) -> str | None:
        """Return None when ``policy`` can be applied, else the reason it cannot."""
        if policy not in MISSING_POLICIES:
            return f"unknown policy {policy!r}; known policies: {', '.join(MISSING_POLICIES)}"
        if policy in self.missing_policies or policy in INPUT_FILL_POLICIES:
            return None
        return self.unsupported_policy_reasons.get(policy, f"the model does not declare policy {policy!r}")

    def predict_without(self, batch: Batch, dropped: tuple[str, ...]) -> dict[str, torch.Tensor]:
        """Predict with the modalities in ``dropped`` left out entirely (policy ``drop``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot leave modalities out: {self.missing_policy_support('drop')}.")

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

    # ``native`` passes the present mask to ``fuse``; a LateFusionNet then substitutes
    # its learned token, so for it ``native`` and ``learned_token`` are the same computation.
    missing_policies = ("native", "learned_token", "zero", "mean")
    unsupported_policy_reasons = {
        **ModelAdapter.unsupported_policy_reasons,
        "drop": "the fusion head concatenates one embedding per modality, so no modality can be left out",
    }

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
