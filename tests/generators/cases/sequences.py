"""Text, DNA and protein cases on real reports, genes and peptides."""

from functools import cache

import torch
from rapidfuzz.distance import Levenshtein

from tests.generators.cases import GeneratorCase, GeneratorInput

N_SEQUENCES = 8


def edit_distance(clean, perturbed, present_before, present_after) -> float:
    """Mean normalised edit distance plus the fraction of samples made absent."""
    distance = sum(Levenshtein.normalized_distance(a, b) for a, b in zip(clean, perturbed, strict=True))
    return distance / len(clean) + (present_before & ~present_after).double().mean().item()


@cache
def string_input(kind: str, with_digits: bool = False) -> GeneratorInput:
    from robustmed.data.samples import real_samples

    name, values, spec, _ = real_samples(kind)[0]
    chosen = [v for v in values if any(c.isdigit() for c in v)] if with_digits else list(values)
    chosen = chosen[:N_SEQUENCES]
    ids = [f"{name}-{i}" for i in range(len(chosen))]
    return GeneratorInput(chosen, torch.ones(len(chosen), dtype=torch.bool), spec, ids)


TEXT_GENERATORS = (
    "text_typos", "text_ocr", "text_abbreviation", "text_negation", "text_section_deletion",
    "text_sentence_drop", "text_truncation", "text_copy_forward", "missing_segment",
)
DNA_GENERATORS = (
    "dna_substitution", "dna_indel", "dna_n_runs", "dna_truncation", "dna_reverse_complement",
    "dna_illumina_errors", "dna_nanopore_errors", "missing_segment",
)
PROTEIN_GENERATORS = (
    "protein_substitution", "protein_blosum_substitution", "protein_unknown", "protein_indel",
    "protein_truncation", "missing_segment",
)

CASES = [
    *[GeneratorCase(g, lambda: string_input("text"), id=f"{g}-report", distortion=edit_distance) for g in TEXT_GENERATORS],
    GeneratorCase("text_numbers", lambda: string_input("text", True), id="text_numbers-report", distortion=edit_distance),
    *[GeneratorCase(g, lambda: string_input("dna"), id=f"{g}-gene", distortion=edit_distance) for g in DNA_GENERATORS],
    *[
        GeneratorCase(g, lambda: string_input("protein"), id=f"{g}-peptide", distortion=edit_distance)
        for g in PROTEIN_GENERATORS
    ],
]
