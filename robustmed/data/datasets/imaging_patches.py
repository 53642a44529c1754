"""Imaging-modality recognition from 32×32 patches of real DICOM and scikit-image images.

Fourteen real image files (CT, MR, ultrasound, computed radiography from the
``pydicom-data`` and ``pydicom`` test files; an immunohistochemistry
micrograph and a fundus photograph from ``skimage.data``) are cut into
grayscale patches. A handful of images cannot support a per-image task, so the
task is per patch: which imaging modality the patch comes from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task, package_file
from robustmed.data.datasets.base import Dataset, make_split
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "imaging_patches"
PATCH = 32
SHORT_SIDE = 192
MAX_PATCHES_PER_IMAGE = 32
MIN_PATCH_STD = 0.04
PATCH_SEED = 20261204
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4
DATA_STORE = "data_store/data/"

# (source name, loader kind, file, imaging modality). "store" files come from the
# pydicom-data wheel, "pydicom" files from pydicom's own test data, "skimage" from skimage.data.
SOURCES = (
    ("693_UNCR", "store", "693_UNCR.dcm", "ct"),
    ("eCT_Supplemental", "store", "eCT_Supplemental.dcm", "ct"),
    ("CT_small", "pydicom", "CT_small.dcm", "ct"),
    ("MR2_UNCR", "store", "MR2_UNCR.dcm", "mr"),
    ("MR-SIEMENS", "store", "MR-SIEMENS-DICOM-WithOverlays.dcm", "mr"),
    ("emri_small", "store", "emri_small.dcm", "mr"),
    ("MR_small", "pydicom", "MR_small.dcm", "mr"),
    ("US1_UNCR", "store", "US1_UNCR.dcm", "ultrasound"),
    ("gdcm-US-ALOKA-16", "store", "gdcm-US-ALOKA-16.dcm", "ultrasound"),
    ("OBXXXX1A", "store", "OBXXXX1A.dcm", "ultrasound"),
    ("RG1_UNCR", "store", "RG1_UNCR.dcm", "radiograph"),
    ("RG3_UNCR", "store", "RG3_UNCR.dcm", "radiograph"),
    ("immunohistochemistry", "skimage", "immunohistochemistry", "microscopy"),
    ("retina", "skimage", "retina", "fundus"),
)
# Lossy JPEG 2000 twins of uncompressed sources: the same acquisition, compressed irreversibly.
LOSSY_TWINS = {"MR2_UNCR": "MR2_J2KI.dcm", "US1_UNCR": "US1_J2KI.dcm", "RG1_UNCR": "RG1_J2KI.dcm"}
MODALITIES = ("ct", "mr", "ultrasound", "radiograph", "microscopy", "fundus")

CARD = """\
**imaging_patches**: imaging-modality recognition from 32×32 grayscale patches. Images, read
at run time: CT (`693_UNCR`, the two frames of `eCT_Supplemental`, `CT_small`), MR
(`MR2_UNCR`, `MR-SIEMENS-DICOM-WithOverlays`, the ten frames of `emri_small`, `MR_small`),
ultrasound (`US1_UNCR`, `gdcm-US-ALOKA-16`, `OBXXXX1A`) and computed radiography (`RG1_UNCR`,
`RG3_UNCR`) from the `pydicom-data` wheel (MIT) and pydicom's test files (MIT), plus the
immunohistochemistry micrograph and the retina fundus photograph of `skimage.data` (the
scikit-image wheel, BSD-3; each image's own source is in its `skimage.data` docstring). Each image is converted to grayscale (palette and colour
images through their lookup table, MONOCHROME1 inverted), scaled to [0, 1] between its 1st and
99th intensity percentiles, resized so its short side is 192 px, and tiled into 32×32
patches; patches with a standard deviation below 0.04 (background) are dropped and at most
32 patches per source are drawn (seed 20261204). That gives 396 patches: CT 89, MR 104,
ultrasound 85, radiograph 55, microscopy 32, fundus 31. In addition, the
lossy JPEG 2000 twins `MR2_J2KI`, `US1_J2KI` and `RG1_J2KI` give the same patches decoded from
irreversibly compressed files (89 more samples, `codec` = "jpeg2000_lossy"); only the twins
of test patches enter the test split (34; the test split has 193 samples, the training
split 237), so no compressed copy of a training patch is tested.
Modality: `image` (shape (1, 32, 32), value range [0, 1]). Tasks: one binary task per imaging
modality (`ct`, `mr`, `ultrasound`, `radiograph`, `microscopy`, `fundus`; one-vs-rest, exactly
one positive per patch). This is a patch-level task built from 14 source files (25 frames): the sources are
real, the task is constructed, and patients are the source images (clustered intervals).
Subgroups: `codec` and `source`. Split: 60/40 of the uncompressed patches stratified by
modality, seed 20261204, recorded in `robustmed/data/splits/imaging_patches.json`.
"""


def _dicom_frames(path) -> list[np.ndarray]:
    import pydicom
    from pydicom.pixels import apply_color_lut

    dataset = pydicom.dcmread(path)
    pixels = dataset.pixel_array
    if dataset.PhotometricInterpretation == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, dataset)
    frames_count = int(dataset.get("NumberOfFrames", 1))
    colour = pixels.shape[-1] == 3 and dataset.PhotometricInterpretation != "MONOCHROME2"
    frames = list(pixels) if frames_count > 1 else [pixels]
    grey = [frame.astype(np.float64).mean(axis=-1) if colour else frame.astype(np.float64) for frame in frames]
    if dataset.PhotometricInterpretation == "MONOCHROME1":
        grey = [frame.max() - frame for frame in grey]
    return grey


def _source_frames(kind: str, file: str) -> list[np.ndarray]:
    if kind == "store":
        return _dicom_frames(package_file("pydicom-data", DATA_STORE + file, NAME))
    if kind == "pydicom":
        from pydicom.data import get_testdata_file

        return _dicom_frames(get_testdata_file(file))
    import skimage.data
    from skimage.color import rgb2gray

    return [rgb2gray(getattr(skimage.data, file)()).astype(np.float64)]


def _tiles(frame: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    from skimage.transform import resize

    low, high = np.percentile(frame, [1, 99])
    scaled = np.clip((frame - low) / max(high - low, 1e-12), 0.0, 1.0)
    factor = SHORT_SIDE / min(scaled.shape)
    shape = (round(scaled.shape[0] * factor), round(scaled.shape[1] * factor))
    resized = resize(scaled, shape, anti_aliasing=True, preserve_range=True)
    tiles = []
    for row in range(shape[0] // PATCH):
        for column in range(shape[1] // PATCH):
            tile = resized[row * PATCH : (row + 1) * PATCH, column * PATCH : (column + 1) * PATCH]
            tiles.append((row, column, tile.astype(np.float32)))
    return tiles


def _read_patches() -> pd.DataFrame:
    try:
        import pydicom  # noqa: F401
        import skimage  # noqa: F401
    except ImportError as error:
        raise DataError(
            f"Dataset {NAME!r} needs 'pydicom', 'pydicom-data' and 'scikit-image'; install them with "
            "pip install 'robustmed[data]'."
        ) from error
    rng = np.random.default_rng(PATCH_SEED)
    rows = []
    for source, kind, file, modality in SOURCES:
        candidates = []
        for frame_index, frame in enumerate(_source_frames(kind, file)):
            for row, column, tile in _tiles(frame):
                if tile.std() >= MIN_PATCH_STD:
                    candidates.append((frame_index, row, column, tile))
        keep = np.sort(rng.choice(len(candidates), min(MAX_PATCHES_PER_IMAGE, len(candidates)), replace=False))
        twin_tiles = {}
        if source in LOSSY_TWINS:
            lossy = _source_frames("store", LOSSY_TWINS[source])
            twin_tiles = {(0, r, c): t for r, c, t in _tiles(lossy[0])}
        for index in keep:
            frame_index, row, column, tile = candidates[index]
            sample_id = f"{source}-f{frame_index:02d}-r{row}-c{column}"
            base = {"source": source, "modality": modality, "original": sample_id}
            rows.append({**base, "sample_id": sample_id, "codec": "uncompressed", "values": tile})
            if (frame_index, row, column) in twin_tiles:
                twin = twin_tiles[(frame_index, row, column)]
                rows.append({**base, "sample_id": f"{sample_id}-j2ki", "codec": "jpeg2000_lossy", "values": twin})
    return pd.DataFrame(rows)


def load() -> Dataset:
    """Load imaging_patches with its recorded split."""
    frame = _read_patches()
    values = torch.tensor(np.stack(frame["values"].to_list())).unsqueeze(1)
    return assemble(
        NAME,
        modalities={"image": ModalityData(values, ModalityKind.IMAGE, unit="scaled intensity", value_range=(0.0, 1.0))},
        targets={modality: (frame["modality"] == modality).to_numpy() for modality in MODALITIES},
        tasks={modality: binary_task(modality, f"not {modality}", modality) for modality in MODALITIES},
        sample_ids=frame["sample_id"].tolist(),
        patient_ids=frame["source"].tolist(),
        metadata_frame=frame[["codec", "source"]],
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/imaging_patches.json`` records."""
    frame = _read_patches()
    originals = frame[frame["codec"] == "uncompressed"]
    split = make_split(
        originals["sample_id"].tolist(), originals["modality"].to_numpy(), test_fraction=TEST_FRACTION, seed=SPLIT_SEED
    )
    test_originals = set(split["test"])
    twins = frame[(frame["codec"] != "uncompressed") & frame["original"].isin(test_originals)]
    return {
        "seed": SPLIT_SEED,
        "test_fraction": TEST_FRACTION,
        "stratified_by": "imaging modality; lossy twins of test patches are test-only",
        "train": split["train"],
        "test": sorted(split["test"] + twins["sample_id"].tolist()),
    }
