"""Breast cancer gene expression and clinical data (Desmedt et al. 2007), via scikit-survival.

198 node-negative patients of the TRANSBIG validation cohort: 76 gene
expression values (Affymetrix probe sets of the 76-gene signature) and
clinical variables of the same patients. Two tasks: distant metastasis during
follow-up and oestrogen-receptor status.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task, draw_split as _draw_split
from robustmed.data.datasets.base import Dataset
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "breast_cancer"
GRADE_CODES = {"well differentiated": 1.0, "intermediate": 2.0, "poorly differentiated": 3.0}
CLINICAL_COLUMNS = ("age", "size", "grade")
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**breast_cancer**: gene expression and clinical data of 198 lymph-node-negative breast cancer
patients (Desmedt et al., Clin Cancer Res 2007; TRANSBIG cohort, GEO GSE7390), shipped with
`scikit-survival` (`sksurv.datasets.load_breast_cancer`, GPL-3) and read at run time.
Modalities of the same patients: `expression` (omics, 76 log2 expression values of the
76-gene signature probe sets) and `clinical` (tabular: age in years, tumour size in cm,
histological grade coded 1-3; the two patients with unknown grade are NaN).
Tasks: `distant_metastasis` (the event indicator `e.tdm`: metastasis observed during
follow-up, 51 of 198; censoring is ignored, so a patient censored early counts as
metastasis-free) and `er_positive` (oestrogen-receptor status, 134 of 198; ER is not an input).
Subgroups: `age_band` (tertiles) and `grade`. Split: 60/40 stratified by `e.tdm`, seed
20261204, recorded in `robustmed/data/splits/breast_cancer.json`.
"""


def _read() -> tuple[pd.DataFrame, np.ndarray]:
    try:
        from sksurv.datasets import load_breast_cancer
    except ImportError as error:
        raise DataError(
            f"Dataset {NAME!r} needs the 'scikit-survival' package; install it with pip install 'robustmed[data]'."
        ) from error
    features, outcome = load_breast_cancer()
    return features, np.asarray(outcome["e.tdm"], dtype=bool)


def _sample_ids(n: int) -> list[str]:
    return [f"brca-{i:04d}" for i in range(n)]


def load() -> Dataset:
    """Load breast_cancer with its recorded split."""
    features, metastasis = _read()
    sample_ids = _sample_ids(len(features))
    gene_columns = [c for c in features.columns if c.startswith("X")]
    clinical = pd.DataFrame(
        {
            "age": features["age"].astype(float),
            "size": features["size"].astype(float),
            "grade": features["grade"].astype(str).map(GRADE_CODES),
        }
    )
    modalities = {
        "expression": ModalityData(
            torch.tensor(features[gene_columns].to_numpy(np.float32)), ModalityKind.OMICS,
            unit="log2 expression", feature_names=tuple(gene_columns),
        ),
        "clinical": ModalityData(
            torch.tensor(clinical.to_numpy(np.float32)), ModalityKind.TABULAR,
            unit="years, cm, grade 1-3", feature_names=CLINICAL_COLUMNS,
        ),
    }
    age_band = pd.qcut(features["age"].rank(method="first"), 3, labels=["younger", "middle", "older"])
    metadata = pd.DataFrame(
        {"age_band": age_band.astype(str).to_numpy(), "grade": features["grade"].astype(str).to_numpy()}
    )
    return assemble(
        NAME,
        modalities=modalities,
        targets={
            "distant_metastasis": metastasis,
            "er_positive": (features["er"].astype(str) == "positive").to_numpy(),
        },
        tasks={
            "distant_metastasis": binary_task("distant_metastasis", "no metastasis observed", "metastasis"),
            "er_positive": binary_task("er_positive", "ER negative", "ER positive"),
        },
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata_frame=metadata,
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/breast_cancer.json`` records."""
    features, metastasis = _read()
    return _draw_split(
        _sample_ids(len(features)), metastasis, seed=SPLIT_SEED, test_fraction=TEST_FRACTION, stratified_by="e.tdm"
    )
