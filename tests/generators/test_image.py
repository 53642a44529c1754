"""Family tests of the 2D image generators on real images: dtypes, ranges and references."""

import io
from dataclasses import replace

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators import build_generator, sample_keys
from robustmed.generators.image_blur import (
    disk_kernel,
    filter_frames,
    filter_frames_torch,
    gaussian_frames,
    gaussian_frames_torch,
    motion_kernel,
)
from tests.generators.cases.imaging import fundus_float, histology_rgb, radiograph_uint16


def _run(name, data, level, seed=0, ids=None):
    ids = ids or data.sample_ids
    keys = sample_keys(seed, name, ids)
    return build_generator(name)(data.values, data.present, level, keys, data.spec)


@pytest.fixture(scope="module")
def ct_slice():
    from robustmed.data.samples.imaging import ct_slice as load

    _, tensor, spec, _ = load()
    values = tensor[:, :, 200:264, 200:264].contiguous()
    return values, replace(spec, shape=tuple(values.shape[1:]))


def test_uint8_brightness_clips_without_wrapping():
    data = histology_rgb()
    result = _run("image_brightness_up", data, 5.0).values
    offset = build_generator("image_brightness_up").ladder.value(5.0) * 255.0
    expected = torch.floor((data.values.float() + offset).clamp(0, 255) + 0.5).to(torch.uint8)
    assert result.dtype == torch.uint8
    assert torch.equal(result, expected)
    assert int(result.max()) == 255


def test_uint16_noise_stays_in_bit_depth():
    data = radiograph_uint16()
    result = _run("image_gaussian_noise", data, 5.0).values
    assert result.dtype == torch.uint16
    assert int(result.long().max()) <= 1023
    noise = result.long() - data.values.long()
    interior = (data.values.long() > 100) & (data.values.long() < 900)
    sigma = build_generator("image_gaussian_noise").ladder.value(5.0) * 1023
    assert noise[interior].float().std().item() == pytest.approx(sigma, rel=0.1)


def test_hu_slice_clips_at_air(ct_slice):
    values, spec = ct_slice
    present = torch.ones(1, dtype=torch.bool)
    generator = build_generator("image_brightness_down")
    result = generator(values, present, 5.0, sample_keys(0, "image_brightness_down", ["ct"]), spec).values
    assert result.dtype == torch.int16
    assert int(result.min()) == -1024
    shift = generator.ladder.value(5.0) * (3071 + 1024)
    expected = torch.floor((values.float() - shift).clamp(-1024, 3071) + 0.5).to(torch.int16)
    assert torch.equal(result, expected)


def test_hu_slice_level_zero_round_trips(ct_slice):
    values, spec = ct_slice
    result = build_generator("image_jpeg")(values, torch.ones(1, dtype=torch.bool), 0.0, sample_keys(0, "j", ["ct"]), spec)
    assert torch.equal(result.values, values)


def test_float_image_stays_in_unit_range():
    data = fundus_float()
    for name in ("image_gaussian_noise", "image_contrast_up", "image_ultrasound_speckle", "image_shot_noise"):
        result = _run(name, data, 5.0).values
        assert result.dtype == torch.float32
        assert float(result.min()) >= 0.0
        assert float(result.max()) <= 1.0


def test_jpeg_error_falls_with_quality():
    data = histology_rgb()
    errors = [(_run("image_jpeg", data, level).values.float() - data.values.float()).abs().mean().item() for level in (1, 2, 3, 4, 5)]
    assert errors == sorted(errors)
    assert errors[0] > 0


