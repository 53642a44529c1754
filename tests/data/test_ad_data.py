import subprocess
import sys

import numpy as np
import torch

from robustmed.data.datasets import ad_data
from robustmed.data.datasets.base import load_recorded_split


def test_shapes_and_label_counts_match_card(ad_dataset):
    batch = ad_dataset.batch
    assert len(batch) == 333
    assert ad_dataset.specs["proteins"].shape == (124,)
    assert ad_dataset.specs["csf"].shape == (3,)
    assert ad_dataset.specs["genotype"].shape == (3,)
    assert int(batch.targets["impaired"].sum()) == 91
    assert torch.all(batch.modalities["genotype"].sum(1) == 2)


def test_split_recorded_and_reproducible(ad_dataset):
    recorded = load_recorded_split("ad_data")
    assert ad_data.draw_split() == recorded
    assert len(recorded["train"]) == 199
    assert len(recorded["test"]) == 134
    assert not set(recorded["train"]) & set(recorded["test"])
    assert int(ad_dataset.split("test").targets["impaired"].sum()) == 37


def test_subgroup_metadata(ad_dataset):
    metadata = ad_dataset.batch.metadata
    assert metadata["sex"].value_counts().to_dict() == {"female": 204, "male": 129}
    assert set(metadata["age_band"]) == {"younger", "middle", "older"}


def test_checksum_stable(ad_dataset):
    assert ad_dataset.checksum() == ad_dataset.checksum()
    assert len(ad_dataset.checksum()) == 64


def test_loads_without_network():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network blocked by test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from robustmed.data import load_dataset\n"
        "print(len(load_dataset('ad_data').batch))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "333"


def test_feature_scale_from_train_split(ad_dataset):
    train = ad_dataset.split("train").modalities["csf"].numpy()
    np.testing.assert_allclose(ad_dataset.specs["csf"].feature_scale.numpy(), train.std(0, ddof=1), rtol=1e-5)


