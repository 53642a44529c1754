"""Acquisition artifacts of medical 2D images and video frames.

Pathology: stain shift and stain deposits; slide air bubbles; dermoscopy: the black
corners of the dermoscope's round field of view; any modality: burned-in text and
ruler marks; radiography: anti-scatter grid lines; ultrasound: speckle with depth
attenuation. Random placements come from the counter-based per-sample streams of
:mod:`robustmed.generators.random`, so they are the same for a sample in any batch.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from robustmed.generators._pixels import PixelGenerator, _view, dense_normal
from robustmed.generators.random import numpy_generator, uniform

# Colour deconvolution matrix of haematoxylin, eosin and DAB in RGB optical density
# (Ruifrok and Johnston, Anal. Quant. Cytol. Histol. 23:291, 2001), the values that
# skimage.color.rgb_from_hed uses.
_RGB_FROM_HED = torch.tensor([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
_HED_FROM_RGB = torch.linalg.inv(_RGB_FROM_HED)
_OD_FLOOR = 1e-6

# Most deposits, bubbles and marks an image gets; the "count" ladders stay below it.
MAX_BLOBS = 256


def _grid(height: int, width: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    rows = torch.arange(height, device=device, dtype=torch.float32).view(1, height, 1)
    cols = torch.arange(width, device=device, dtype=torch.float32).view(1, 1, width)
    return rows, cols


def _blob_weights(count: torch.Tensor, slots: int) -> torch.Tensor:
    """Opacity of each blob slot: 1 for slots below ``count``, the fraction for the next one."""
    index = torch.arange(slots, device=count.device, dtype=torch.float32).unsqueeze(0)
    return (count.unsqueeze(1) - index).clamp(0.0, 1.0)


def _disks(centres, radii, weights, height, width) -> torch.Tensor:
    """Union (maximum) of anti-aliased disks: (N, H, W) in [0, 1]; centres in pixels."""
    rows, cols = _grid(height, width, centres.device)
    mask = torch.zeros((len(centres), height, width), device=centres.device)
    for k in range(centres.shape[1]):
        if not bool((weights[:, k] > 0).any()):
            continue
        distance = torch.sqrt((rows - centres[:, k, 0].view(-1, 1, 1)) ** 2 + (cols - centres[:, k, 1].view(-1, 1, 1)) ** 2)
        disk = (radii[:, k].view(-1, 1, 1) + 0.5 - distance).clamp(0.0, 1.0) * weights[:, k].view(-1, 1, 1)
        mask = torch.maximum(mask, disk)
    return mask


def _blob_params(keys, severity, shape_hw, radius_range, stream) -> dict[str, torch.Tensor]:
    height, width = shape_hw
    draws = uniform(keys, (MAX_BLOBS, 3), stream=stream, device=keys.device)
    low, high = radius_range
    size = min(height, width)
    return {
        "count": torch.full((len(keys),), float(severity), device=keys.device),
        "centres": draws[..., :2] * torch.tensor([height - 1, width - 1], device=keys.device, dtype=torch.float32),
        "radii": (low + (high - low) * draws[..., 2]) * size,
    }


class ImageStainShift(PixelGenerator):
    """Haematoxylin-eosin stain variation: each stain's concentration scaled and shifted.

    RGB is deconvolved into haematoxylin, eosin and DAB optical densities. Each is
    mapped to c·alpha + beta with alpha ~ U(1 - sigma, 1 + sigma) and beta ~ U(-sigma, sigma)
    per sample (the HED augmentation of Tellez et al., IEEE TMI 37:2126, 2018), then
    recombined. Concentrations are not clipped at zero as skimage.color.rgb2hed does,
    so alpha = 1 and beta = 0 give back the input and small sigmas change it little.
    """

    name = "image_stain_shift"
    description = "H&E stain colour shift in optical-density space"
    channels = 3

    def sample_params(self, severity, keys, spec, x):
        draws = uniform(keys, (2, 3), stream=1, device=keys.device) * 2.0 - 1.0
        return {
            "sigma": torch.full((len(keys),), float(severity), device=keys.device),
            "alpha": 1.0 + severity * draws[:, 0],
            "beta": severity * draws[:, 1],
        }

    def transform(self, u, params, keys, spec):
        # Channel-planar arithmetic: with 3×3 matrices, nine multiply-adds on whole
        # planes are much faster on the CPU than a batched matmul over (N, H, W, 3).
        log_floor = math.log(_OD_FLOOR)
        density = [torch.log(u[:, c].clamp(_OD_FLOOR, 1.0)).mul_(1.0 / log_floor) for c in range(3)]
        alpha, beta = params["alpha"].view(-1, 3, 1, 1), params["beta"].view(-1, 3, 1, 1)
        stains = []
        for k in range(3):
            stain = density[0] * float(_HED_FROM_RGB[0, k]) + density[1] * float(_HED_FROM_RGB[1, k])
            stain.add_(density[2], alpha=float(_HED_FROM_RGB[2, k]))
            stains.append(stain.mul_(alpha[:, k]).add_(beta[:, k]))
        out = torch.empty_like(u)
        for c in range(3):
            channel = stains[0] * float(_RGB_FROM_HED[0, c]) + stains[1] * float(_RGB_FROM_HED[1, c])
            channel.add_(stains[2], alpha=float(_RGB_FROM_HED[2, c]))
            out[:, c] = torch.exp(channel.mul_(log_floor))
        return out


class ImageStainDeposits(PixelGenerator):
    """Dark precipitate specks of haematoxylin on a slide; ``count`` deposits per image."""

    name = "image_stain_deposits"
    description = "dark stain precipitate deposits on a pathology slide"

    def sample_params(self, severity, keys, spec, x):
        return _blob_params(keys, severity, x.shape[-2:], (0.01, 0.035), stream=1)

    def transform(self, u, params, keys, spec):
        weights = _blob_weights(params["count"], MAX_BLOBS)
        mask = _disks(params["centres"], params["radii"], weights, *u.shape[-2:]).unsqueeze(1) * 0.9
        if u.shape[1] == 3:
            colour = torch.tensor([0.25, 0.1, 0.35], device=u.device).view(1, 3, 1, 1)
        else:
            colour = torch.full((1, u.shape[1], 1, 1), 0.15, device=u.device)
        return u * (1.0 - mask) + colour * mask


class ImageBubbles(PixelGenerator):
    """Air bubbles under a coverslip: washed-out discs with a dark refraction rim."""

    name = "image_bubbles"
    description = "air bubbles with dark rims"

    def sample_params(self, severity, keys, spec, x):
        return _blob_params(keys, severity, x.shape[-2:], (0.05, 0.15), stream=1)

    def transform(self, u, params, keys, spec):
        weights = _blob_weights(params["count"], MAX_BLOBS)
        height, width = u.shape[-2:]
        outer = _disks(params["centres"], params["radii"], weights, height, width)
        rim_width = (params["radii"] * 0.15).clamp_min(1.0)
        inner = _disks(params["centres"], (params["radii"] - rim_width).clamp_min(0.0), weights, height, width)
        rim = (outer - inner).clamp_min(0.0).unsqueeze(1)
        inside = inner.unsqueeze(1)
        washed = u * (1.0 - 0.5 * inside) + 0.5 * inside
        return washed * (1.0 - 0.8 * rim)


class ImageDermoscopeVignette(PixelGenerator):
    """Black corners of a dermoscope's round field of view covering a fraction of the image."""

    name = "image_dermoscope_vignette"
    description = "black circular field-of-view border (dermoscopy)"

    def sample_params(self, severity, keys, spec, x):
        shift = (uniform(keys, (2,), stream=1, device=keys.device) - 0.5) * 0.1
        return {"coverage": torch.full((len(keys),), float(severity), device=keys.device), "centre_shift": shift}

    def transform(self, u, params, keys, spec):
        height, width = u.shape[-2:]
        rows, cols = _grid(height, width, u.device)
        centre_row = (0.5 + params["centre_shift"][:, 0]).view(-1, 1, 1) * (height - 1)
        centre_col = (0.5 + params["centre_shift"][:, 1]).view(-1, 1, 1) * (width - 1)
        distance = torch.sqrt((rows - centre_row) ** 2 + (cols - centre_col) ** 2).reshape(len(u), -1)
        # The radius leaving exactly a fraction ``coverage`` of pixels outside the circle.
        ordered = distance.sort(dim=1).values
        rank = ((1.0 - params["coverage"]).clamp(0.0, 1.0) * (ordered.shape[1] - 1)).round().long()
        radius = ordered.gather(1, rank.unsqueeze(1)).squeeze(1)
        edge = 0.01 * min(height, width) + 0.5
        mask = ((radius.unsqueeze(1) - distance) / edge + 0.5).clamp(0.0, 1.0)
        return u * mask.view(len(u), 1, height, width)


