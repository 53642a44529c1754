"""Tabular cases on the real ad_data biomarkers."""

from functools import cache

from tests.generators.cases import GeneratorCase, GeneratorInput


@cache
def _ad_input(modality: str) -> GeneratorInput:
    from robustmed.data import load_dataset

    dataset = load_dataset("ad_data")
    batch = dataset.split("test")
    return GeneratorInput(batch.modalities[modality], batch.present[modality], dataset.specs[modality], batch.sample_ids)


CASES = [
    GeneratorCase(name, lambda m=modality: _ad_input(m), id=f"{name}-{modality}")
    for name in ("gaussian_noise", "multiplicative_noise", "mcar_missing", "modality_absence")
    for modality in ("proteins", "genotype")
]
