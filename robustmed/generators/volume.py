"""CT and MRI volume generators on tensors of layout (B, C, D, H, W).

MRI physics artifacts (bias field, k-space motion, ghosting, spike) and blur use
TorchIO's deterministic transforms, with their parameters drawn here from the
counter-based per-sample streams; TorchIO's Random* classes are not used because
they draw from torch's global random state. Noise, thick-slice resampling and
low-dose CT noise are batched torch code: TorchIO's Noise reseeds the global
generator, its anisotropy transform has no deterministic twin, and it has no
CT dose model. Voxels are taken as isotropic (spacing 1), so blur widths and
motion translations are in voxels.

Noise severities are fractions of each sample's intensity range (maximum minus
minimum), so MRI in arbitrary units and CT in HU get comparable corruption.
Output is clipped into the window of :func:`robustmed.generators._pixels.intensity_window`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
import torchio as tio

from robustmed.data.spec import ModalityKind
from robustmed.generators._pixels import (
    _view,
    check_tensor,
    dense_normal,
    intensity_window,
    restore_dtype,
)
from robustmed.generators.base import Generator
from robustmed.generators.random import uniform

VOLUME_KINDS = frozenset({ModalityKind.VOLUME})
BIAS_FIELD_ORDER = 3
# Number of polynomial coefficients of a 3D bias field of order 3 (TorchIO's layout).
_BIAS_COEFFICIENTS = sum(
    1
    for x in range(BIAS_FIELD_ORDER + 1)
    for y in range(BIAS_FIELD_ORDER + 1 - x)
    for _ in range(BIAS_FIELD_ORDER + 1 - (x + y))
)
# TorchIO's Motion takes the k-space segment that contains the centre from the
# unmoved position, so n movements replace n / (n + 1) of k-space. With
# RandomMotion's default of 2, 1 - SSIM stays at about 0.05 or below on the 2-slice
# CT and the 10-slice MR samples at any amplitude. With 16 it reaches 0.28-0.30 on
# the CT and 0.16-0.19 on the MR series at 5-10 degrees.
MOTION_MOVEMENTS = 16
# An axis is thin when it is more than this many times shorter than the longest axis,
# and motion neither moves along nor tilts it. A 10-degree tilt then moves the edge of
# the longest axis by over a third of the thin axis: 5.6 voxels for 64 × 64 slices in a
# 10-slice stack. A small cube such as an 8-voxel patch keeps 3D motion.
MOTION_MAX_ASPECT = 4
# NOTE: the noise of a routine full-dose soft-tissue CT is taken as 10 HU, an
# estimate; real values depend on scanner, protocol and patient size.
FULL_DOSE_NOISE_HU = 10.0


def _data_range(x: torch.Tensor) -> torch.Tensor:
    flat = x.reshape(len(x), -1).float()
    return (flat.amax(dim=1) - flat.amin(dim=1)).clamp_min(torch.finfo(torch.float32).tiny)


class VolumeGenerator(Generator):
    """Base of the volume generators: checks the layout, restores dtype and window."""

    kinds = VOLUME_KINDS

    def sample_params(self, severity, keys, spec, x):
        return {self.ladder.parameter: torch.full((len(keys),), float(severity), device=keys.device)}

    def apply(self, x, present, params, keys, spec):
        check_tensor(x, self.name, spec, {ModalityKind.VOLUME: 5})
        low, high = intensity_window(x, spec)
        out = self.transform(x.float(), params, keys, spec)
        return restore_dtype(out, low, high, x.dtype), present

    def transform(self, x: torch.Tensor, params, keys, spec) -> torch.Tensor:
        """Corrupt float volumes (B, C, D, H, W) in their own units; must not modify ``x``."""
        raise NotImplementedError


class _TorchioVolume(VolumeGenerator):
    """Runs one TorchIO transform per sample on the CPU, built by :meth:`build`."""

    def build(self, params: dict[str, torch.Tensor], index: int) -> tio.Transform:
        raise NotImplementedError

    def transform(self, x, params, keys, spec):
        cpu_params = {k: v.cpu() for k, v in params.items()}
        volumes = x.cpu()
        out = [self.build(cpu_params, i)(volumes[i]) for i in range(len(volumes))]
        return torch.stack(out).to(x.device, torch.float32)


class VolumeGaussianNoise(VolumeGenerator):
    """Additive Gaussian noise, sigma a fraction of the sample's intensity range."""

    name = "volume_gaussian_noise"
    description = "additive Gaussian noise"

    def transform(self, x, params, keys, spec):
        noise = dense_normal(keys, x.shape[1:], stream=0, device=x.device)
        return x + noise * _view(params["sigma"] * _data_range(x), x.dim())


