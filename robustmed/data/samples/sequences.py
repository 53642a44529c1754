"""Real text, DNA and protein samples read from installed packages.

- Text: chest X-ray reports of the Indiana University collection (Open-i), shipped
  as ``NLMCXR_reports.tgz`` inside the torchxrayvision wheel. The file is located
  through the distribution's metadata, so torchxrayvision is never imported (its
  import needs torchvision).
- DNA: protein-coding genes of *Klebsiella pneumoniae* CP040672.1 from pyhmmer's
  test data.
- Protein: antimicrobial and transmembrane peptides from ``modlamp.datasets``.
"""

from __future__ import annotations

import importlib.metadata
import tarfile
import xml.etree.ElementTree as ElementTree
from functools import cache
from pathlib import Path

from robustmed.data.samples import Sample, missing_package
from robustmed.data.spec import ModalityKind, ModalitySpec

N_REPORTS = 24
N_GENES = 16
N_PEPTIDES = 24
REPORT_SECTIONS = ("INDICATION", "COMPARISON", "FINDINGS", "IMPRESSION")


def _text_spec(name: str, kind: ModalityKind, unit: str) -> ModalitySpec:
    return ModalitySpec(name=name, kind=kind, shape=(), dtype=None, unit=unit)


def _report_text(xml_bytes: bytes) -> str | None:
    """Join the labelled sections of one Open-i report; None if findings or impression is empty."""
    root = ElementTree.fromstring(xml_bytes)
    sections = {node.get("Label"): (node.text or "").strip() for node in root.iter("AbstractText")}
    if not sections.get("FINDINGS") or not sections.get("IMPRESSION"):
        return None
    return "\n".join(f"{label}: {sections[label]}" for label in REPORT_SECTIONS if sections.get(label))


@cache
def chest_xray_reports() -> tuple[str, ...]:
    """Return the first ``N_REPORTS`` complete reports, in report-number order."""
    try:
        files = importlib.metadata.files("torchxrayvision") or []
    except importlib.metadata.PackageNotFoundError as error:
        raise missing_package("torchxrayvision", "chest X-ray report") from error
    archive = next((f for f in files if f.name == "NLMCXR_reports.tgz"), None)
    if archive is None:
        raise missing_package("torchxrayvision", "chest X-ray report")
    reports = []
    with tarfile.open(Path(archive.locate())) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".xml")]
        members.sort(key=lambda m: int(Path(m.name).stem))
        for member in members:
            text = _report_text(tar.extractfile(member).read())
            if text is not None:
                reports.append(text)
            if len(reports) == N_REPORTS:
                break
    return tuple(reports)


def text_samples() -> list[Sample]:
    """Return chest X-ray reports (Indiana University collection, CC BY-NC-ND 4.0)."""
    reports = list(chest_xray_reports())
    caption = (
        f"{len(reports)} chest X-ray reports of the Indiana University collection (Open-i), "
        "read from the torchxrayvision wheel; XXXX marks de-identified words."
    )
    return [("chest_xray_reports", reports, _text_spec("chest_xray_reports", ModalityKind.TEXT, "report"), caption)]


def _pyhmmer_data(relative: str) -> Path:
    try:
        import pyhmmer
    except ImportError as error:
        raise missing_package("pyhmmer", "DNA") from error
    return Path(pyhmmer.__file__).parent / "tests" / "data" / relative


def dna_samples() -> list[Sample]:
    """Return coding sequences of Klebsiella pneumoniae CP040672.1 (pyhmmer test data)."""
    try:
        from Bio import SeqIO
    except ImportError as error:
        raise missing_package("biopython", "DNA") from error
    path = _pyhmmer_data("seqs/CP040672.1.genes_100.fna")
    genes = [str(record.seq).upper() for record in SeqIO.parse(path, "fasta")][:N_GENES]
    caption = f"{len(genes)} coding sequences of Klebsiella pneumoniae CP040672.1 (pyhmmer test data)."
    return [("kpneumoniae_genes", genes, _text_spec("kpneumoniae_genes", ModalityKind.DNA, "nucleotides"), caption)]


def protein_samples() -> list[Sample]:
    """Return antimicrobial and transmembrane peptides (modlamp AMP vs TM data set)."""
    try:
        from modlamp.datasets import load_AMPvsTM
    except ImportError as error:
        raise missing_package("modlamp", "peptide") from error
    data = load_AMPvsTM()
    # Alternate the two classes so that both appear in the first samples.
    by_class = [[s for s, t in zip(data.sequences, data.target, strict=True) if t == label] for label in (0, 1)]
    peptides = [str(s) for pair in zip(*by_class, strict=False) for s in pair][:N_PEPTIDES]
    caption = f"{len(peptides)} antimicrobial and transmembrane peptides (modlamp.datasets.load_AMPvsTM)."
    return [("amp_tm_peptides", peptides, _text_spec("amp_tm_peptides", ModalityKind.PROTEIN, "amino acids"), caption)]
