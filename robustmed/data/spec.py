"""Modality specifications: what kind of data a modality holds and its units."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import torch


class ModalityKind(StrEnum):
    """The ten modality kinds robustmed knows generators for."""

    IMAGE = "image"
    VOLUME = "volume"
    VIDEO = "video"
    SIGNAL = "signal"
    AUDIO = "audio"
    TEXT = "text"
    DNA = "dna"
    PROTEIN = "protein"
    TABULAR = "tabular"
    OMICS = "omics"


@dataclass(frozen=True)
class ModalitySpec:
    """Description of one modality of a dataset.

    Parameters
    ----------
    name : str
        Modality name used as the key in a :class:`~robustmed.data.batch.Batch`.
    kind : ModalityKind
        Modality kind; decides which generators apply.
    shape : tuple of int
        Shape of one sample, without the batch dimension (empty for text).
    dtype : torch.dtype or None
        Tensor dtype, or None for text (lists of strings).
    unit : str
        Intensity or measurement unit ("HU", "mV", "log concentration", ...).
    value_range : tuple of float or None
        Physical range of valid values; generators clip into it. None means unbounded.
    feature_names : tuple of str
        Column names for tabular and omics modalities.
    feature_scale : torch.Tensor or None
        Per-feature spread (standard deviation on the training split), used by
        generators whose severity is expressed in units of a feature's spread.
    feature_range : tuple of torch.Tensor or None
        Per-feature (minimum, maximum) observed on the training split.
    sampling_rate : float or None
        Samples per second for signal and audio modalities.
    """

    name: str
    kind: ModalityKind
    shape: tuple[int, ...]
    dtype: torch.dtype | None = torch.float32
    unit: str = ""
    value_range: tuple[float, float] | None = None
    feature_names: tuple[str, ...] = ()
    feature_scale: torch.Tensor | None = field(default=None, compare=False, repr=False)
    feature_range: tuple[torch.Tensor, torch.Tensor] | None = field(
        default=None, compare=False, repr=False
    )
    sampling_rate: float | None = None