class VolumeRicianNoise(VolumeGenerator):
    """Rician noise of magnitude MRI: |x + sigma·(n1 + i·n2)| above the window's low end."""

    name = "volume_rician_noise"
    description = "Rician noise of magnitude MR images"

    def transform(self, x, params, keys, spec):
        low, _ = intensity_window(x, spec)
        sigma = _view(params["sigma"] * _data_range(x), x.dim())
        real = dense_normal(keys, x.shape[1:], stream=0, device=x.device)
        imaginary = dense_normal(keys, x.shape[1:], stream=1, device=x.device)
        signal = x - _view(low, x.dim())
        return torch.sqrt((signal + sigma * real) ** 2 + (sigma * imaginary) ** 2) + _view(low, x.dim())


class VolumeBlur(_TorchioVolume):
    """Isotropic Gaussian blur, sigma in voxels (TorchIO ``Blur``)."""

    name = "volume_blur"
    description = "isotropic Gaussian blur (sigma in voxels)"

    def build(self, params, index):
        sigma = float(params["sigma"][index])
        return tio.Blur(std=(sigma, sigma, sigma))


class VolumeBiasField(_TorchioVolume):
    """Smooth multiplicative MRI bias field: exp of a cubic polynomial (TorchIO ``BiasField``).

    Coefficients are uniform in [-c, c] with c the severity, as TorchIO's RandomBiasField draws them.
    """

    name = "volume_bias_field"
    description = "MRI intensity inhomogeneity (bias field)"

    def sample_params(self, severity, keys, spec, x):
        draws = uniform(keys, (_BIAS_COEFFICIENTS,), stream=1, device=keys.device) * 2.0 - 1.0
        return {"coefficient_range": torch.full((len(keys),), float(severity), device=keys.device), "coefficients": draws * severity}

    def build(self, params, index):
        return tio.BiasField(coefficients=params["coefficients"][index].tolist(), order=BIAS_FIELD_ORDER)


class VolumeMotion(_TorchioVolume):
    """Rigid patient motion during acquisition, simulated in k-space (TorchIO ``Motion``).

    The patient moves ``MOTION_MOVEMENTS`` times at random times during the scan, each
    time to a rotation of up to ``degrees`` about each axis and a translation of up to
    as many voxels along it. TorchIO RandomMotion's default bounds are 10 degrees and
    10 mm. Motion stays out of thin axes (see :func:`motion_axes`), as RandomMotion
    keeps 2D images in plane: no translation along such an axis and no rotation that
    tilts it.
    """

    name = "volume_motion"
    description = "k-space motion artifact"

    def sample_params(self, severity, keys, spec, x):
        draws = uniform(keys, (MOTION_MOVEMENTS, 7), stream=1, device=keys.device)
        step = 1.0 / (MOTION_MOVEMENTS + 1)
        slots = torch.arange(1, MOTION_MOVEMENTS + 1, device=keys.device, dtype=torch.float32) * step
        rotation_axes, translation_axes = motion_axes(tuple(x.shape[-3:]))
        rotation_mask = torch.tensor(rotation_axes, device=keys.device, dtype=torch.float32)
        translation_mask = torch.tensor(translation_axes, device=keys.device, dtype=torch.float32)
        return {
            "degrees": torch.full((len(keys),), float(severity), device=keys.device),
            "rotations": (draws[..., :3] * 2.0 - 1.0) * severity * rotation_mask,
            "translations": (draws[..., 3:6] * 2.0 - 1.0) * severity * translation_mask,
            "times": slots + (draws[..., 6] * 2.0 - 1.0) * 0.3 * step,
        }

    def build(self, params, index):
        return tio.Motion(
            degrees=params["rotations"][index].double().numpy(),
            translation=params["translations"][index].double().numpy(),
            times=params["times"][index].double().numpy(),
            image_interpolation="linear",
        )


def motion_axes(shape: tuple[int, int, int]) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """Axes (D, H, W) that motion may rotate about and translate along, for a volume of ``shape``.

    An axis more than ``MOTION_MAX_ASPECT`` times shorter than the longest one is thin,
    so translation along it is off. Rotation about either other axis is off too, because
    it would tilt the thin axis and move most voxels out of the field of view: 1 degree
    tilts a 512-voxel slice by 4.5 voxels at its edge.
    """
    # TorchIO reads a (C, D, H, W) tensor with its identity affine as (C, x, y, z), so
    # rotation and translation i act on axis i of (D, H, W).
    thin = [size * MOTION_MAX_ASPECT < max(shape) for size in shape]
    rotation = tuple(not any(thin[other] for other in range(3) if other != axis) for axis in range(3))
    translation = tuple(not t for t in thin)
    return rotation, translation


