"""Image, video and volume cases on small crops of real medical images.

Each batch contains several crops of one real image or volume (different sample ids),
small enough that every contract test stays fast.
"""

from dataclasses import replace
from functools import cache

import torch

from robustmed.data.spec import ModalitySpec
from tests.generators.cases import GeneratorCase, GeneratorInput

# Generators that draw no random numbers: their output does not depend on the seed.
DETERMINISTIC = {
    "image_gaussian_blur",
    "image_defocus_blur",
    "image_contrast_down",
    "image_contrast_up",
    "image_brightness_up",
    "image_brightness_down",
    "image_pixelate",
    "image_jpeg",
    "volume_blur",
    "volume_thick_slice",
}


def _batch(name: str, crops: list[torch.Tensor], spec: ModalitySpec) -> GeneratorInput:
    values = torch.stack(crops).contiguous()
    spec = replace(spec, shape=tuple(values.shape[1:]))
    ids = [f"{name}-{i}" for i in range(len(crops))]
    return GeneratorInput(values, torch.ones(len(crops), dtype=torch.bool), spec, ids)


def _sample(provider: str, name: str):
    from robustmed.data.samples import imaging

    for sample_name, tensor, spec, _ in getattr(imaging, provider)():
        if sample_name == name:
            return tensor[0], spec
    raise KeyError(name)


def _image_crops(image: torch.Tensor, size: int, count: int) -> list[torch.Tensor]:
    height, width = image.shape[-2:]
    corners = [((height - size) * i // max(1, count - 1), (width - size) * (count - 1 - i) // max(1, count - 1)) for i in range(count)]
    return [image[..., r : r + size, c : c + size] for r, c in corners]


@cache
def histology_rgb() -> GeneratorInput:
    image, spec = _sample("image_samples", "histology")
    return _batch("histology", _image_crops(image, 48, 4), spec)


@cache
def radiograph_uint16() -> GeneratorInput:
    image, spec = _sample("image_samples", "radiograph")
    return _batch("radiograph", _image_crops(image[:, 100:340, 100:340], 48, 4), spec)


@cache
def fundus_float() -> GeneratorInput:
    image, spec = _sample("image_samples", "fundus")
    crops = [c.float() / 255.0 for c in _image_crops(image[:, 100:370, 100:370], 40, 3)]
    return _batch("fundus", crops, replace(spec, dtype=torch.float32, value_range=(0.0, 1.0)))


@cache
def ultrasound_cine() -> GeneratorInput:
    clip, spec = _sample("video_samples", "ultrasound_cine")
    crops = [c[:10] for c in _image_crops(clip[:, :, 60:200, 80:260], 32, 3)]
    return _batch("cine", crops, spec)


@cache
def brain_mri() -> GeneratorInput:
    volume, spec = _sample("volume_samples", "brain_mri")
    crops = [volume[:, d : d + 10, 30:54, 30:54] for d in (30, 40, 50)]
    return _batch("brain", crops, spec)


@cache
def mr_series_uint16() -> GeneratorInput:
    volume, spec = _sample("volume_samples", "mr_series")
    crops = [volume[:, :, r : r + 24, 16:40] for r in (8, 20, 32)]
    return _batch("mr", crops, spec)


@cache
def ct_volume_hu() -> GeneratorInput:
    volume, spec = _sample("volume_samples", "ct_volume")
    crops = [volume[:, :, r : r + 32, 200:232] for r in (180, 240, 300)]
    return _batch("ct", crops, spec)


IMAGE_GENERATORS = (
    "image_gaussian_noise",
    "image_shot_noise",
    "image_impulse_noise",
    "image_speckle_noise",
    "image_gaussian_blur",
    "image_defocus_blur",
    "image_motion_blur",
    "image_contrast_down",
    "image_contrast_up",
    "image_brightness_up",
    "image_brightness_down",
    "image_gamma",
    "image_pixelate",
    "image_jpeg",
    "image_stain_shift",
    "image_stain_deposits",
    "image_bubbles",
    "image_dermoscope_vignette",
    "image_burned_in_text",
    "image_grid_lines",
    "image_ultrasound_speckle",
)
VIDEO_FRAME_GENERATORS = ("image_gaussian_noise", "image_jpeg", "image_motion_blur", "image_burned_in_text")
VOLUME_GENERATORS = (
    "volume_gaussian_noise",
    "volume_rician_noise",
    "volume_blur",
    "volume_bias_field",
    "volume_motion",
    "volume_ghosting",
    "volume_spike",
    "volume_thick_slice",
)


def _case(generator, make_input, label):
    return GeneratorCase(generator, make_input, id=f"{generator}-{label}", deterministic=generator in DETERMINISTIC)


CASES = [
    *[_case(g, histology_rgb, "histology_rgb_uint8") for g in IMAGE_GENERATORS],
    *[_case(g, radiograph_uint16, "radiograph_uint16") for g in IMAGE_GENERATORS if g != "image_stain_shift"],
    *[_case(g, fundus_float, "fundus_float") for g in ("image_gaussian_noise", "image_jpeg", "image_gaussian_blur", "image_stain_shift")],
    *[_case(g, ultrasound_cine, "ultrasound_cine") for g in VIDEO_FRAME_GENERATORS],
    _case("video_frame_drop", ultrasound_cine, "ultrasound_cine"),
    _case("video_temporal_jitter", ultrasound_cine, "ultrasound_cine"),
    *[_case(g, brain_mri, "mni152_float") for g in VOLUME_GENERATORS],
    *[_case(g, mr_series_uint16, "mr_uint16") for g in ("volume_rician_noise", "volume_motion", "volume_thick_slice")],
    *[_case(g, ct_volume_hu, "ct_hu_int16") for g in ("volume_gaussian_noise", "volume_low_dose_ct", "volume_ghosting")],
]
