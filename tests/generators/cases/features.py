"""EHR and omics cases on the Mayo PBC laboratory table and tissue expression profiles."""

from functools import cache

import torch

from tests.generators.cases import GeneratorCase, GeneratorInput

N_ROWS = 24


@cache
def feature_input(kind: str) -> GeneratorInput:
    from robustmed.data.samples import real_samples

    name, values, spec, _ = real_samples(kind)[0]
    values = values[:N_ROWS].contiguous()
    ids = [f"{name}-{i}" for i in range(len(values))]
    return GeneratorInput(values, torch.ones(len(values), dtype=torch.bool), spec, ids)


EHR_GENERATORS = (
    "mar_missing", "mnar_missing", "unit_change", "category_miscoding", "stale_values", "outliers",
    "missing_segment",
)
OMICS_GENERATORS = (
    "omics_dropout", "omics_library_size", "omics_batch_effect", "omics_poisson", "mar_missing",
    "mnar_missing", "missing_segment",
)

CASES = [
    *[GeneratorCase(g, lambda: feature_input("tabular"), id=f"{g}-pbc") for g in EHR_GENERATORS],
    *[GeneratorCase(g, lambda: feature_input("omics"), id=f"{g}-expression") for g in OMICS_GENERATORS],
]
