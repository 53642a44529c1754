import numpy as np
import pytest
import torch

from robustmed.data.batch import Batch
from robustmed.errors import RobustmedError

pytest.importorskip("mne_icalabel")

from robustmed.models.external import ICLABEL_CLASSES, iclabel_adapter, load_iclabel_net  # noqa: E402


def _components(n: int = 6) -> Batch:
    generator = torch.Generator().manual_seed(0)
    modalities = {
        "topomap": torch.randn(n, 32, 32, generator=generator),
        "psd": torch.randn(n, 100, generator=generator),
        "autocorrelation": torch.randn(n, 100, generator=generator),
    }
    present = {name: torch.ones(n, dtype=torch.bool) for name in modalities}
    return Batch(modalities=modalities, present=present, sample_ids=[f"ic-{i}" for i in range(n)])


def test_iclabel_matches_mne_icalabel():
    from mne_icalabel.iclabel.network.torch import _run_iclabel

    batch = _components()
    outputs = iclabel_adapter().predict(batch)
    topo = np.transpose(batch.modalities["topomap"].numpy(), (1, 2, 0))[:, :, None, :]
    psd = batch.modalities["psd"].numpy().T[None, :, None, :]
    autocorrelation = batch.modalities["autocorrelation"].numpy().T[None, :, None, :]
    expected = _run_iclabel(topo, psd, autocorrelation)
    actual = np.stack([outputs[name].numpy() for name in ICLABEL_CLASSES], axis=1)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(actual.sum(axis=1), 1.0, rtol=1e-5)


def test_iclabel_weights_checked():
    with pytest.raises(RobustmedError, match="SHA-256"):
        load_iclabel_net(expected_sha256="0" * 64)
