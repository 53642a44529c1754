"""The multimodal batch that flows from loaders through generators to models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import torch

from robustmed.errors import DataError

Modality = torch.Tensor | list[str]


@dataclass(frozen=True)
class Batch:
    """A batch of samples with several modalities.

    Attributes
    ----------
    modalities : mapping of str to Tensor or list of str
        One entry per modality, batch dimension first (text as a list of strings).
    present : mapping of str to bool Tensor
        Shape ``(B,)`` per modality; False marks a sample whose modality is missing.
        Missing modalities are explicit: a missing entry's values are not meaningful.
    sample_ids : list of str
        Stable identifiers; generator randomness is keyed on them.
    patient_ids : list of str or None
        Patient identifiers for clustered statistics.
    metadata : DataFrame
        Subgroup attributes (sex, age band, site, ...), one row per sample.
    targets : mapping of str to Tensor
        Ground truth per task.
    """

    modalities: Mapping[str, Modality]
    present: Mapping[str, torch.Tensor]
    sample_ids: list[str]
    patient_ids: list[str] | None = None
    metadata: pd.DataFrame = field(default_factory=pd.DataFrame)
    targets: Mapping[str, torch.Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.sample_ids)
        for name, value in self.modalities.items():
            if len(value) != n:
                raise DataError(
                    f"Batch: modality {name!r} has {len(value)} samples but there are {n} sample ids."
                )
            if name not in self.present:
                raise DataError(f"Batch: modality {name!r} has no present mask.")
            if self.present[name].shape != (n,) or self.present[name].dtype != torch.bool:
                raise DataError(
                    f"Batch: present mask of {name!r} must be a bool tensor of shape ({n},); "
                    f"got {self.present[name].dtype} {tuple(self.present[name].shape)}."
                )
        if self.patient_ids is not None and len(self.patient_ids) != n:
            raise DataError(f"Batch: {len(self.patient_ids)} patient ids for {n} samples.")

    def __len__(self) -> int:
        return len(self.sample_ids)

    def to(self, device: torch.device | str) -> Batch:
        """Return the batch with every tensor moved to ``device``."""
        modalities = {
            k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in self.modalities.items()
        }
        present = {k: v.to(device) for k, v in self.present.items()}
        targets = {k: v.to(device) for k, v in self.targets.items()}
        return replace(self, modalities=modalities, present=present, targets=targets)

    def with_modality(self, name: str, value: Modality, present: torch.Tensor | None = None) -> Batch:
        """Return a copy with one modality (and optionally its present mask) replaced."""
        modalities = dict(self.modalities)
        modalities[name] = value
        masks = dict(self.present)
        if present is not None:
            masks[name] = present
        return replace(self, modalities=modalities, present=masks)

    def select(self, index: Sequence[int] | torch.Tensor) -> Batch:
        """Return the samples at ``index`` (positions), in that order."""
        idx = torch.as_tensor(index, dtype=torch.long)
        positions = idx.tolist()

        def take(value: Modality) -> Modality:
            if isinstance(value, torch.Tensor):
                return value[idx.to(value.device)]
            return [value[i] for i in positions]

        return Batch(
            modalities={k: take(v) for k, v in self.modalities.items()},
            present={k: v[idx.to(v.device)] for k, v in self.present.items()},
            sample_ids=[self.sample_ids[i] for i in positions],
            patient_ids=None if self.patient_ids is None else [self.patient_ids[i] for i in positions],
            metadata=self.metadata.iloc[positions].reset_index(drop=True),
            targets={k: v[idx.to(v.device)] for k, v in self.targets.items()},
        )

    def iter_batches(self, batch_size: int):
        """Yield consecutive sub-batches of at most ``batch_size`` samples."""
        for start in range(0, len(self), batch_size):
            yield self.select(range(start, min(start + batch_size, len(self))))