def test_jpeg_agrees_with_pillow_round_trip():
    # Pillow links another libjpeg build; the two encoders round DCT coefficients slightly
    # differently, so pixels differ a little while the compression error is the same.
    data = histology_rgb()
    result = _run("image_jpeg", data, 2.0).values[0].permute(1, 2, 0).numpy().astype(np.int64)
    quality = int(round(build_generator("image_jpeg").ladder.value(2.0)))
    image = np.ascontiguousarray(data.values[0].permute(1, 2, 0).numpy())
    encoded = io.BytesIO()
    Image.fromarray(image).save(encoded, format="JPEG", quality=quality, subsampling=2)
    expected = np.asarray(Image.open(io.BytesIO(encoded.getvalue())).convert("RGB")).astype(np.int64)
    codec_error = np.abs(expected - image).mean()
    assert np.abs(result - image).mean() == pytest.approx(codec_error, rel=0.05)
    assert np.abs(result - expected).mean() < 0.1 * codec_error


def test_jpeg_of_uint16_adds_only_codec_error():
    data = radiograph_uint16()
    result = _run("image_jpeg", data, 1.0).values.long()
    # One 8-bit step of the codec is 1023 / 255 ≈ 4 detector values; quality 68 errs by few steps.
    error = (result - data.values.long()).abs().float()
    assert error.mean().item() < 4 * 4
    assert (result % 4 != 0).any()


def test_gaussian_blur_matches_opencv():
    data = histology_rgb()
    result = _run("image_gaussian_blur", data, 3.0).values
    sigma = build_generator("image_gaussian_blur").ladder.value(3.0)
    image = np.ascontiguousarray(data.values[1].permute(1, 2, 0).numpy())
    size = 2 * int(np.ceil(2.5 * sigma)) + 1
    expected = cv2.GaussianBlur(image, (size, size), sigma, borderType=cv2.BORDER_REFLECT_101)
    difference = np.abs(result[1].permute(1, 2, 0).numpy().astype(int) - expected.astype(int))
    assert difference.max() <= 1


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_torch_blur_path_matches_opencv_path(dtype):
    data = histology_rgb()
    frames = data.values.to(dtype)
    low, high = torch.zeros(len(frames)), torch.full((len(frames),), 255.0)
    sigmas = [1.3, 2.0, 1.3, 0.9]
    gap = (gaussian_frames(frames, sigmas, low, high).float() - gaussian_frames_torch(frames, sigmas, low, high).float()).abs()
    assert gap.max().item() <= 1.0
    kernels = [disk_kernel(2.5), motion_kernel(7.0, 0.3), disk_kernel(1.0), motion_kernel(3.0, 2.0)]
    gap = (filter_frames(frames, kernels, low, high).float() - filter_frames_torch(frames, kernels, low, high).float()).abs()
    assert gap.max().item() <= 1.0


def test_blur_kernels_sum_to_one():
    for kernel in (disk_kernel(0.7), disk_kernel(6.0), motion_kernel(3.5, 0.0), motion_kernel(25.0, 1.2)):
        assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
        assert kernel.shape[0] == kernel.shape[1]
        assert kernel.shape[0] % 2 == 1


def test_stain_shift_matches_skimage_colour_deconvolution():
    from skimage.color import hed_from_rgb, rgb_from_hed

    data = histology_rgb()
    result = _run("image_stain_shift", data, 4.0)
    alpha = result.params["alpha"][0].numpy()
    beta = result.params["beta"][0].numpy()
    rgb = np.maximum(data.values[0].permute(1, 2, 0).numpy() / 255.0, 1e-6)
    log_floor = np.log(1e-6)
    # skimage.color.separate_stains and combine_stains, without their clip at zero.
    stains = (np.log(rgb) / log_floor) @ hed_from_rgb * alpha + beta
    expected = np.clip(np.exp((stains * log_floor) @ rgb_from_hed), 0.0, 1.0) * 255.0
    got = result.values[0].permute(1, 2, 0).numpy().astype(float)
    assert np.abs(got - expected).max() <= 1.0


def test_stain_shift_small_sigma_nearly_identity():
    data = histology_rgb()
    result = build_generator("image_stain_shift")(data.values, data.present, 0.01, sample_keys(0, "s", data.sample_ids), data.spec)
    assert (result.values.float() - data.values.float()).abs().max().item() <= 2.0


