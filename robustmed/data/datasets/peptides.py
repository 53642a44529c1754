"""Peptide activity datasets shipped with modlAMP (Müller et al., Bioinformatics 2017).

Four binary tasks, each a balanced set of amino-acid sequences read at run time
from the installed ``modlamp`` package (BSD-3-Clause), never copied into robustmed:

========================  =====================================  =========
dataset                   task: positive vs negative             sequences
========================  =====================================  =========
``peptides_amp_tm``       antimicrobial vs transmembrane          412
``peptides_amp_uniprot``  antimicrobial vs UniProt background     4620
``peptides_acp_tm``       anticancer vs transmembrane             826
``peptides_acp_random``   anticancer vs scrambled random          826
========================  =====================================  =========

Each dataset has two modalities: ``sequence`` (kind ``protein``, a list of
one-letter strings) and ``descriptors``, twelve global physico-chemical
descriptors that modlAMP computes from the clean sequence (a derived modality:
perturbing ``sequence`` does not change it).

The four datasets share sequences: the same anticancer peptides appear in both
anticancer sets, and most antimicrobial peptides of the small set recur in the
large one. One seeded split over the union of sequences assigns every sequence to
train or test in all datasets at once, so a probe fitted on one dataset's train
split never sees a test sequence of another. Sample ids are derived from the
sequence, so a sequence has the same id in every dataset.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from robustmed.data.batch import Batch
from robustmed.data.datasets.base import (
    Dataset,
    TaskSpec,
    frame_to_tensor,
    load_recorded_split,
    train_statistics,
)
from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.errors import DataError

SPLIT_SEED = 20261204
TEST_FRACTION = 0.3
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
DESCRIPTOR_NAMES = (
    "length",
    "molecular_weight",
    "charge",
    "charge_density",
    "isoelectric_point",
    "instability_index",
    "aromaticity",
    "aliphatic_index",
    "boman_index",
    "hydrophobic_ratio",
    "eisenberg_hydrophobicity",
    "eisenberg_hydrophobic_moment",
)


@dataclass(frozen=True)
class PeptideSource:
    """One modlAMP loader, the task it defines and its class names in label order."""

    dataset: str
    loader: str
    task: str
    classes: tuple[str, str]
    description: str


SOURCES = {
    source.dataset: source
    for source in (
        PeptideSource(
            "peptides_amp_tm", "load_AMPvsTM", "amp_vs_tm", ("transmembrane", "antimicrobial"),
            "antimicrobial peptides vs transmembrane helices",
        ),
        PeptideSource(
            "peptides_amp_uniprot", "load_AMPvsUniProt", "amp_vs_uniprot", ("uniprot", "antimicrobial"),
            "antimicrobial peptides vs random UniProt sequences",
        ),
        PeptideSource(
            "peptides_acp_tm", "load_ACPvsTM", "acp_vs_tm", ("transmembrane", "anticancer"),
            "anticancer peptides (CancerPPD) vs transmembrane helices",
        ),
        PeptideSource(
            "peptides_acp_random", "load_ACPvsRandom", "acp_vs_random", ("random", "anticancer"),
            "anticancer peptides (CancerPPD) vs scrambled random sequences",
        ),
    )
}


def sequence_id(sequence: str) -> str:
    """Stable sample id of a sequence: the same sequence has the same id in every dataset."""
    return "pep-" + hashlib.sha256(sequence.encode("ascii")).hexdigest()[:12]


def read_source(name: str) -> pd.DataFrame:
    """Read one modlAMP dataset as a frame of unique sequences and labels.

    Sequences listed more than once with the same label are kept once. Sequences
    listed with both labels (22 in the UniProt set of modlAMP 4.3.3) are dropped,
    because neither label can be trusted.
    """
    try:
        from modlamp import datasets
    except ImportError as error:
        raise DataError(
            f"Dataset {name!r} needs the 'modlamp' package; install it with pip install 'robustmed[data]'."
        ) from error
    source = SOURCES[name]
    bunch = getattr(datasets, source.loader)()
    frame = pd.DataFrame({"sequence": np.asarray(bunch.sequences, dtype=str), "label": np.asarray(bunch.target)})
    frame["sequence"] = frame["sequence"].str.upper().str.strip()
    labels_per_sequence = frame.groupby("sequence")["label"].nunique()
    conflicting = labels_per_sequence.index[labels_per_sequence > 1]
    frame = frame[~frame["sequence"].isin(conflicting)].drop_duplicates("sequence").reset_index(drop=True)
    unknown = sorted(set("".join(frame["sequence"])) - set(AMINO_ACIDS))
    if unknown:
        raise DataError(f"Dataset {name!r}: sequences contain letters {unknown} outside the 20 amino acids.")
    return frame


def compute_descriptors(sequences: list[str]) -> pd.DataFrame:
    """Twelve global physico-chemical descriptors from modlAMP, one row per sequence.

    ``GlobalDescriptor.calculate_all`` gives length, molecular weight, net charge
    at pH 7, charge density, isoelectric point, instability index, aromaticity,
    aliphatic index, Boman index and hydrophobic ratio (free C-terminus); the
    Eisenberg consensus scale gives the mean hydrophobicity and the hydrophobic
    moment of an ideal alpha helix (100 degrees per residue).
    """
    from modlamp.descriptors import GlobalDescriptor, PeptideDescriptor

    global_descriptor = GlobalDescriptor(list(sequences))
    global_descriptor.calculate_all(amide=False)
    hydrophobicity = PeptideDescriptor(list(sequences), "eisenberg")
    hydrophobicity.calculate_global()
    moment = PeptideDescriptor(list(sequences), "eisenberg")
    moment.calculate_moment()
    values = np.hstack([global_descriptor.descriptor, hydrophobicity.descriptor, moment.descriptor])
    return pd.DataFrame(values.astype(np.float32), columns=list(DESCRIPTOR_NAMES))


def draw_splits() -> dict[str, dict]:
    """Draw the joint split that ``robustmed/data/splits/peptides_*.json`` record.

    Every unique sequence of the four datasets is assigned once, stratified by the
    set of (dataset, class) memberships it has, so shared sequences fall on the
    same side everywhere and every class keeps its share of test sequences.
    """
    from sklearn.model_selection import train_test_split

    memberships: dict[str, list[str]] = {}
    frames = {name: read_source(name) for name in SOURCES}
    for name, frame in frames.items():
        classes = SOURCES[name].classes
        for sequence, label in zip(frame["sequence"], frame["label"], strict=True):
            memberships.setdefault(sequence_id(sequence), []).append(f"{name}:{classes[label]}")
    ids = sorted(memberships)
    strata = pd.Series(["+".join(sorted(memberships[i])) for i in ids])
    counts = strata.value_counts()
    # train_test_split needs two members per stratum; rare patterns share one stratum.
    strata = strata.where(strata.map(counts) >= 10, "rare").to_numpy()
    _, test = train_test_split(np.asarray(ids), test_size=TEST_FRACTION, stratify=strata, random_state=SPLIT_SEED)
    test_ids = set(test.tolist())
    splits = {}
    for name, frame in frames.items():
        sample_ids = sorted(sequence_id(s) for s in frame["sequence"])
        splits[name] = {
            "seed": SPLIT_SEED,
            "test_fraction": TEST_FRACTION,
            "stratified_by": "dataset and class memberships of each sequence, over all four peptide datasets",
            "train": [i for i in sample_ids if i not in test_ids],
            "test": [i for i in sample_ids if i in test_ids],
        }
    return splits


def load_peptides(name: str) -> Dataset:
    """Load one peptide dataset with its recorded split."""
    source = SOURCES[name]
    frame = read_source(name)
    sequences = frame["sequence"].tolist()
    sample_ids = [sequence_id(s) for s in sequences]
    split = load_recorded_split(name)
    if sorted(split["train"] + split["test"]) != sorted(sample_ids):
        raise DataError(
            f"Dataset {name!r}: the recorded split does not match the sequences of the installed modlamp; "
            "redraw it with robustmed.data.datasets.peptides.draw_splits()."
        )
    train_ids = set(split["train"])
    train_mask = torch.tensor([sid in train_ids for sid in sample_ids])

    descriptors = compute_descriptors(sequences)
    values = frame_to_tensor(descriptors)
    stats = train_statistics(values, train_mask)
    lengths = [len(s) for s in sequences]
    specs = {
        "sequence": ModalitySpec(
            name="sequence",
            kind=ModalityKind.PROTEIN,
            shape=(),
            dtype=None,
            unit="amino-acid one-letter code",
        ),
        "descriptors": ModalitySpec(
            name="descriptors",
            kind=ModalityKind.TABULAR,
            shape=(values.shape[1],),
            dtype=torch.float32,
            unit="physico-chemical descriptor (modlAMP units)",
            feature_names=DESCRIPTOR_NAMES,
            feature_scale=stats["scale"],
            feature_range=(stats["low"], stats["high"]),
        ),
    }
    length_band = pd.cut(
        pd.Series(lengths), bins=[0, 15, 25, 10_000], labels=["short (<=15)", "medium (16-25)", "long (>25)"]
    )
    n = len(sample_ids)
    batch = Batch(
        modalities={"sequence": sequences, "descriptors": values},
        present={"sequence": torch.ones(n, dtype=torch.bool), "descriptors": torch.ones(n, dtype=torch.bool)},
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata=pd.DataFrame({"length_band": length_band.astype(str).to_numpy()}),
        targets={source.task: torch.tensor(frame["label"].to_numpy(), dtype=torch.long)},
    )
    return Dataset(
        name=name,
        specs=specs,
        tasks={source.task: TaskSpec(source.task, "binary", source.classes)},
        batch=batch,
        split_ids={"train": split["train"], "test": split["test"]},
        card=card(name, frame),
    )


def card(name: str, frame: pd.DataFrame) -> str:
    source = SOURCES[name]
    counts = np.bincount(frame["label"].to_numpy(), minlength=2)
    return (
        f"**{name}**: {source.description}, from modlAMP `datasets.{source.loader}` "
        f"(read offline from the installed `modlamp` package, BSD-3-Clause). {len(frame)} unique "
        f"sequences: {source.classes[1]} {counts[1]}, {source.classes[0]} {counts[0]}. Task "
        f"`{source.task}`. Modalities: `sequence` (protein) and `descriptors` (12 modlAMP "
        "physico-chemical descriptors derived from the clean sequence). Split: 70/30 over the union "
        f"of the four peptide datasets, seed {SPLIT_SEED}, recorded in `robustmed/data/splits/{name}.json`."
    )