_TEXT_ALPHABET = np.array(list("ABCDEFGHIJKLMNOPRSTUVWXYZ0123456789"))
_TEXT_WORDS = ("L", "R", "AP", "PA", "PORTABLE", "SUPINE", "ERECT", "cm", "mm", "kV", "mAs")


def _draw_marks(height: int, width: int, key: int, count: float) -> np.ndarray:
    """Render ``count`` burned-in marks (text labels and rulers) into a float mask on the CPU."""
    rng = numpy_generator(key, stream=1)
    mask = np.zeros((height, width), dtype=np.float32)
    # OpenCV renders text only into 8-bit images.
    layer = np.zeros((height, width), dtype=np.uint8)
    scale = max(min(height, width) / 256.0, 0.3)
    thickness = max(1, int(round(2 * scale)))
    for k in range(math.ceil(count)):
        layer[:] = 0
        opacity = min(1.0, count - k)
        if rng.random() < 0.7:
            label = rng.choice(_TEXT_WORDS) if rng.random() < 0.5 else "".join(rng.choice(_TEXT_ALPHABET, size=rng.integers(2, 7)))
            origin = (int(rng.integers(0, max(1, width - 20))), int(rng.integers(12, max(13, height))))
            cv2.putText(layer, str(label), origin, cv2.FONT_HERSHEY_SIMPLEX, 1.2 * scale, 255, thickness, cv2.LINE_AA)
        else:
            length = int(rng.integers(width // 6, max(width // 6 + 1, width // 2)))
            x0, y0 = int(rng.integers(0, max(1, width - length))), int(rng.integers(0, height))
            cv2.line(layer, (x0, y0), (x0 + length, y0), 255, thickness, cv2.LINE_AA)
            spacing = max(3, length // 10)
            for i, x in enumerate(range(x0, x0 + length + 1, spacing)):
                tick = int((12 if i % 5 == 0 else 6) * scale) + 2
                cv2.line(layer, (x, y0), (x, y0 - tick), 255, thickness, cv2.LINE_AA)
        np.maximum(mask, layer * (opacity / 255.0), out=mask)
    return mask


class ImageBurnedInText(PixelGenerator):
    """Burned-in annotations: white text labels and ruler marks; ``count`` marks per image."""

    name = "image_burned_in_text"
    description = "burned-in text labels and ruler marks"

    def transform(self, u, params, keys, spec):
        height, width = u.shape[-2:]
        masks = [_draw_marks(height, width, key, count) for key, count in zip(keys.tolist(), params["count"].tolist(), strict=True)]
        mask = torch.from_numpy(np.stack(masks)).to(u.device).unsqueeze(1)
        return u * (1.0 - mask) + mask


class ImageGridLines(PixelGenerator):
    """Anti-scatter grid lines of a radiograph: periodic stripes attenuating by ``amplitude``."""

    name = "image_grid_lines"
    description = "X-ray anti-scatter grid line pattern"

    def sample_params(self, severity, keys, spec, x):
        draws = uniform(keys, (3,), stream=1, device=keys.device)
        return {
            "amplitude": torch.full((len(keys),), float(severity), device=keys.device),
            "period": 3.0 + 5.0 * draws[:, 0],
            "vertical": (draws[:, 1] < 0.5).float(),
            "phase": draws[:, 2] * 2.0 * math.pi,
        }

    def transform(self, u, params, keys, spec):
        rows, cols = _grid(*u.shape[-2:], u.device)
        vertical = params["vertical"].view(-1, 1, 1)
        position = vertical * cols + (1.0 - vertical) * rows
        stripes = 0.5 + 0.5 * torch.cos(2.0 * math.pi * position / params["period"].view(-1, 1, 1) + params["phase"].view(-1, 1, 1))
        return u * (1.0 - params["amplitude"].view(-1, 1, 1) * stripes).unsqueeze(1)


class ImageUltrasoundSpeckle(PixelGenerator):
    """Ultrasound speckle with depth attenuation.

    Multiplicative speckle u·(1 + sigma·s) with s a unit-variance Gaussian field
    smoothed over 3×3 pixels (the speckle grain), shared by all channels, times an
    attenuation exp(-2·sigma·depth) with depth from 0 at the top row (transducer)
    to 1 at the bottom.
    """

    name = "image_ultrasound_speckle"
    description = "ultrasound speckle with depth attenuation"

    def transform(self, u, params, keys, spec):
        height, width = u.shape[-2:]
        noise = dense_normal(keys, (1, height, width), stream=0, device=u.device)
        grain = F.avg_pool2d(F.pad(noise, (1, 1, 1, 1), mode="reflect"), 3, stride=1) * 3.0
        sigma = _view(params["sigma"], u.dim())
        depth = torch.linspace(0.0, 1.0, height, device=u.device).view(1, 1, height, 1)
        return u * (1.0 + sigma * grain) * torch.exp(-2.0 * sigma * depth)


GENERATORS = (
    ImageStainShift,
    ImageStainDeposits,
    ImageBubbles,
    ImageDermoscopeVignette,
    ImageBurnedInText,
    ImageGridLines,
    ImageUltrasoundSpeckle,
)
