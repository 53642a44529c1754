"""Global intensity changes of 2D images and video frames: contrast, brightness and gamma.

Offsets are fractions of the intensity window; contrast scales each channel's
deviation from its own mean, as a change of window width or detector gain would.
"""

from __future__ import annotations

import math

import torch

from robustmed.generators._pixels import PixelGenerator, _view
from robustmed.generators.random import uniform


def _channel_mean(u: torch.Tensor) -> torch.Tensor:
    return u.mean(dim=(-2, -1), keepdim=True)


class ImageContrastDown(PixelGenerator):
    """Contrast reduction: deviations from the channel mean shrink by the factor (1 - reduction)."""

    name = "image_contrast_down"
    description = "lower contrast (flat, washed-out image)"

    def transform(self, u, params, keys, spec):
        mean = _channel_mean(u)
        return mean + (u - mean) * (1.0 - _view(params["reduction"], u.dim()))


class ImageContrastUp(PixelGenerator):
    """Contrast increase: deviations from the channel mean grow by the factor (1 + gain), then clip."""

    name = "image_contrast_up"
    description = "higher contrast with clipping of highlights and shadows"

    def transform(self, u, params, keys, spec):
        mean = _channel_mean(u)
        return mean + (u - mean) * (1.0 + _view(params["gain"], u.dim()))


class ImageBrightnessUp(PixelGenerator):
    """Brightness increase: an offset (fraction of the window) added to every value, then clip."""

    name = "image_brightness_up"
    description = "brighter image (overexposure)"

    def transform(self, u, params, keys, spec):
        return u + _view(params["offset"], u.dim())


class ImageBrightnessDown(PixelGenerator):
    """Brightness decrease: an offset (fraction of the window) subtracted from every value, then clip."""

    name = "image_brightness_down"
    description = "darker image (underexposure)"

    def transform(self, u, params, keys, spec):
        return u - _view(params["offset"], u.dim())


class ImageGamma(PixelGenerator):
    """Gamma change u ** gamma with gamma = (1 + deviation) ** ±1, the sign drawn per sample."""

    name = "image_gamma"
    description = "gamma curve change, darker or brighter mid-tones at random"

    def sample_params(self, severity, keys, spec, x):
        darker = uniform(keys, (1,), stream=1, device=keys.device)[:, 0] < 0.5
        exponent = torch.where(darker, 1.0, -1.0) * math.log1p(float(severity))
        return {"deviation": torch.full((len(keys),), float(severity), device=keys.device), "gamma": exponent.exp()}

    def transform(self, u, params, keys, spec):
        return u.clamp(0.0, 1.0).pow(_view(params["gamma"], u.dim()))


GENERATORS = (ImageContrastDown, ImageContrastUp, ImageBrightnessUp, ImageBrightnessDown, ImageGamma)
