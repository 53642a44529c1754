"""NCCTG advanced lung cancer survival (Loprinzi et al. 1994), from the lifelines package.

228 patients of the North Central Cancer Treatment Group treated at 18
institutions, with physician-rated and patient-rated performance scores. The
survival outcome is turned into a binary task, death within one year of
enrolment: 1 when the patient died on or before day 365, 0 when the patient
was followed for at least 365 days (alive or censored later). The 42 patients
censored before day 365 have an unknown one-year status and are left out, so
the task covers 186 patients. The institution code gives a natural site shift:
the six institutions with at least 15 labelled patients are in-domain (the
model trains on a class-stratified 60% of their patients), and all other
institutions are held out entirely for out-of-domain evaluation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from robustmed.data.datasets.assemble import ModalityData, assemble
from robustmed.data.datasets.base import Dataset, TaskSpec, frame_to_tensor
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "ncctg_lung"
HORIZON_DAYS = 365
MIN_SITE_SIZE = 15
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4
UNRECORDED_SITE = "unrecorded"
AGE_EDGES = (0, 60, 70, 120)

MODALITY_COLUMNS = {
    "clinician": ("ph.ecog", "ph.karno"),
    "patient_reported": ("pat.karno", "meal.cal", "wt.loss"),
    "demographics": ("age", "male"),
}
UNITS = {
    "clinician": "ECOG grade (0-5) and Karnofsky score (0-100) rated by the physician",
    "patient_reported": "Karnofsky score (0-100), meal calories, weight loss in the last 6 months (lb)",
    "demographics": "age in years, male indicator",
}

CARD = """\
**ncctg_lung**: NCCTG advanced lung cancer survival (Loprinzi et al., J Clin Oncol 1994),
read offline from the `lifelines` package (`lifelines.datasets.load_lung`). Binary task
`death_1y` derived from survival time and status: death on or before day 365 (121) vs
followed at least 365 days (65); 42 patients censored before day 365 are left out
(unknown status), leaving 186. Modalities: `clinician` (ECOG, physician Karnofsky),
`patient_reported` (patient Karnofsky, meal calories, weight loss; missing values kept
as NaN), `demographics` (age, sex). Metadata: `site` (institution code, one patient
`unrecorded`), `sex`, `age` (years), `age_band` (<60, 60-69, ≥70). Split: the six
institutions with at least 15 labelled patients are in-domain; 60/40 class-stratified
split of their patients (seed 20261204); every patient of the other institutions is in
the test split. Recorded in `robustmed/data/splits/ncctg_lung.json`.
"""


def _read_frame() -> pd.DataFrame:
    try:
        from lifelines.datasets import load_lung
    except ImportError as error:
        raise DataError(
            "Dataset 'ncctg_lung' needs the 'lifelines' package; install it with pip install 'robustmed[data]'."
        ) from error
    frame = load_lung().reset_index(drop=True)
    frame["sample_id"] = [f"lung-{i + 1:03d}" for i in range(len(frame))]
    # lifelines codes status 1 = death, 0 = censored; sex 1 = male, 2 = female.
    died_within = (frame["status"] == 1) & (frame["time"] <= HORIZON_DAYS)
    followed = frame["time"] >= HORIZON_DAYS
    frame = frame[died_within | followed].reset_index(drop=True)
    frame["death_1y"] = ((frame["status"] == 1) & (frame["time"] <= HORIZON_DAYS)).astype(np.int64)
    frame["male"] = (frame["sex"] == 1).astype(np.float32)
    frame["site"] = [UNRECORDED_SITE if pd.isna(i) else f"inst-{int(i):02d}" for i in frame["inst"]]
    return frame


def in_domain_sites(frame: pd.DataFrame) -> list[str]:
    """Institutions with at least ``MIN_SITE_SIZE`` labelled patients."""
    counts = frame["site"].value_counts()
    return sorted(s for s, n in counts.items() if n >= MIN_SITE_SIZE and s != UNRECORDED_SITE)


def load() -> Dataset:
    """Load ncctg_lung with its recorded site-aware split."""
    frame = _read_frame()
    sample_ids = frame["sample_id"].tolist()
    modalities = {
        name: ModalityData(
            frame_to_tensor(frame[list(columns)].astype(np.float64)),
            ModalityKind.TABULAR,
            unit=UNITS[name],
            feature_names=tuple(columns),
        )
        for name, columns in MODALITY_COLUMNS.items()
    }

    age_band = pd.cut(frame["age"], bins=list(AGE_EDGES), right=False, labels=["<60", "60-69", ">=70"])
    metadata = pd.DataFrame(
        {
            "site": frame["site"].to_numpy(),
            "sex": np.where(frame["sex"].to_numpy() == 1, "male", "female"),
            "age": frame["age"].to_numpy(dtype=np.float64),
            "age_band": age_band.astype(str).to_numpy(),
        }
    )
    return assemble(
        NAME,
        modalities=modalities,
        targets={"death_1y": frame["death_1y"].to_numpy()},
        tasks={"death_1y": TaskSpec("death_1y", "binary", ("survived 1 year", "died within 1 year"))},
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata_frame=metadata,
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/ncctg_lung.json`` records.

    Patients of in-domain institutions are split 60/40 by class; every patient
    of the other institutions goes to the test split.
    """
    from robustmed.data.datasets.base import make_split

    frame = _read_frame()
    sites = in_domain_sites(frame)
    inside = frame["site"].isin(sites).to_numpy()
    split = make_split(
        frame.loc[inside, "sample_id"].tolist(), frame.loc[inside, "death_1y"].to_numpy(),
        test_fraction=TEST_FRACTION, seed=SPLIT_SEED,
    )
    test = sorted(split["test"] + frame.loc[~inside, "sample_id"].tolist())
    return {
        "seed": SPLIT_SEED,
        "test_fraction": TEST_FRACTION,
        "stratified_by": "death_1y",
        "in_domain_sites": sites,
        "train": split["train"],
        "test": test,
    }
