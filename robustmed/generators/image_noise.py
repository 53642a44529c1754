"""Sensor noise on 2D images and video frames: Gaussian, shot (Poisson), impulse, speckle.

Severities are fractions of the intensity window (see :mod:`robustmed.generators._pixels`),
so a uint8 radiograph, a 12-bit mammogram with ``value_range=(0, 4095)`` and a float
image in [0, 1] get the same relative corruption at the same level.
"""

from __future__ import annotations

import torch

from robustmed.generators._pixels import (
    _DENSE_STREAM,
    PixelGenerator,
    derive_keys,
    _view,
    dense_normal,
    dense_poisson,
    dense_uniform,
    restore_dtype,
)


class ImageGaussianNoise(PixelGenerator):
    """Additive white Gaussian noise with standard deviation sigma (fraction of the window)."""

    name = "image_gaussian_noise"
    description = "additive Gaussian noise, independent per pixel and channel"

    def transform_frames(self, frames, params, keys, spec, low, high):
        if frames.device.type == "cpu":
            return self._transform_per_sample(frames, params, keys, low, high)
        noise = dense_normal(keys, frames.shape[1:], stream=0, device=frames.device)
        noise.mul_(_view(params["sigma"] * (high - low), noise.dim()))
        noise.add_(frames)
        return restore_dtype(noise, low, high, frames.dtype)

    @staticmethod
    def _transform_per_sample(frames, params, keys, low, high):
        # On the CPU one image at a time keeps the noise buffer in cache, and the
        # draw, scale and rounding offset fuse into one normal_ call. Rounding half
        # up is folded in: noise has mean 0.5 and the cast truncates, which equals
        # floor(x + 0.5) whenever the clipped values are non-negative.
        seeds = derive_keys(keys, 1, _DENSE_STREAM)[:, 0].tolist()
        scales = (params["sigma"] * (high - low)).tolist()
        integer = not frames.dtype.is_floating_point
        offset = 0.5 if integer else 0.0
        out = torch.empty_like(frames)
        buffer = torch.empty(frames.shape[1:], dtype=torch.float32)
        for i, (seed, scale) in enumerate(zip(seeds, scales, strict=True)):
            buffer.normal_(offset, scale, generator=torch.Generator().manual_seed(seed))
            buffer.add_(frames[i])
            buffer.clamp_(float(low[i]) + offset, float(high[i]) + offset)
            if integer and float(low[i]) < 0:
                buffer.floor_()
            out[i].copy_(buffer)
        return out


class ImageShotNoise(PixelGenerator):
    """Photon-counting (Poisson) noise: a full-window pixel collects 1 / scale photons.

    The parameter is the intensity carried by one photon as a fraction of the window,
    so noise grows with the signal as in X-ray, fluorescence and low-light imaging.
    """

    name = "image_shot_noise"
    description = "Poisson photon-counting noise"

    def transform(self, u, params, keys, spec):
        scale = _view(params["photon_scale"], u.dim())
        counts = dense_poisson(keys, u.clamp_min(0.0) / scale, stream=0)
        return counts * scale


class ImageImpulseNoise(PixelGenerator):
    """Salt-and-pepper noise: a fraction p of pixel values set to the window's minimum or maximum."""

    name = "image_impulse_noise"
    description = "salt-and-pepper noise on a fraction of pixel values"

    def transform(self, u, params, keys, spec):
        draw = dense_uniform(keys, u.shape[1:], stream=0, device=u.device)
        p = _view(params["p"], u.dim())
        out = torch.where(draw < p / 2, torch.zeros_like(u), u)
        return torch.where((draw >= p / 2) & (draw < p), torch.ones_like(u), out)


class ImageSpeckleNoise(PixelGenerator):
    """Multiplicative Gaussian noise u·(1 + sigma·ε), as in coherent imaging."""

    name = "image_speckle_noise"
    description = "multiplicative Gaussian (speckle) noise"

    def transform(self, u, params, keys, spec):
        noise = dense_normal(keys, u.shape[1:], stream=0, device=u.device)
        return u * (1.0 + _view(params["sigma"], u.dim()) * noise)


GENERATORS = (ImageGaussianNoise, ImageShotNoise, ImageImpulseNoise, ImageSpeckleNoise)
