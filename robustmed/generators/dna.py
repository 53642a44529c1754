"""Nucleotide sequence generators: substitutions, indels, N runs, truncation,
reverse complement and sequencing-platform error profiles.

Values are lists of strings over the IUPAC nucleotide alphabet (upper case).
"""

from __future__ import annotations

import numpy as np

from robustmed.data.spec import ModalityKind
from robustmed.generators._strings import (
    StringGenerator,
    insert_delete,
    mask_runs,
    substitute,
    truncation_length,
)

DNA = frozenset({ModalityKind.DNA})
BASES = "ACGT"
_COMPLEMENT = str.maketrans("ACGTURYKMBDHVNSWacgturykmbdhvnsw", "TGCAAYRMKVHDBNSWtgcaayrmkvhdbnsw")


def reverse_complement(sequence: str) -> str:
    """Reverse complement under IUPAC codes (ambiguity codes map to their complements)."""
    return sequence.translate(_COMPLEMENT)[::-1]


class PointSubstitution(StringGenerator):
    """Point substitutions: each base becomes one of the other three with probability ``rate``."""

    name = "dna_substitution"
    kinds = DNA
    description = "point substitutions at a per-base rate"

    def corrupt(self, text, severity, rng):
        return substitute(text, severity, BASES, rng)


class Indels(StringGenerator):
    """Insertions and deletions of single bases, each position hit with probability ``rate``."""

    name = "dna_indel"
    kinds = DNA
    description = "single-base insertions and deletions at a per-base rate"

    def corrupt(self, text, severity, rng):
        return insert_delete(text, severity, BASES, rng)


class AmbiguousRuns(StringGenerator):
    """Runs of N (uncalled bases, gaps in an assembly) covering the given fraction of the
    sequence, in runs of 5-30 bases (length drawn per sample)."""

    name = "dna_n_runs"
    kinds = DNA
    description = "runs of ambiguous bases (N)"

    def corrupt(self, text, severity, rng):
        return mask_runs(text, severity, "N", rng)


class SequenceTruncation(StringGenerator):
    """Truncation at the 3' end: the given fraction (±50% per sample) of bases is lost."""

    name = "dna_truncation"
    kinds = DNA
    description = "3' truncation of a fraction of the sequence"

    def corrupt(self, text, severity, rng):
        return text[: truncation_length(len(text), severity, rng)]


class ReverseComplement(StringGenerator):
    """Wrong strand: the sequence is reverse-complemented with probability ``p``."""

    name = "dna_reverse_complement"
    kinds = DNA
    description = "sequence reverse-complemented (wrong strand)"

    def corrupt(self, text, severity, rng):
        return reverse_complement(text) if rng.random() < severity else text


class IlluminaErrors(StringGenerator):
    """Illumina-like errors: substitutions whose rate grows linearly along the read,
    from 0 at the 5' end to twice the mean ``rate`` at the 3' end, with rare indels
    (one in twenty errors)."""

    name = "dna_illumina_errors"
    kinds = DNA
    description = "Illumina-like substitutions rising toward the 3' end"

    def corrupt(self, text, severity, rng):
        n = len(text)
        profile = 2.0 * severity * (np.arange(n) + 0.5) / max(n, 1)
        substituted = substitute_profile(text, 0.95 * profile, rng)
        return insert_delete(substituted, 0.0, BASES, rng, rates=0.05 * profile[: len(substituted)])


def substitute_profile(text: str, rates: np.ndarray, rng: np.random.Generator) -> str:
    """Substitute each base with its own probability ``rates[i]``."""
    u = rng.random(len(text))
    pick = rng.integers(1, 4, size=len(text))
    out = list(text)
    for i in np.flatnonzero(u < rates):
        if text[i] in BASES:
            out[i] = BASES[(BASES.index(text[i]) + pick[i]) % 4]
    return "".join(out)


def homopolymer_mask(text: str, min_length: int = 3) -> np.ndarray:
    """True for positions inside runs of at least ``min_length`` identical bases."""
    mask = np.zeros(len(text), dtype=bool)
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or text[i] != text[start]:
            if i - start >= min_length:
                mask[start:i] = True
            start = i
    return mask


class NanoporeErrors(StringGenerator):
    """Nanopore-like errors: mostly insertions and deletions (70%), three times as frequent
    inside homopolymers (runs of three or more identical bases), mean rate ``rate``."""

    name = "dna_nanopore_errors"
    kinds = DNA
    description = "nanopore-like indels concentrated in homopolymers"

    def corrupt(self, text, severity, rng):
        weights = np.where(homopolymer_mask(text), 3.0, 1.0)
        profile = severity * weights / max(weights.mean(), 1e-12) if len(text) else weights
        substituted = substitute_profile(text, 0.3 * profile, rng)
        return insert_delete(substituted, 0.0, BASES, rng, rates=0.7 * profile)


GENERATORS = (
    PointSubstitution,
    Indels,
    AmbiguousRuns,
    SequenceTruncation,
    ReverseComplement,
    IlluminaErrors,
    NanoporeErrors,
)