class VolumeGhosting(_TorchioVolume):
    """MRI ghosting along a phase-encoding axis (TorchIO ``Ghosting``); 2 to 8 ghosts."""

    name = "volume_ghosting"
    description = "MRI ghosting artifact"

    def sample_params(self, severity, keys, spec, x):
        draws = uniform(keys, (2,), stream=1, device=keys.device)
        return {
            "intensity": torch.full((len(keys),), float(severity), device=keys.device),
            "num_ghosts": 2 + (draws[:, 0] * 7).floor().clamp(max=6).long(),
            "axis": 1 + (draws[:, 1] < 0.5).long(),
        }

    def build(self, params, index):
        return tio.Ghosting(
            num_ghosts=int(params["num_ghosts"][index]),
            axis=int(params["axis"][index]),
            intensity=float(params["intensity"][index]),
            restore=0.02,
        )


class VolumeSpike(_TorchioVolume):
    """Herringbone artifact from one spike in k-space at a random position (TorchIO ``Spike``)."""

    name = "volume_spike"
    description = "MRI k-space spike (herringbone) artifact"

    def sample_params(self, severity, keys, spec, x):
        position = uniform(keys, (1, 3), stream=1, device=keys.device)
        return {"intensity": torch.full((len(keys),), float(severity), device=keys.device), "position": position}

    def build(self, params, index):
        return tio.Spike(spikes_positions=params["position"][index].double().numpy(), intensity=float(params["intensity"][index]))


class VolumeThickSlice(VolumeGenerator):
    """Anisotropic acquisition: slices along depth averaged ``factor`` at a time, then interpolated back."""

    name = "volume_thick_slice"
    description = "thick-slice (anisotropic) resampling along the slice axis"

    def transform(self, x, params, keys, spec):
        depth = x.shape[2]
        out = torch.empty_like(x)
        factors = params["factor"].tolist()
        for factor in sorted(set(factors)):
            rows = [i for i, f in enumerate(factors) if f == factor]
            thick = F.interpolate(x[rows], size=(max(1, math.ceil(depth / factor)), *x.shape[3:]), mode="area")
            out[rows] = F.interpolate(thick, size=x.shape[2:], mode="trilinear", align_corners=False)
        return out


def _ramp_filter(height: int, width: int, device) -> torch.Tensor:
    """Noise power spectrum shape of filtered back-projection: |f| with a Hann roll-off."""
    fy = torch.fft.fftfreq(height, device=device).view(-1, 1)
    fx = torch.fft.rfftfreq(width, device=device).view(1, -1)
    radius = torch.sqrt(fx**2 + fy**2) / 0.5
    amplitude = torch.sqrt(radius) * 0.5 * (1.0 + torch.cos(math.pi * radius.clamp(max=1.0)))
    return amplitude


class VolumeLowDoseCT(VolumeGenerator):
    """Low-dose CT noise: extra FBP-textured noise for a dose reduced to a fraction of full dose.

    Quantum noise variance scales with 1 / dose, so reducing the dose from 1 to f adds
    noise of standard deviation sigma_full·sqrt(1/f - 1) HU, with an in-plane noise power
    spectrum shaped like filtered back-projection (ramp with a Hann window).
    Needs a modality in Hounsfield units.
    """

    name = "volume_low_dose_ct"
    description = "low-dose CT quantum noise (dose fraction)"

    def transform(self, x, params, keys, spec):
        if spec.unit != "HU":
            raise ValueError(
                f"Generator {self.name!r} needs CT in Hounsfield units; modality {spec.name!r} "
                f"has unit {spec.unit!r}. Set ModalitySpec(unit='HU') for CT volumes."
            )
        height, width = x.shape[-2:]
        white = dense_normal(keys, x.shape[1:], stream=0, device=x.device)
        shaped = torch.fft.irfft2(torch.fft.rfft2(white) * _ramp_filter(height, width, x.device), s=(height, width))
        shaped = shaped / shaped.reshape(len(x), -1).std(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1, 1)
        dose = params["dose_fraction"].clamp(1e-3, 1.0)
        sigma = FULL_DOSE_NOISE_HU * torch.sqrt(1.0 / dose - 1.0)
        return x + shaped * _view(sigma, x.dim())


GENERATORS = (
    VolumeGaussianNoise,
    VolumeRicianNoise,
    VolumeBlur,
    VolumeBiasField,
    VolumeMotion,
    VolumeGhosting,
    VolumeSpike,
    VolumeThickSlice,
    VolumeLowDoseCT,
)
