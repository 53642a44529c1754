"""Behaviour specific to the DNA and protein generators, on real genes and peptides."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators import build_generator, sample_keys
from robustmed.generators.dna import homopolymer_mask, reverse_complement
from robustmed.generators.protein import AMINO_ACIDS, blosum62_replacements
from tests.generators.cases.sequences import string_input

DNA_SPEC = ModalitySpec("genes", ModalityKind.DNA, (), dtype=None)
PROTEIN_SPEC = ModalitySpec("peptides", ModalityKind.PROTEIN, (), dtype=None)


def _apply(name, sequences, level, spec, seed=0, value=None):
    generator = build_generator(name)
    if value is not None:
        generator.ladder = replace(generator.ladder, values=(value,) * 5)
        level = 5.0
    keys = sample_keys(seed, name, [f"s{i}" for i in range(len(sequences))])
    return generator(sequences, torch.ones(len(sequences), dtype=torch.bool), level, keys, spec)


@pytest.fixture(scope="module")
def genes():
    return string_input("dna").values


@pytest.fixture(scope="module")
def peptides():
    return string_input("protein").values


def test_substitution_rate_and_alphabet(genes):
    result = _apply("dna_substitution", genes, 0, DNA_SPEC, value=0.1).values
    changed = sum(a != b for g, r in zip(genes, result, strict=True) for a, b in zip(g, r, strict=True))
    total = sum(len(g) for g in genes)
    assert changed / total == pytest.approx(0.1, rel=0.1)
    assert all(set(r) <= set("ACGT") for r in result)
    assert [len(r) for r in result] == [len(g) for g in genes]


def test_substitutions_are_nested_across_levels(genes):
    low = _apply("dna_substitution", genes, 1.0, DNA_SPEC).values
    high = _apply("dna_substitution", genes, 4.0, DNA_SPEC).values
    for clean, a, b in zip(genes, low, high, strict=True):
        low_sites = {i for i, (x, y) in enumerate(zip(clean, a, strict=True)) if x != y}
        high_sites = {i for i, (x, y) in enumerate(zip(clean, b, strict=True)) if x != y}
        assert low_sites <= high_sites


def test_reverse_complement_is_an_involution(genes):
    assert reverse_complement("ACGTN") == "NACGT"
    assert reverse_complement("AARY") == "RYTT"
    for gene in genes:
        assert reverse_complement(reverse_complement(gene)) == gene
    result = _apply("dna_reverse_complement", genes, 0, DNA_SPEC, value=1.0).values
    assert result == [reverse_complement(g) for g in genes]


def test_n_runs_cover_fraction_in_runs(genes):
    result = _apply("dna_n_runs", genes, 0, DNA_SPEC, value=0.3).values
    masked = sum(r.count("N") for r in result)
    assert masked / sum(len(g) for g in genes) == pytest.approx(0.3, abs=0.08)
    for clean, perturbed in zip(genes, result, strict=True):
        runs = [len(run) for run in perturbed.replace("A", " ").replace("C", " ").replace("G", " ").replace("T", " ").split()]
        if runs:
            assert np.mean(runs) >= 4
        assert all(p == "N" or p == c for p, c in zip(perturbed, clean, strict=True))


def test_illumina_errors_rise_toward_3_prime(genes):
    long_genes = [g for g in genes if len(g) > 900]
    result = _apply("dna_illumina_errors", long_genes, 0, DNA_SPEC, value=0.1).values
    first = sum(a != b for g, r in zip(long_genes, result, strict=True) for a, b in zip(g[:300], r[:300], strict=True))
    # Indels shift the 3' end, so compare substitution-only positions before the first indel.
    assert first < 0.1 * 300 * len(long_genes)


def test_nanopore_errors_prefer_homopolymers():
    text = "ACGTACGTAAAAACGTCCCCCGTA" * 40
    mask = homopolymer_mask(text)
    assert mask.sum() == 10 * 40
    result = _apply("dna_nanopore_errors", [text], 0, DNA_SPEC, value=0.1).values[0]
    assert result != text


def test_blosum_rows_are_probabilities():
    replacements = blosum62_replacements()
    assert set(replacements) == set(AMINO_ACIDS)
    for residue, probabilities in replacements.items():
        assert probabilities.sum() == pytest.approx(1.0)
        assert probabilities[AMINO_ACIDS.index(residue)] == 0.0
    isoleucine = replacements["I"]
    best = AMINO_ACIDS[int(np.argmax(isoleucine))]
    assert best == "V"
    assert isoleucine[AMINO_ACIDS.index("V")] > 10 * isoleucine[AMINO_ACIDS.index("G")]


def test_blosum_substitutions_are_conservative(peptides):
    from Bio.Align import substitution_matrices

    matrix = substitution_matrices.load("BLOSUM62")
    uniform = _apply("protein_substitution", peptides, 0, PROTEIN_SPEC, value=0.5).values
    weighted = _apply("protein_blosum_substitution", peptides, 0, PROTEIN_SPEC, value=0.5).values

    def mean_score(result):
        scores = [matrix[a][b] for p, r in zip(peptides, result, strict=True) for a, b in zip(p, r, strict=True) if a != b]
        return np.mean(scores)

    assert mean_score(weighted) > mean_score(uniform) + 0.5


def test_unknown_residues_are_x(peptides):
    result = _apply("protein_unknown", peptides, 0, PROTEIN_SPEC, value=0.5).values
    for clean, perturbed in zip(peptides, result, strict=True):
        assert all(p in ("X", c) for p, c in zip(perturbed, clean, strict=True))
    fraction = sum(r.count("X") for r in result) / sum(len(p) for p in peptides)
    assert fraction == pytest.approx(0.5, abs=0.1)


def test_truncation_keeps_n_terminus(peptides):
    result = _apply("protein_truncation", peptides, 4.0, PROTEIN_SPEC).values
    assert all(p.startswith(r) for p, r in zip(peptides, result, strict=True))


def test_missing_segment_masks_one_span(genes, peptides):
    for values, spec, mask in ((genes, DNA_SPEC, "N"), (peptides, PROTEIN_SPEC, "X")):
        result = _apply("missing_segment", values, 3.0, spec).values
        for clean, perturbed in zip(values, result, strict=True):
            assert len(perturbed) == len(clean)
            changed = [i for i, (a, b) in enumerate(zip(clean, perturbed, strict=True)) if a != b]
            assert all(perturbed[i] == mask for i in changed)
            if changed:
                assert changed == list(range(changed[0], changed[-1] + 1))


SEQUENCE_NAMES = {
    "dna": ["dna_substitution", "dna_indel", "dna_n_runs", "dna_truncation", "dna_reverse_complement",
            "dna_illumina_errors", "dna_nanopore_errors", "missing_segment"],
    "protein": ["protein_substitution", "protein_blosum_substitution", "protein_unknown", "protein_indel",
                "protein_truncation", "missing_segment"],
}


@settings(max_examples=40, deadline=None)
@given(data=st.data(), level=st.floats(0.0, 5.0))
def test_any_sequence_gives_strings(data, level):
    kind = data.draw(st.sampled_from(["dna", "protein"]))
    alphabet = "ACGTN" if kind == "dna" else AMINO_ACIDS + "X"
    name = data.draw(st.sampled_from(SEQUENCE_NAMES[kind]))
    sequences = data.draw(st.lists(st.text(alphabet=alphabet, max_size=120), min_size=1, max_size=4))
    spec = DNA_SPEC if kind == "dna" else PROTEIN_SPEC
    result = _apply(name, sequences, level, spec)
    assert len(result.values) == len(sequences)
    assert all(set(r) <= set(alphabet) | set("ACGTN" if kind == "dna" else "X") for r in result.values)
