"""Real image, volume and video samples that ship offline inside installed packages.

Sources: DICOM test files of ``pydicom-data`` (radiograph, CT, ultrasound, MR,
ultrasound cine), ``skimage.data`` (immunohistochemistry section, retinal fundus)
and ``nilearn``'s MNI152 T1 template. Files are read from the installed packages
at run time; nothing is downloaded and no image is copied into this repository.

Each function returns a list of ``(name, tensor, spec, caption)``: the tensor has
a leading batch dimension of one, in the layout its generators expect, image
(1, C, H, W), volume (1, C, D, H, W) and video (1, T, C, H, W).
"""

from __future__ import annotations

import numpy as np
import torch

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.errors import DataError

Sample = tuple[str, torch.Tensor, ModalitySpec, str]


def _require(module: str):
    from importlib import import_module

    try:
        return import_module(module)
    except ImportError as error:
        raise DataError(
            f"The real imaging samples need the package that provides {module!r}; "
            "install robustmed with its data extra: pip install 'robustmed[data]'."
        ) from error


def _dicom(filename: str):
    pydicom = _require("pydicom")
    data = _require("pydicom.data")
    return pydicom.dcmread(data.get_testdata_file(filename))


def _area_resize(image: np.ndarray, factor: int) -> np.ndarray:
    """Downsample an (H, W) or (H, W, C) array by an integer factor, averaging blocks."""
    import cv2

    height, width = image.shape[:2]
    resized = cv2.resize(image, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    return resized.astype(image.dtype)


def _image(name: str, array: np.ndarray, unit: str, value_range, caption: str) -> Sample:
    planes = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    tensor = torch.from_numpy(np.ascontiguousarray(planes)).unsqueeze(0)
    spec = ModalitySpec(name, ModalityKind.IMAGE, tuple(tensor.shape[1:]), tensor.dtype, unit, value_range)
    return name, tensor, spec, caption


def chest_radiograph() -> Sample:
    """Computed radiograph (10-bit, MONOCHROME1 inverted so bone is bright), 4× area-downsampled to 440×440."""
    dataset = _dicom("RG3_UNCR.dcm")
    high = (1 << int(dataset.BitsStored)) - 1
    pixels = dataset.pixel_array.astype(np.uint16)
    if dataset.PhotometricInterpretation == "MONOCHROME1":
        pixels = (high - pixels).astype(np.uint16)
    caption = "Computed radiograph RG3_UNCR.dcm from pydicom-data, 10-bit uint16, downsampled 4× by area averaging."
    return _image("radiograph", _area_resize(pixels, 4), "detector value", (0, high), caption)


def ct_slice() -> Sample:
    """Axial CT slice in Hounsfield units (int16, 512×512), padding clipped to -1024 HU."""
    dataset = _dicom("693_UNCR.dcm")
    hounsfield = dataset.pixel_array.astype(np.float32) * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
    pixels = np.clip(hounsfield, -1024, 3071).astype(np.int16)
    caption = "CT slice 693_UNCR.dcm from pydicom-data in HU, int16, air and padding clipped at -1024 HU."
    return _image("ct_slice", pixels, "HU", (-1024, 3071), caption)


def ultrasound_frame() -> Sample:
    """Colour ultrasound frame (uint8 RGB, 480×640)."""
    dataset = _dicom("US1_UNCR.dcm")
    caption = "Ultrasound image US1_UNCR.dcm from pydicom-data, uint8 RGB."
    return _image("ultrasound", dataset.pixel_array.astype(np.uint8), "", (0, 255), caption)


def immunohistochemistry() -> Sample:
    """Immunohistochemistry (DAB and haematoxylin) section from skimage.data, uint8 RGB 512×512."""
    data = _require("skimage.data")
    caption = "Immunohistochemistry section (haematoxylin and DAB) from skimage.data, uint8 RGB."
    return _image("histology", data.immunohistochemistry(), "", (0, 255), caption)


def fundus() -> Sample:
    """Retinal fundus photograph from skimage.data, 1411² uint8 RGB area-downsampled 3× to 470²."""
    data = _require("skimage.data")
    caption = "Retinal fundus photograph from skimage.data, uint8 RGB, downsampled 3× by area averaging."
    return _image("fundus", _area_resize(data.retina(), 3), "", (0, 255), caption)


def image_samples() -> list[Sample]:
    """Real 2D medical images: radiograph, CT slice (HU), ultrasound, histology and fundus."""
    return [chest_radiograph(), ct_slice(), ultrasound_frame(), immunohistochemistry(), fundus()]


def _volume(name: str, array: np.ndarray, unit: str, value_range, caption: str) -> Sample:
    tensor = torch.from_numpy(np.ascontiguousarray(array))[None, None]
    spec = ModalitySpec(name, ModalityKind.VOLUME, tuple(tensor.shape[1:]), tensor.dtype, unit, value_range)
    return name, tensor, spec, caption


def mni152_t1() -> Sample:
    """MNI152 T1 brain template at 2 mm (float32 in [0, 1]), axial slices along depth."""
    datasets = _require("nilearn.datasets")
    template = datasets.load_mni152_template(resolution=2)
    # NIfTI arrays are (x, y, z); robustmed volumes are (D, H, W) with axial slices along D.
    array = np.asarray(template.get_fdata(dtype=np.float32)).transpose(2, 1, 0)[:, ::-1]
    caption = "MNI152 T1 brain template at 2 mm from nilearn, float32 intensity in [0, 1], axial slices."
    return _volume("brain_mri", array, "normalised T1 intensity", (0.0, 1.0), caption)


def mr_multiframe() -> Sample:
    """Ten-slice MR series (12-bit in uint16, 64×64) from pydicom-data."""
    dataset = _dicom("emri_small.dcm")
    high = (1 << int(dataset.BitsStored)) - 1
    caption = "MR series emri_small.dcm from pydicom-data, 10 slices of 64×64, 12-bit uint16."
    return _volume("mr_series", dataset.pixel_array.astype(np.uint16), "MR signal", (0, high), caption)


def ct_two_slices() -> Sample:
    """Enhanced CT with two 512×512 slices, converted to HU (int16)."""
    dataset = _dicom("eCT_Supplemental.dcm")
    rescale = dataset.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
    hounsfield = dataset.pixel_array.astype(np.float32) * float(rescale.RescaleSlope) + float(rescale.RescaleIntercept)
    caption = "Enhanced CT eCT_Supplemental.dcm from pydicom-data, two slices in HU (int16)."
    return _volume("ct_volume", np.clip(hounsfield, -1024, 3071).astype(np.int16), "HU", (-1024, 3071), caption)


def volume_samples() -> list[Sample]:
    """Real volumes: the MNI152 T1 brain (float), an MR series (uint16) and a two-slice CT (HU)."""
    return [mni152_t1(), mr_multiframe(), ct_two_slices()]


def ultrasound_cine() -> Sample:
    """Colour ultrasound cine of 30 frames (240×320, uint8 RGB), decoded from JPEG baseline."""
    dataset = _dicom("examples_ybr_color.dcm")
    frames = dataset.pixel_array.astype(np.uint8).transpose(0, 3, 1, 2)
    tensor = torch.from_numpy(np.ascontiguousarray(frames)).unsqueeze(0)
    spec = ModalitySpec("ultrasound_cine", ModalityKind.VIDEO, tuple(tensor.shape[1:]), tensor.dtype, "", (0, 255))
    caption = (
        "Ultrasound cine examples_ybr_color.dcm from pydicom-data: 30 frames at 33.3 ms, "
        "uint8 RGB decoded from JPEG baseline (YBR_FULL_422)."
    )
    return "ultrasound_cine", tensor, spec, caption


def video_samples() -> list[Sample]:
    """Real video: a colour ultrasound cine."""
    return [ultrasound_cine()]
