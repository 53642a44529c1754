"""AIDS Clinical Trials Group study 320 (Hammer et al. 1997), from the scikit-survival package.

1,151 HIV-infected patients of a randomised trial of adding indinavir to
zidovudine and lamivudine. The survival endpoint (scikit-survival's ``aids``
endpoint, an AIDS-defining event) becomes the binary task "event within 180
days of enrolment". The label is 1 when the event happened on or before day
180 and 0 when the patient was followed for at least 180 days without an
event by then. The 223
patients censored before day 180 have an unknown status and are left out, so
the task covers 928 patients (77 events). Race/ethnicity is subgroup metadata
and not a model input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from robustmed.data.datasets.assemble import ModalityData, assemble
from robustmed.data.datasets.base import Dataset, TaskSpec, frame_to_tensor
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "actg320_aids"
HORIZON_DAYS = 180
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4
AGE_EDGES = (0, 30, 40, 50, 120)

MODALITY_COLUMNS = {
    "immunology": ("cd4", "priorzdv"),
    "clinical": ("karnof", "ivdrug", "hemophil", "tx", "strat2"),
    "demographics": ("age", "sex"),
}
UNITS = {
    "immunology": "CD4 count (cells/mm³) and months of prior zidovudine",
    "clinical": "Karnofsky score, IV drug use code, haemophilia, treatment arm and CD4 stratum (codes)",
    "demographics": "age in years and the sex code (1 or 2)",
}

CARD = """\
**actg320_aids**: AIDS Clinical Trials Group study 320 (Hammer et al., N Engl J Med 1997),
read offline from `scikit-survival` (`sksurv.datasets.load_aids`). Binary task `event_180d`
derived from the `aids` endpoint: event on or before day 180 (77) vs followed at least 180
days event-free (851); 223 patients censored before day 180 are left out. Modalities:
`immunology` (CD4, months of prior zidovudine), `clinical` (Karnofsky score, IV drug use,
haemophilia, treatment arm, CD4 stratum), `demographics` (age, sex code). Metadata:
`sex` and `race_ethnicity` as the trial's numeric codes, `age` (years), `age_band`.
Split: 60/40 class-stratified, seed 20261204, recorded in
`robustmed/data/splits/actg320_aids.json`.
"""


def _read_frame() -> pd.DataFrame:
    try:
        from sksurv.datasets import load_aids
    except ImportError as error:
        raise DataError(
            "Dataset 'actg320_aids' needs the 'scikit-survival' package; install it with "
            "pip install 'robustmed[data]'."
        ) from error
    features, outcome = load_aids(endpoint="aids")
    frame = features.reset_index(drop=True).copy()
    for column in frame.columns:
        frame[column] = pd.to_numeric(frame[column].astype(str), errors="coerce")
    frame["event"] = outcome["censor"].astype(bool)
    frame["time"] = outcome["time"].astype(np.float64)
    frame["sample_id"] = [f"actg-{i + 1:04d}" for i in range(len(frame))]
    event_within = frame["event"] & (frame["time"] <= HORIZON_DAYS)
    followed = frame["time"] >= HORIZON_DAYS
    frame = frame[event_within | followed].reset_index(drop=True)
    frame["event_180d"] = (frame["event"] & (frame["time"] <= HORIZON_DAYS)).astype(np.int64)
    return frame


def load() -> Dataset:
    """Load actg320_aids with its recorded split."""
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

    labels = [f"[{low}, {high})" for low, high in zip(AGE_EDGES[:-1], AGE_EDGES[1:], strict=True)]
    age_band = pd.cut(frame["age"], bins=list(AGE_EDGES), right=False, labels=labels)
    # scikit-survival ships the trial's codes without value labels, so they stay codes here.
    metadata = pd.DataFrame(
        {
            "sex": [f"sex {int(v)}" for v in frame["sex"]],
            "race_ethnicity": [f"raceth {int(v)}" for v in frame["raceth"]],
            "age": frame["age"].to_numpy(dtype=np.float64),
            "age_band": age_band.astype(str).to_numpy(),
        }
    )
    return assemble(
        NAME,
        modalities=modalities,
        targets={"event_180d": frame["event_180d"].to_numpy()},
        tasks={"event_180d": TaskSpec("event_180d", "binary", ("event-free at 180 days", "event within 180 days"))},
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata_frame=metadata,
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/actg320_aids.json`` records."""
    from robustmed.data.datasets.base import make_split

    frame = _read_frame()
    split = make_split(
        frame["sample_id"].tolist(), frame["event_180d"].to_numpy(), test_fraction=TEST_FRACTION, seed=SPLIT_SEED
    )
    return {"seed": SPLIT_SEED, "test_fraction": TEST_FRACTION, "stratified_by": "event_180d", **split}
