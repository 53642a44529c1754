"""Optical blur of 2D images and video frames: Gaussian, defocus (disk) and linear motion.

On the CPU OpenCV filters one image plane at a time, keeping uint8 and uint16
data in their own dtype. On CUDA the whole batch goes through one grouped convolution
(two 1D convolutions for the Gaussian). Borders are reflected (OpenCV's
BORDER_REFLECT_101 and torch's "reflect" padding are the same rule), and the two
paths agree to within one grey level.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from robustmed.generators._pixels import PixelGenerator, restore_dtype
from robustmed.generators.random import uniform

# Dtypes OpenCV filters natively (same output depth); others go through float32.
_CV_NATIVE = (torch.uint8, torch.uint16, torch.int16, torch.float32)


def gaussian_kernel_size(sigma: float) -> int:
    """Odd kernel width covering ±2.5 sigma (at least 3)."""
    return max(3, 2 * math.ceil(2.5 * sigma) + 1)


def gaussian_kernel_1d(sigma: float) -> np.ndarray:
    if sigma < 1e-3:
        # Narrower than a thousandth of a pixel: the identity, and no division by ~0.
        return np.ones(1, dtype=np.float32)
    half = gaussian_kernel_size(sigma) // 2
    taps = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    return (taps / taps.sum()).astype(np.float32)


def disk_kernel(radius: float) -> np.ndarray:
    """Anti-aliased uniform disk of the given radius in pixels, normalised to sum 1."""
    half = max(1, math.ceil(radius))
    grid = np.arange(-half, half + 1, dtype=np.float32)
    distance = np.hypot(grid[:, None], grid[None, :])
    kernel = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    return kernel / kernel.sum()


def motion_kernel(length: float, angle: float) -> np.ndarray:
    """Line of the given length in pixels at ``angle`` radians, splatted bilinearly."""
    half = max(1, math.ceil(length / 2))
    size = 2 * half + 1
    kernel = np.zeros((size, size), dtype=np.float32)
    steps = max(2, int(math.ceil(length * 4)))
    for t in np.linspace(-length / 2, length / 2, steps):
        x, y = half + t * math.cos(angle), half - t * math.sin(angle)
        x0, y0 = int(math.floor(x)), int(math.floor(y))
        fx, fy = x - x0, y - y0
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                if 0 <= y0 + dy < size and 0 <= x0 + dx < size:
                    kernel[y0 + dy, x0 + dx] += wy * wx
    return kernel / kernel.sum()


def _fit_kernel(kernel: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop a centred kernel to at most 2·(min(H, W) - 1) + 1 taps and renormalise.

    A reflected border needs the kernel's half-width below the image size; wider
    kernels make OpenCV return garbage and torch's reflect padding raise.
    """
    half = kernel.shape[0] // 2
    limit = max(0, min(height, width) - 1)
    if half <= limit:
        return kernel
    cut = half - limit
    kernel = kernel[cut:-cut, cut:-cut] if kernel.ndim == 2 else kernel[cut:-cut]
    return (kernel / kernel.sum()).astype(np.float32)


def _pad_to(kernel: np.ndarray, size: int) -> np.ndarray:
    extra = (size - kernel.shape[0]) // 2
    return np.pad(kernel, extra)


def _cv_planes(frames: torch.Tensor, filter_plane) -> torch.Tensor:
    """Run ``filter_plane(index, source, destination)`` on every (H, W) plane on the CPU.

    OpenCV writes each contiguous plane of the output in place. In CPU time this
    was as fast as filtering interleaved RGB (256×256 uint8, OpenCV 5.1) and it
    needs no layout copies.
    """
    native = frames.dtype in _CV_NATIVE
    source = frames if native else frames.float()
    array = source.contiguous().numpy()
    out = np.empty_like(array)
    for i in range(array.shape[0]):
        for c in range(array.shape[1]):
            filter_plane(i, array[i, c], out[i, c])
    return torch.from_numpy(out)


def filter_frames(frames: torch.Tensor, kernels: list[np.ndarray], low, high) -> torch.Tensor:
    """Convolve frame i (all channels) with ``kernels[i]``; reflected borders."""
    kernels = [_fit_kernel(k, *frames.shape[-2:]) for k in kernels]
    if frames.device.type != "cpu":
        return filter_frames_torch(frames, kernels, low, high)

    def plane(i, source, destination):
        cv2.filter2D(source, -1, kernels[i], dst=destination, borderType=cv2.BORDER_REFLECT_101)

    out = _cv_planes(frames, plane)
    return restore_dtype(out.float(), low, high, frames.dtype) if out.dtype != frames.dtype else out


