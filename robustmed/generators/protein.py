"""Protein sequence generators: uniform and BLOSUM62-weighted substitutions,
unknown residues (X), indels and truncation.

Values are lists of strings of one-letter amino-acid codes (upper case).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from robustmed.data.spec import ModalityKind
from robustmed.generators._strings import (
    StringGenerator,
    insert_delete,
    substitute,
    truncation_length,
)

PROTEIN = frozenset({ModalityKind.PROTEIN})
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"


@cache
def blosum62_replacements() -> dict[str, np.ndarray]:
    """Replacement probabilities P(b | a) for each standard residue a, from BLOSUM62.

    BLOSUM scores are in half bits, S(a, b) = 2 log2(q_ab / (p_a p_b)), so with equal
    background frequencies P(b | a) is proportional to 2**(S(a, b) / 2); b = a is excluded.
    The matrix comes from Biopython's ``Bio.Align.substitution_matrices``.
    """
    from Bio.Align import substitution_matrices

    matrix = substitution_matrices.load("BLOSUM62")
    replacements = {}
    for a in AMINO_ACIDS:
        weights = np.array([0.0 if b == a else 2.0 ** (matrix[a][b] / 2.0) for b in AMINO_ACIDS])
        replacements[a] = weights / weights.sum()
    return replacements


class UniformSubstitution(StringGenerator):
    """Residue substitutions: each residue becomes one of the other 19 with probability ``rate``."""

    name = "protein_substitution"
    kinds = PROTEIN
    description = "uniform residue substitutions at a per-residue rate"

    def corrupt(self, text, severity, rng):
        return substitute(text, severity, AMINO_ACIDS, rng)


class BlosumSubstitution(StringGenerator):
    """BLOSUM62-weighted substitutions: likely (conservative) replacements are chosen more often."""

    name = "protein_blosum_substitution"
    kinds = PROTEIN
    description = "BLOSUM62-weighted residue substitutions"

    def corrupt(self, text, severity, rng):
        return substitute(text, severity, AMINO_ACIDS, rng, weights=blosum62_replacements())


class UnknownResidues(StringGenerator):
    """Unknown residues: each residue is replaced by X with probability ``rate``."""

    name = "protein_unknown"
    kinds = PROTEIN
    description = "residues replaced by X (unknown)"

    def corrupt(self, text, severity, rng):
        hit = rng.random(len(text)) < severity
        return "".join("X" if h else c for c, h in zip(text, hit, strict=True))


class ResidueIndels(StringGenerator):
    """Single-residue insertions and deletions, each position hit with probability ``rate``."""

    name = "protein_indel"
    kinds = PROTEIN
    description = "single-residue insertions and deletions"

    def corrupt(self, text, severity, rng):
        return insert_delete(text, severity, AMINO_ACIDS, rng)


class ProteinTruncation(StringGenerator):
    """C-terminal truncation: the given fraction (±50% per sample) of residues is lost."""

    name = "protein_truncation"
    kinds = PROTEIN
    description = "C-terminal truncation of a fraction of the sequence"

    def corrupt(self, text, severity, rng):
        return text[: truncation_length(len(text), severity, rng)]


GENERATORS = (UniformSubstitution, BlosumSubstitution, UnknownResidues, ResidueIndels, ProteinTruncation)
