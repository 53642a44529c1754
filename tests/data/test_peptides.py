import subprocess
import sys

import pytest
import torch

from robustmed.data import load_dataset
from robustmed.data.datasets.base import load_recorded_split
from robustmed.data.datasets.peptides import DESCRIPTOR_NAMES, SOURCES, draw_splits
from robustmed.data.spec import ModalityKind

EXPECTED = {
    # dataset: (unique sequences, negatives, positives, test sequences)
    "peptides_amp_tm": (412, 206, 206, 124),
    "peptides_amp_uniprot": (4620, 2080, 2540, 1386),
    "peptides_acp_tm": (826, 413, 413, 248),
    "peptides_acp_random": (826, 413, 413, 248),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sizes_and_label_counts(name):
    dataset = load_dataset(name)
    total, negatives, positives, test = EXPECTED[name]
    (task,) = dataset.tasks
    labels = dataset.batch.targets[task]
    assert len(dataset.batch) == total
    assert int((labels == 0).sum()) == negatives
    assert int((labels == 1).sum()) == positives
    assert len(dataset.split_ids["test"]) == test
    assert dataset.tasks[task].classes == SOURCES[name].classes


def test_modalities_and_descriptors():
    dataset = load_dataset("peptides_acp_tm")
    assert dataset.specs["sequence"].kind is ModalityKind.PROTEIN
    assert dataset.specs["descriptors"].kind is ModalityKind.TABULAR
    assert dataset.specs["descriptors"].feature_names == DESCRIPTOR_NAMES
    sequences = dataset.batch.modalities["sequence"]
    assert isinstance(sequences, list) and all(isinstance(s, str) for s in sequences)
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.float32)
    torch.testing.assert_close(dataset.batch.modalities["descriptors"][:, 0], lengths)


def test_splits_recorded_and_reproducible():
    drawn = draw_splits()
    for name in SOURCES:
        assert drawn[name] == load_recorded_split(name), name


def test_shared_sequences_on_same_side():
    tm = load_dataset("peptides_acp_tm")
    random = load_dataset("peptides_acp_random")
    shared = set(tm.batch.sample_ids) & set(random.batch.sample_ids)
    assert len(shared) == 413
    assert shared & set(tm.split_ids["test"]) == shared & set(random.split_ids["test"])
    assert not set(tm.split_ids["train"]) & set(random.split_ids["test"])


def test_loads_without_network():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network blocked by test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from robustmed.data import load_dataset\n"
        "print(len(load_dataset('peptides_acp_random').batch))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "826"
