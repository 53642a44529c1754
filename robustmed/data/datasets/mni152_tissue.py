"""Grey vs white matter in 3D patches of the MNI152 T1 template, from nilearn.

The nilearn wheel ships the MNI152 2009 T1 template with grey-matter,
white-matter and brain probability maps. The brain is cut into 8×8×8-voxel
patches (2 mm voxels); a patch's labels come from the tissue maps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task, draw_split as _draw_split
from robustmed.data.datasets.base import Dataset
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "mni152_tissue"
PATCH = 8
RESOLUTION_MM = 2
MIN_BRAIN_FRACTION = 0.5
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**mni152_tissue**: 3D patches of the ICBM 2009 MNI152 nonlinear asymmetric T1 template
(Fonov et al. 2009/2011), shipped with `nilearn` (BSD-3) and read at run time with
`nilearn.datasets.load_mni152_template`, `load_mni152_gm_template`, `load_mni152_wm_template`
and `load_mni152_brain_mask` at 2 mm. The 99×117×95 volume is tiled into non-overlapping
8×8×8 patches; the 451 patches that are at least half brain are kept. Modality: `t1` (volume,
shape (1, 8, 8, 8), template intensity in [0, 1]). Tasks, derived from the tissue probability
maps: `grey_matter` (mean grey-matter probability exceeds mean white-matter probability;
317 of 451) and `cortical_surface` (the patch contains both voxels outside the brain mask and
voxels with grey-matter probability above 0.5; 182 of 451). This is one template brain, an
average of 152 adults, so patches are not independent patients: there is no patient id, and
intervals describe patch-to-patch variation within one brain. Subgroups: `hemisphere`
(left/right by patch centre) and `depth` (superior/inferior half). Split: 60/40 patches
stratified by `grey_matter`, seed 20261204, recorded in `robustmed/data/splits/mni152_tissue.json`.
"""


def _read_patches() -> pd.DataFrame:
    try:
        from nilearn import datasets
    except ImportError as error:
        raise DataError(
            f"Dataset {NAME!r} needs the 'nilearn' package; install it with pip install 'robustmed[data]'."
        ) from error
    t1 = datasets.load_mni152_template(resolution=RESOLUTION_MM).get_fdata().astype(np.float32)
    grey = datasets.load_mni152_gm_template(resolution=RESOLUTION_MM).get_fdata()
    white = datasets.load_mni152_wm_template(resolution=RESOLUTION_MM).get_fdata()
    brain = datasets.load_mni152_brain_mask(resolution=RESOLUTION_MM).get_fdata() > 0.5
    rows = []
    shape = np.array(t1.shape) // PATCH
    for i in range(shape[0]):
        for j in range(shape[1]):
            for k in range(shape[2]):
                region = (slice(i * PATCH, (i + 1) * PATCH), slice(j * PATCH, (j + 1) * PATCH), slice(k * PATCH, (k + 1) * PATCH))
                inside = brain[region]
                if inside.mean() < MIN_BRAIN_FRACTION:
                    continue
                rows.append(
                    {
                        "sample_id": f"mni-{i:02d}-{j:02d}-{k:02d}",
                        "values": t1[region],
                        "grey_matter": grey[region].mean() > white[region].mean(),
                        "cortical_surface": bool((~inside).any() and (grey[region] > 0.5).any()),
                        # Voxel axes of the template are x (left to right) and z (inferior to superior).
                        "hemisphere": "left" if (i + 0.5) * PATCH < t1.shape[0] / 2 else "right",
                        "depth": "inferior" if (k + 0.5) * PATCH < t1.shape[2] / 2 else "superior",
                    }
                )
    return pd.DataFrame(rows)


def load() -> Dataset:
    """Load mni152_tissue with its recorded split."""
    frame = _read_patches()
    values = torch.tensor(np.stack(frame["values"].to_list())).unsqueeze(1)
    return assemble(
        NAME,
        modalities={"t1": ModalityData(values, ModalityKind.VOLUME, unit="template intensity", value_range=(0.0, 1.0))},
        targets={"grey_matter": frame["grey_matter"].to_numpy(), "cortical_surface": frame["cortical_surface"].to_numpy()},
        tasks={
            "grey_matter": binary_task("grey_matter", "mostly white matter", "mostly grey matter"),
            "cortical_surface": binary_task("cortical_surface", "no cortical surface", "cortical surface"),
        },
        sample_ids=frame["sample_id"].tolist(),
        patient_ids=None,
        metadata_frame=frame[["hemisphere", "depth"]],
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/mni152_tissue.json`` records."""
    frame = _read_patches()
    return _draw_split(
        frame["sample_id"].tolist(), frame["grey_matter"].to_numpy(), seed=SPLIT_SEED,
        test_fraction=TEST_FRACTION, stratified_by="grey_matter",
    )