def filter_frames_torch(frames: torch.Tensor, kernels: list[np.ndarray], low, high) -> torch.Tensor:
    """Batched torch version of :func:`filter_frames`, used on CUDA: one grouped convolution."""
    kernels = [_fit_kernel(k, *frames.shape[-2:]) for k in kernels]
    size = max(k.shape[0] for k in kernels)
    n, channels, height, width = frames.shape
    weight = torch.from_numpy(np.stack([_pad_to(k, size) for k in kernels])).to(frames.device)
    weight = weight.repeat_interleave(channels, dim=0).unsqueeze(1)
    half = size // 2
    x = frames.float().reshape(1, n * channels, height, width)
    x = F.pad(x, (half, half, half, half), mode="reflect")
    out = F.conv2d(x, weight, groups=n * channels).reshape(frames.shape)
    return restore_dtype(out, low, high, frames.dtype)


def gaussian_frames(frames: torch.Tensor, sigmas: list[float], low, high) -> torch.Tensor:
    """Gaussian blur of frame i with standard deviation ``sigmas[i]`` pixels."""
    if frames.device.type != "cpu":
        return gaussian_frames_torch(frames, sigmas, low, high)
    # cv2.sepFilter2D with a float kernel runs about twice as fast on uint8 as
    # cv2.GaussianBlur, whose bit-exact fixed-point path is slower (OpenCV 4.x and 5.x).
    kernels = {s: _fit_kernel(gaussian_kernel_1d(s), *frames.shape[-2:]) for s in set(sigmas)}

    def plane(i, source, destination):
        taps = kernels[sigmas[i]]
        cv2.sepFilter2D(source, -1, taps, taps, dst=destination, borderType=cv2.BORDER_REFLECT_101)

    out = _cv_planes(frames, plane)
    return restore_dtype(out.float(), low, high, frames.dtype) if out.dtype != frames.dtype else out


def gaussian_frames_torch(frames: torch.Tensor, sigmas: list[float], low, high) -> torch.Tensor:
    """Batched torch version of :func:`gaussian_frames`, used on CUDA: two 1D convolutions."""
    out = torch.empty_like(frames, dtype=torch.float32)
    for sigma in sorted(set(sigmas)):
        rows = [i for i, s in enumerate(sigmas) if s == sigma]
        taps = torch.from_numpy(_fit_kernel(gaussian_kernel_1d(sigma), *frames.shape[-2:])).to(frames.device)
        half = len(taps) // 2
        x = frames[rows].float()
        n, channels, height, width = x.shape
        x = x.reshape(n * channels, 1, height, width)
        x = F.conv2d(F.pad(x, (half, half, 0, 0), mode="reflect"), taps.view(1, 1, 1, -1))
        x = F.conv2d(F.pad(x, (0, 0, half, half), mode="reflect"), taps.view(1, 1, -1, 1))
        out[rows] = x.reshape(n, channels, height, width)
    return restore_dtype(out, low, high, frames.dtype)


class ImageGaussianBlur(PixelGenerator):
    """Gaussian blur with standard deviation sigma in pixels."""

    name = "image_gaussian_blur"
    description = "Gaussian blur (sigma in pixels)"

    def transform_frames(self, frames, params, keys, spec, low, high):
        return gaussian_frames(frames, params["sigma"].tolist(), low, high)


class ImageDefocusBlur(PixelGenerator):
    """Out-of-focus blur: convolution with a uniform disk (circle of confusion) of a given radius."""

    name = "image_defocus_blur"
    description = "defocus blur with a disk kernel (radius in pixels)"

    def transform_frames(self, frames, params, keys, spec, low, high):
        kernels = {r: disk_kernel(r) for r in set(params["radius"].tolist())}
        return filter_frames(frames, [kernels[r] for r in params["radius"].tolist()], low, high)


class ImageMotionBlur(PixelGenerator):
    """Linear motion blur of a given length in pixels, at a per-sample random angle."""

    name = "image_motion_blur"
    description = "linear motion blur at a random angle (length in pixels)"

    def sample_params(self, severity, keys, spec, x):
        angle = uniform(keys, (1,), stream=1, device=keys.device)[:, 0] * math.pi
        return {"length": torch.full((len(keys),), float(severity), device=keys.device), "angle": angle}

    def transform_frames(self, frames, params, keys, spec, low, high):
        pairs = zip(params["length"].tolist(), params["angle"].tolist(), strict=True)
        kernels = [motion_kernel(length, angle) for length, angle in pairs]
        return filter_frames(frames, kernels, low, high)


GENERATORS = (ImageGaussianBlur, ImageDefocusBlur, ImageMotionBlur)
