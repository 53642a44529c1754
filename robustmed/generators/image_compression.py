"""Resolution and codec loss of 2D images and video frames: pixelation and JPEG compression."""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from robustmed.generators._pixels import PixelGenerator, to_unit, from_unit


class ImagePixelate(PixelGenerator):
    """Pixelation: area-average down to blocks of ``block`` pixels, then nearest-neighbour back up."""

    name = "image_pixelate"
    description = "pixelation (block size in pixels)"

    def transform(self, u, params, keys, spec):
        height, width = u.shape[-2:]
        out = torch.empty_like(u)
        blocks = params["block"].tolist()
        for block in sorted(set(blocks)):
            rows = [i for i, b in enumerate(blocks) if b == block]
            size = (max(1, math.ceil(height / block)), max(1, math.ceil(width / block)))
            small = F.interpolate(u[rows], size=size, mode="area")
            out[rows] = F.interpolate(small, size=(height, width), mode="nearest")
        return out


def _jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode one uint8 image (C, H, W) with libjpeg through OpenCV."""
    channels = image.shape[0]
    if channels == 3:
        # OpenCV expects BGR; the order decides which channel becomes luma.
        planes = [np.ascontiguousarray(image[::-1].transpose(1, 2, 0))]
    else:
        planes = [image[c] for c in range(channels)]
    decoded = []
    for plane in planes:
        ok, buffer = cv2.imencode(".jpg", plane, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError(f"OpenCV failed to encode a JPEG at quality {quality}.")
        decoded.append(cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED))
    if channels == 3:
        return decoded[0].transpose(2, 0, 1)[::-1]
    return np.stack(decoded)


class ImageJpeg(PixelGenerator):
    """JPEG compression at a quality factor (100 best, 1 worst) by libjpeg on the CPU.

    Images that are not uint8 are quantised to 8 bits in their window for the codec,
    and only the codec's error (decoded minus encoded 8-bit image) is added to the
    original values, so 16-bit and float data keep their precision apart from the
    compression artifacts. Frames on another device are copied to the CPU and back.
    """

    name = "image_jpeg"
    description = "JPEG compression (quality factor)"

    def transform_frames(self, frames, params, keys, spec, low, high):
        qualities = [int(round(q)) for q in params["quality"].tolist()]
        if frames.dtype == torch.uint8 and spec.value_range in (None, (0, 255), (0.0, 255.0)):
            source = frames.cpu().numpy()
            out = np.stack([_jpeg_round_trip(source[i], q) for i, q in enumerate(qualities)])
            return torch.from_numpy(out).to(frames.device)
        u = to_unit(frames, low, high)
        levels = (u.clamp(0.0, 1.0) * 255.0).round()
        source = levels.to(torch.uint8).cpu().numpy()
        decoded = np.stack([_jpeg_round_trip(source[i], q) for i, q in enumerate(qualities)])
        error = (torch.from_numpy(decoded).to(u.device).float() - levels) / 255.0
        return from_unit(u + error, low, high, frames.dtype)


GENERATORS = (ImagePixelate, ImageJpeg)