def test_stain_shift_rejects_grayscale():
    with pytest.raises(ValueError, match="3-channel"):
        _run("image_stain_shift", radiograph_uint16(), 2.0)


def test_shot_noise_keeps_mean_and_scales_variance():
    data = fundus_float()
    result = _run("image_shot_noise", data, 5.0).values
    scale = build_generator("image_shot_noise").ladder.value(5.0)
    mid = (data.values > 0.3) & (data.values < 0.7)
    residual = (result - data.values)[mid]
    assert residual.mean().item() == pytest.approx(0.0, abs=0.01)
    expected_var = (data.values[mid] * scale).mean().item()
    assert residual.var().item() == pytest.approx(expected_var, rel=0.15)


def test_impulse_noise_hits_fraction_p():
    data = histology_rgb()
    result = _run("image_impulse_noise", data, 5.0).values
    p = build_generator("image_impulse_noise").ladder.value(5.0)
    changed = (result != data.values).float().mean().item()
    assert changed == pytest.approx(p, rel=0.25)
    assert set(result[result != data.values].unique().tolist()) <= {0, 255}


def test_vignette_covers_requested_fraction():
    data = histology_rgb()
    result = _run("image_dermoscope_vignette", data, 4.0).values
    coverage = build_generator("image_dermoscope_vignette").ladder.value(4.0)
    dark = (result.float().amax(dim=1) < data.values.float().amax(dim=1) * 0.5).float().mean().item()
    assert dark == pytest.approx(coverage, abs=0.08)


def test_ultrasound_speckle_attenuates_with_depth():
    data = fundus_float()
    result = _run("image_ultrasound_speckle", data, 5.0).values
    ratio = result / data.values.clamp_min(1e-3)
    top, bottom = ratio[..., :8, :].mean().item(), ratio[..., -8:, :].mean().item()
    assert bottom < top


def test_wrong_layout_rejected():
    data = histology_rgb()
    with pytest.raises(ValueError, match="layout"):
        keys = sample_keys(0, "n", ["a", "b", "c"])
        build_generator("image_gaussian_noise")(data.values[0], data.present[:3], 1.0, keys, data.spec)


_GENERATORS = ["image_gaussian_noise", "image_gaussian_blur", "image_jpeg", "image_pixelate", "image_bubbles", "image_gamma"]
_DTYPES = {
    "uint8": (torch.uint8, (0, 255)),
    "uint16": (torch.uint16, (0, 4095)),
    "int16": (torch.int16, (-1024, 3071)),
    "float32": (torch.float32, None),
}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(_GENERATORS),
    dtype=st.sampled_from(sorted(_DTYPES)),
    batch=st.integers(1, 3),
    channels=st.sampled_from([1, 3]),
    height=st.integers(8, 40),
    width=st.integers(8, 40),
    level=st.floats(0.0, 5.0),
)
def test_any_shape_and_dtype_preserved(name, dtype, batch, channels, height, width, level):
    torch_dtype, value_range = _DTYPES[dtype]
    base = histology_rgb().values[:1, :channels, :height, :width].float() / 255.0
    base = base.expand(batch, -1, -1, -1)
    if value_range is None:
        values = base.contiguous()
    else:
        values = (value_range[0] + base * (value_range[1] - value_range[0])).round().to(torch_dtype)
    spec = ModalitySpec("image", ModalityKind.IMAGE, tuple(values.shape[1:]), torch_dtype, "", value_range)
    ids = [f"s{i}" for i in range(batch)]
    result = build_generator(name)(values, torch.ones(batch, dtype=torch.bool), level, sample_keys(1, name, ids), spec).values
    assert result.dtype == values.dtype
    assert result.shape == values.shape
    low, high = value_range if value_range is not None else (float(values.min()), float(values.max()))
    as_float = result.float()
    assert not torch.isnan(as_float).any()
    assert float(as_float.min()) >= low - 1e-6
    assert float(as_float.max()) <= high + 1e-6
