"""Within-modality missing segments, for every modality kind.

One contiguous region covering a fraction of each sample is lost:

- signal, audio: a time span in all channels, set to 0 (silence, isoelectric line);
- image, video: a rectangular patch over the last two (spatial) axes, in every
  channel and frame; volume: a box over the last three axes. The patch is set to the
  spec's lower value bound (black, or air in CT), or 0 without one;
- tabular, omics: a block of adjacent features, set to NaN (missing);
- text: a span of words is deleted; dna: a span becomes N; protein: a span becomes X.
"""

from __future__ import annotations

import math

import torch

from robustmed.data.spec import ModalityKind
from robustmed.generators._strings import check_strings, missing_span
from robustmed.generators.base import Generator, per_sample
from robustmed.generators.random import numpy_generator, uniform

_SPATIAL_AXES = {
    ModalityKind.SIGNAL: 1,
    ModalityKind.AUDIO: 1,
    ModalityKind.IMAGE: 2,
    ModalityKind.VIDEO: 2,
    ModalityKind.VOLUME: 3,
    ModalityKind.TABULAR: 1,
    ModalityKind.OMICS: 1,
}
_SEQUENCE_MASK = {ModalityKind.DNA: "N", ModalityKind.PROTEIN: "X"}


class MissingSegment(Generator):
    """A contiguous region covering ``fraction`` of each sample is missing (see the module)."""

    name = "missing_segment"
    kinds = frozenset(ModalityKind)
    description = "one contiguous segment, patch or span missing within the sample"

    def sample_params(self, severity, keys, spec, x):
        axes = _SPATIAL_AXES.get(spec.kind, 1)
        return {"fraction": per_sample(severity, keys), "position": uniform(keys, (axes,), stream=0, device=keys.device)}

    def apply(self, x, present, params, keys, spec):
        if spec.kind in (ModalityKind.TEXT, ModalityKind.DNA, ModalityKind.PROTEIN):
            return self._apply_strings(check_strings(x, self.name), params, keys, spec), present
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"Generator {self.name!r} needs a tensor for kind {spec.kind.value!r}; got {type(x).__name__}.")
        axes = _SPATIAL_AXES[spec.kind]
        if x.dim() < axes + 1:
            raise ValueError(
                f"Generator {self.name!r} needs at least {axes} axes after the batch axis for kind "
                f"{spec.kind.value!r}; got shape {tuple(x.shape)}."
            )
        if spec.kind in (ModalityKind.TABULAR, ModalityKind.OMICS):
            if not x.is_floating_point():
                raise TypeError(f"Generator {self.name!r} marks missing features with NaN and needs float values; got {x.dtype}.")
            fill = math.nan
        elif spec.kind in (ModalityKind.SIGNAL, ModalityKind.AUDIO) or spec.value_range is None:
            fill = 0.0
        else:
            fill = spec.value_range[0]
        mask = self._mask(x, axes, params)
        filled = torch.full_like(x, fill) if math.isnan(fill) else torch.full_like(x, fill).to(x.dtype)
        return torch.where(mask, filled, x), present

    @staticmethod
    def _mask(x: torch.Tensor, axes: int, params) -> torch.Tensor:
        """Boolean mask of the box: each axis covers fraction ** (1 / axes) of its length."""
        fraction = params["fraction"].to(x.device).clamp(0.0, 1.0)
        position = params["position"].to(x.device)
        side = fraction.pow(1.0 / axes)
        mask = torch.ones(len(x), *([1] * (x.dim() - 1)), dtype=torch.bool, device=x.device)
        for j in range(axes):
            dim = x.dim() - axes + j
            n = x.shape[dim]
            width = (side * n).round()
            start = (position[:, j] * (n - width)).floor()
            index = torch.arange(n, device=x.device).unsqueeze(0)
            inside = (index >= start.unsqueeze(1)) & (index < (start + width).unsqueeze(1))
            shape = [len(x)] + [1] * (x.dim() - 1)
            shape[dim] = n
            mask = mask & inside.reshape(shape)
        return mask

    def _apply_strings(self, x: list[str], params, keys, spec) -> list[str]:
        fractions = params["fraction"].tolist()
        out = []
        for text, fraction, key in zip(x, fractions, keys.tolist(), strict=True):
            rng = numpy_generator(int(key), stream=1)
            if spec.kind == ModalityKind.TEXT:
                words = text.split(" ")
                start, stop = missing_span(len(words), fraction, rng)
                out.append(" ".join(words[:start] + words[stop:]))
            else:
                start, stop = missing_span(len(text), fraction, rng)
                out.append(text[:start] + _SEQUENCE_MASK[spec.kind] * (stop - start) + text[stop:])
        return out


GENERATORS = (MissingSegment,)
