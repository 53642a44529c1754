"""Predictions with modalities removed, under a missing-modality fill policy.

:class:`SubsetPredictor` returns the model's predictions when only chosen
modalities are present for chosen samples and the rest are filled by a policy.
For adapters that expose ``encode``/``fuse`` it encodes every modality once and
builds each request from the stored embeddings, so a sweep over all 2**M
subsets and several policies costs one encoder pass plus one fusion pass per
request. This relies on the encoders treating samples independently (true for
models in eval mode without cross-sample layers); cached and uncached results
then agree up to float rounding.
"""

from __future__ import annotations

import warnings

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from robustmed.data.batch import Batch
from robustmed.errors import DataError, RobustmedError
from robustmed.generators.random import sample_keys, uniform
from robustmed.models.adapter import INPUT_FILL_POLICIES, ModelAdapter, fill_missing

Keep = Mapping[str, torch.Tensor | np.ndarray | bool]
# Cached requests are fused together in blocks of about this many rows. Small fusion heads
# are dominated by per-call overhead, so one call per request would cost more than the
# encoder pass for 2**10 subsets.
FUSION_ROWS = 16384


def marginal_donors(sample_ids: Sequence[str], available: np.ndarray, seed: int, modality: str) -> torch.Tensor:
    """Pick, for every sample, another sample whose ``modality`` is present.

    The choice uses counter-based randomness keyed on (seed, modality, sample
    id) and candidates are taken in sample-id order, so the donor depends only on
    the set of evaluation samples, not on batch size or row order. A sample is
    its own donor only when no other sample has the modality.

    Returns
    -------
    Tensor of shape (n,), int64
        Donor positions into ``sample_ids``.
    """
    available = np.asarray(available, dtype=bool)
    candidates = np.flatnonzero(available)
    # Candidates in sample-id order, so a donor does not depend on the set's row order.
    candidates = candidates[np.argsort(np.asarray(sample_ids, dtype=object)[candidates].astype(str), kind="stable")]
    if candidates.size == 0:
        raise DataError(f"Marginal resampling: no sample in the evaluation set has modality {modality!r}.")
    keys = sample_keys(seed, f"marginal_donor@{modality}", sample_ids)
    u = uniform(keys, (1,), stream=0, device="cpu", dtype=torch.float64)[:, 0].numpy()
    rank_of = np.full(len(available), -1)
    rank_of[candidates] = np.arange(candidates.size)
    is_candidate = rank_of >= 0
    pool = candidates.size - is_candidate.astype(np.int64)
    k = np.minimum((u * pool).astype(np.int64), np.maximum(pool - 1, 0))
    k = np.where(is_candidate & (k >= rank_of), k + 1, k)  # skip the sample itself
    donors = np.where(pool == 0, np.arange(len(available)), candidates[np.minimum(k, candidates.size - 1)])
    return torch.from_numpy(donors.astype(np.int64))


@dataclass(frozen=True)
class FillValues:
    """Evaluation-set statistics the input fills need: feature means and marginal donors."""

    means: dict[str, torch.Tensor]
    donors: dict[str, torch.Tensor]


