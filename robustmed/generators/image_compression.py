"""Resolution and codec loss of 2D images and video frames: pixelation and JPEG compression."""

from __future__ import annotations

import math

import cv2
import numpy as np
import simplejpeg
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


def _jpeg_round_trip(image: np.ndarray, quality: int, out: np.ndarray, scratch: np.ndarray) -> None:
    """Encode and decode one uint8 image (C, H, W) with libjpeg-turbo into ``out``.

    simplejpeg calls the TurboJPEG API directly. Its decoder took about two thirds
    of the time of OpenCV's ``imdecode`` on the same files, measured on the crops of
    ``benchmarks/bench_image_generators.py``. It also reads RGB as RGB, so the
    channel that becomes luma is right without a reorder. ``scratch`` is an
    (H, W, 3) buffer that the decoder writes into.
    """
    if image.shape[0] == 3:
        # cv2.merge and cv2.split change between planar and interleaved layout far faster
        # than a strided NumPy copy.
        encoded = simplejpeg.encode_jpeg(
            cv2.merge([image[0], image[1], image[2]]), quality, colorspace="RGB", colorsubsampling="420"
        )
        simplejpeg.decode_jpeg(encoded, colorspace="RGB", buffer=scratch)
        cv2.split(scratch, [out[0], out[1], out[2]])
        return
    for c in range(image.shape[0]):
        plane = np.ascontiguousarray(image[c])[:, :, None]
        encoded = simplejpeg.encode_jpeg(plane, quality, colorspace="GRAY", colorsubsampling="Gray")
        simplejpeg.decode_jpeg(encoded, colorspace="GRAY", buffer=out[c])


def _jpeg_batch(images: np.ndarray, qualities: list[int]) -> np.ndarray:
    out = np.empty_like(images)
    scratch = np.empty((*images.shape[-2:], 3), dtype=np.uint8)
    for i, quality in enumerate(qualities):
        _jpeg_round_trip(images[i], quality, out[i], scratch)
    return out


class ImageJpeg(PixelGenerator):
    """JPEG compression at a quality factor (100 best, 1 worst) by libjpeg-turbo on the CPU, 4:2:0 chroma.

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
            return torch.from_numpy(_jpeg_batch(frames.cpu().numpy(), qualities)).to(frames.device)
        u = to_unit(frames, low, high)
        levels = (u.clamp(0.0, 1.0) * 255.0).round()
        source = levels.to(torch.uint8).cpu().numpy()
        decoded = _jpeg_batch(source, qualities)
        error = (torch.from_numpy(decoded).to(u.device).float() - levels) / 255.0
        return from_unit(u + error, low, high, frames.dtype)


GENERATORS = (ImagePixelate, ImageJpeg)
