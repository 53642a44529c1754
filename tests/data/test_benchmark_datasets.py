import subprocess
import sys
from importlib import import_module

import pytest
import torch

from robustmed.data import load_dataset
from robustmed.data.datasets.base import load_recorded_split
from robustmed.data.spec import ModalityKind

# Per dataset: samples, train/test sizes, modality shapes (text and dna: number of strings),
# modality kinds and positives per task, as the dataset cards state them.
CARDS = {
    "ischemic_stroke": (
        126, 75, 51,
        {"plaque": (126, 20), "risk_factors": (126, 7)},
        {"plaque": "tabular", "risk_factors": "tabular"},
        {"stroke": 64},
    ),
    "breast_cancer": (
        198, 118, 80,
        {"expression": (198, 76), "clinical": (198, 3)},
        {"expression": "omics", "clinical": "tabular"},
        {"distant_metastasis": 51, "er_positive": 134},
    ),
    "cxr_reports": (
        3927, 2356, 1571,
        {"indication": 3927, "report": 3927},
        {"indication": "text", "report": "text"},
        {"abnormal": 2564, "cardiomegaly": 375, "pleural_effusion": 161, "opacity": 455},
    ),
    "bacterial_cds": (
        1104, 660, 444,
        {"sequence": 1104},
        {"sequence": "dna"},
        {"coding_strand": 552, "in_frame": 368},
    ),
    "ecg_heart_rate": (
        177, 99, 78,
        {"ecg": (177, 1, 3600)},
        {"ecg": "signal"},
        {"tachycardia": 88},
    ),
    "imaging_patches": (
        485, 237, 193,
        {"image": (485, 1, 32, 32)},
        {"image": "image"},
        {"ct": 89, "mr": 130, "ultrasound": 117, "radiograph": 86, "microscopy": 32, "fundus": 31},
    ),
    "mni152_tissue": (
        451, 270, 181,
        {"t1": (451, 1, 8, 8, 8)},
        {"t1": "volume"},
        {"grey_matter": 317, "cortical_surface": 182},
    ),
}


@pytest.mark.parametrize("name", sorted(CARDS))
def test_shapes_and_label_counts_match_card(name):
    n, n_train, n_test, shapes, kinds, positives = CARDS[name]
    dataset = load_dataset(name)
    assert len(dataset.batch) == n
    assert len(dataset.split("train")) == n_train
    assert len(dataset.split("test")) == n_test
    for modality, shape in shapes.items():
        values = dataset.batch.modalities[modality]
        assert (tuple(values.shape) if isinstance(values, torch.Tensor) else len(values)) == shape, modality
        assert dataset.specs[modality].kind == ModalityKind(kinds[modality])
    assert {task: int(dataset.batch.targets[task].sum()) for task in dataset.tasks} == positives
    assert len(dataset.batch.metadata) == n


@pytest.mark.parametrize("name", sorted(CARDS))
def test_split_recorded_and_reproducible(name):
    recorded = load_recorded_split(name)
    assert import_module(f"robustmed.data.datasets.{name}").draw_split() == recorded
    assert not set(recorded["train"]) & set(recorded["test"])


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_documented(name):
    from pathlib import Path

    card = Path(__file__).resolve().parents[2] / "docs" / "datasets" / f"{name}.md"
    assert card.is_file()
    assert load_dataset(name).card.split("\n")[0] in card.read_text()


def test_grouped_splits_keep_clusters_apart():
    for name in ("bacterial_cds", "ecg_heart_rate", "imaging_patches"):
        dataset = load_dataset(name)
        clusters = {part: set(dataset.split(part).patient_ids) for part in ("train", "test")}
        if name == "imaging_patches":
            # Patches of one image are in both parts by design; lossy twins follow their original.
            test = dataset.split("test")
            twins = [sid for sid in test.sample_ids if sid.endswith("-j2ki")]
            assert {sid.removesuffix("-j2ki") for sid in twins} <= set(test.sample_ids)
        else:
            assert not clusters["train"] & clusters["test"], name


def test_dna_windows_are_coding_strand_or_reverse_complement():
    dataset = load_dataset("bacterial_cds")
    sequences = dataset.batch.modalities["sequence"]
    assert all(len(s) == 150 and set(s) <= set("ACGT") for s in sequences)
    in_frame = dataset.batch.targets["in_frame"].bool()
    sense = dataset.batch.targets["coding_strand"].bool()
    # Windows end before a gene's last codon, so an in-frame window on the coding strand has no stop codon.
    stops = 0
    for sequence, frame, strand in zip(sequences, in_frame, sense, strict=True):
        if frame and strand:
            stops += sum(sequence[i : i + 3] in ("TAA", "TAG", "TGA") for i in range(0, 150, 3))
    assert stops == 0


def test_ecg_reference_heart_rate_thresholds_label():
    from robustmed.data.datasets.ecg_heart_rate import reference_heart_rates

    dataset = load_dataset("ecg_heart_rate")
    rates = reference_heart_rates()[dataset.batch.sample_ids].to_numpy()
    assert ((rates > 100).astype(int) == dataset.batch.targets["tachycardia"].numpy()).all()
    assert dataset.specs["ecg"].sampling_rate == 360.0


def test_loads_without_network():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network blocked by test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from robustmed.data import load_dataset\n"
        f"print(' '.join(str(len(load_dataset(n).batch)) for n in {sorted(CARDS)!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(CARDS[n][0]) for n in sorted(CARDS)]