def fill_values(batch: Batch, seed: int) -> FillValues:
    """Feature means over present samples (NaN values ignored) and donors per modality.

    A feature that is NaN in every present sample gets a NaN mean, which the
    model then receives as it would receive a NaN input.
    """
    means, donors = {}, {}
    for name, values in batch.modalities.items():
        present = batch.present[name].cpu()
        if isinstance(values, torch.Tensor):
            # NumPy, because torch's reductions on small CPU tensors pay thread-pool start-up costs.
            kept = values.cpu().numpy()[present.numpy()].astype(np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN feature has a NaN mean
                mean = np.nanmean(kept, axis=0) if len(kept) else np.full(values.shape[1:], np.nan)
            means[name] = torch.from_numpy(mean).to(values.dtype)
        donors[name] = marginal_donors(batch.sample_ids, present.numpy(), seed, name)
    return FillValues(means, donors)


def _baseline(batch: Batch, tasks) -> dict[str, np.ndarray]:
    """Uninformative predictions: the evaluation-set class frequencies (mean for regression)."""
    outputs = {}
    for task, spec in tasks.items():
        y = batch.targets[task].cpu().numpy()
        n = len(y)
        if spec.type == "multiclass":
            frequencies = np.bincount(y.astype(np.int64), minlength=len(spec.classes)) / n
            outputs[task] = np.tile(frequencies, (n, 1))
        elif spec.type == "multilabel":
            outputs[task] = np.tile(y.mean(axis=0), (n, 1))
        else:
            outputs[task] = np.full(n, float(np.mean(y)))
    return outputs


class SubsetPredictor:
    """Predict the evaluation set with chosen modalities absent, under one fill policy.

    Parameters
    ----------
    adapter : ModelAdapter
        Already on ``device``.
    batch : Batch
        The evaluation set (CPU).
    device : str, default="cpu"
    batch_size : int, default=256
    seed : int, default=0
        Root seed of marginal resampling.
    use_cache : bool, default=True
        Reuse per-modality embeddings when the adapter has ``encode``/``fuse``.
    """

    def __init__(
        self,
        adapter: ModelAdapter,
        batch: Batch,
        *,
        device: str | torch.device = "cpu",
        batch_size: int = 256,
        seed: int = 0,
        use_cache: bool = True,
    ) -> None:
        self.adapter = adapter
        self.batch = batch
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.seed = seed
        self.cached = use_cache and adapter.supports_fusion_cache
        self._embeddings: dict[str, torch.Tensor] | None = None
        self._fill_embeddings: dict[tuple[str, str], torch.Tensor] = {}

    @cached_property
    def fills(self) -> FillValues:
        """Feature means and marginal donors, computed on first use."""
        return fill_values(self.batch, self.seed)

    def predict(self, keep: Keep, policy: str) -> dict[str, np.ndarray]:
        """Probabilities per task when modality ``m`` is kept only where ``keep[m]`` is True.

        Parameters
        ----------
        keep : mapping of modality name to bool or bool array of shape (n,)
            Modalities not listed are kept. A sample whose modality is already
            missing in the data stays missing.
        policy : str
            A policy the adapter supports (see ``ModelAdapter.missing_policy_support``).

        Returns
        -------
        dict of task name to ndarray, shape (n,) or (n, K), float64
        """
        return self.predict_many([(keep, policy)])[0]

    def predict_many(self, requests: Sequence[tuple[Keep, str]]) -> list[dict[str, np.ndarray]]:
        """Predict for several ``(keep, policy)`` requests, in order; see :meth:`predict`.

        With the embedding cache, requests are fused together in blocks of about
        ``FUSION_ROWS`` rows, which is what makes a 2**M sweep cheap.
        """
        prepared = []
        for keep, policy in requests:
            reason = self.adapter.missing_policy_support(policy)
            if reason is not None:
                raise RobustmedError(f"Missing-modality policy {policy!r} is not available for this model: {reason}.")
            prepared.append((self._present(keep), policy))
        results: list[dict[str, np.ndarray] | None] = [None] * len(prepared)
        fusable = []
        for index, (present, policy) in enumerate(prepared):
            if policy == "drop":
                results[index] = self._predict_drop(present)
            elif self.cached:
                fusable.append(index)
            else:
                results[index] = self._predict_forward(present, policy)
        per_block = max(1, FUSION_ROWS // max(len(self.batch), 1))
        for start in range(0, len(fusable), per_block):
            block = fusable[start:start + per_block]
            for index, outputs in zip(block, self._predict_cached([prepared[i] for i in block]), strict=True):
                results[index] = outputs
        return results

    def _present(self, keep: Keep) -> dict[str, torch.Tensor]:
        present = {}
        for name in self.adapter.modalities:
            flag = torch.as_tensor(keep.get(name, True), dtype=torch.bool)
            present[name] = self.batch.present[name] & flag.expand(len(self.batch))
        return present

    def _collect(self, parts: list[dict[str, torch.Tensor]]) -> dict[str, np.ndarray]:
        return {
            task: torch.cat([part[task].detach().cpu() for part in parts]).double().numpy()
            for task in self.adapter.tasks
        }

    def _predict_forward(self, present: dict[str, torch.Tensor], policy: str) -> dict[str, np.ndarray]:
        masked = Batch(
            modalities=self.batch.modalities, present=present, sample_ids=self.batch.sample_ids,
            patient_ids=self.batch.patient_ids, metadata=self.batch.metadata, targets=self.batch.targets,
        )
        if policy in INPUT_FILL_POLICIES:
            masked = fill_missing(
                masked, policy, means=self.fills.means, donors=self.fills.donors,
                donor_values=self.batch.modalities,
            )
        parts = [self.adapter.predict(chunk.to(self.device)) for chunk in masked.iter_batches(self.batch_size)]
        return self._collect(parts)

    def clean_embeddings(self) -> dict[str, torch.Tensor]:
        """Per-modality embeddings of the whole evaluation set, encoded once."""
        if self._embeddings is None:
            chunks = list(self.batch.iter_batches(self.batch_size))
            self._embeddings = {
                name: torch.cat([self.adapter.encode(name, c.modalities[name].to(self.device)) for c in chunks])
                for name in self.adapter.modalities
            }
        return self._embeddings

    def _fill_embedding(self, name: str, policy: str) -> torch.Tensor:
        """Embedding of the zero or mean input, shape (1, E): one row serves every sample."""
        if (name, policy) not in self._fill_embeddings:
            values = self.batch.modalities[name]
            if not isinstance(values, torch.Tensor):
                raise RobustmedError(f"The {policy} fill needs a tensor modality; {name!r} is text.")
            row = torch.zeros_like(values[:1]) if policy == "zero" else self.fills.means[name].to(values.dtype)[None]
            self._fill_embeddings[(name, policy)] = self.adapter.encode(name, row.to(self.device))
        return self._fill_embeddings[(name, policy)]

    def _request_embeddings(self, present: dict[str, torch.Tensor], policy: str):
        """Embeddings and present flags that one request feeds to ``fuse``."""
        clean = self.clean_embeddings()
        embeddings, fused_present = {}, {}
        for name in self.adapter.modalities:
            mask = present[name].to(self.device)
            if policy in INPUT_FILL_POLICIES:
                if policy == "marginal":
                    replacement = clean[name][self.fills.donors[name].to(self.device)]
                else:
                    replacement = self._fill_embedding(name, policy)
                embeddings[name] = torch.where(mask[:, None], clean[name], replacement)
                fused_present[name] = torch.ones_like(mask)
            else:
                embeddings[name] = clean[name]
                fused_present[name] = mask
        return embeddings, fused_present

    def _predict_cached(self, requests: list[tuple[dict[str, torch.Tensor], str]]) -> list[dict[str, np.ndarray]]:
        """Fuse a block of requests in one pass over their stacked rows."""
        built = [self._request_embeddings(present, policy) for present, policy in requests]
        names = self.adapter.modalities
        embeddings = {n: torch.cat([b[0][n] for b in built]) for n in names}
        fused_present = {n: torch.cat([b[1][n] for b in built]) for n in names}
        rows = len(embeddings[names[0]])
        step = max(self.batch_size, FUSION_ROWS)
        parts = []
        for start in range(0, rows, step):
            window = slice(start, start + step)
            parts.append(
                self.adapter.fuse({n: e[window] for n, e in embeddings.items()}, {n: m[window] for n, m in fused_present.items()})
            )
        stacked = self._collect(parts)
        n = len(self.batch)
        return [{task: values[k * n:(k + 1) * n] for task, values in stacked.items()} for k in range(len(requests))]

    def _predict_drop(self, present: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
        """Run each present-pattern group with its absent modalities left out.

        NOTE: drop always runs full forward passes; it does not use the embedding cache.
        """
        names = list(self.adapter.modalities)
        matrix = torch.stack([present[n].cpu() for n in names], dim=1)
        patterns, groups = torch.unique(matrix, dim=0, return_inverse=True)
        baseline = _baseline(self.batch, self.adapter.tasks)
        outputs = {task: np.array(values, dtype=np.float64, copy=True) for task, values in baseline.items()}
        for g, pattern in enumerate(patterns):
            rows = torch.nonzero(groups == g).flatten()
            dropped = tuple(n for n, kept in zip(names, pattern.tolist(), strict=True) if not kept)
            if len(dropped) == len(names):
                continue  # no modality left: keep the uninformative baseline
            subset = self.batch.select(rows)
            parts = [
                self.adapter.predict_without(chunk.to(self.device), dropped)
                for chunk in subset.iter_batches(self.batch_size)
            ]
            for task, values in self._collect(parts).items():
                outputs[task][rows.numpy()] = values
        return outputs
