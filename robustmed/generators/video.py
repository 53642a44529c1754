"""Temporal corruptions of video clips (B, T, C, H, W): dropped frames and timing jitter.

Every 2D image generator also accepts video and corrupts each frame; see
:mod:`robustmed.generators._pixels`. The generators here only reorder or repeat
frames, so values, dtype and range are those of the input.
"""

from __future__ import annotations

import torch

from robustmed.data.spec import ModalityKind
from robustmed.generators._pixels import check_tensor
from robustmed.generators.base import Generator
from robustmed.generators.random import uniform


def _gather_frames(x: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    index = source.to(x.device).view(*source.shape, 1, 1, 1).expand(-1, -1, *x.shape[2:])
    return torch.gather(x, 1, index)


class VideoFrameDrop(Generator):
    """Dropped frames: each frame after the first is lost with probability p and the last kept frame repeats."""

    name = "video_frame_drop"
    kinds = frozenset({ModalityKind.VIDEO})
    description = "dropped frames replaced by the last received frame"

    def sample_params(self, severity, keys, spec, x):
        check_tensor(x, self.name, spec, {ModalityKind.VIDEO: 5})
        steps = x.shape[1]
        dropped = uniform(keys, (steps,), stream=1, device=keys.device) < severity
        dropped[:, 0] = False
        positions = torch.arange(steps, device=keys.device).expand(len(keys), -1)
        kept = torch.where(dropped, torch.zeros_like(positions), positions)
        source = torch.cummax(kept, dim=1).values
        return {"p": torch.full((len(keys),), float(severity), device=keys.device), "source_frame": source}

    def apply(self, x, present, params, keys, spec):
        return _gather_frames(x, params["source_frame"]), present


class VideoTemporalJitter(Generator):
    """Irregular frame timing: frame t shows frame t + d, d uniform in ±max_offset frames, kept in order."""

    name = "video_temporal_jitter"
    kinds = frozenset({ModalityKind.VIDEO})
    description = "temporal jitter of frame timestamps"

    def sample_params(self, severity, keys, spec, x):
        check_tensor(x, self.name, spec, {ModalityKind.VIDEO: 5})
        steps = x.shape[1]
        offsets = (uniform(keys, (steps,), stream=1, device=keys.device) * 2.0 - 1.0) * severity
        times = torch.arange(steps, device=keys.device, dtype=torch.float32) + offsets
        source = times.round().clamp(0, steps - 1).long().sort(dim=1).values
        return {"max_offset": torch.full((len(keys),), float(severity), device=keys.device), "source_frame": source}

    def apply(self, x, present, params, keys, spec):
        return _gather_frames(x, params["source_frame"]), present


GENERATORS = (VideoFrameDrop, VideoTemporalJitter)
