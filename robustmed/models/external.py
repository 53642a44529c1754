"""A real pretrained model from a wheel: ICLabel, the EEG independent-component classifier.

``mne-icalabel`` ships the PyTorch port of ICLabelNet (Pion-Tonachini et al.,
NeuroImage 2019), trained on crowd-labelled EEG components, as
``mne_icalabel/iclabel/network/assets/ICLabelNet.pt``. This module loads those
weights through :func:`robustmed.models.load_checkpoint` (``weights_only=True``,
with a SHA-256 check) and wraps the network in a :class:`CallableAdapter`, the way a
user would bring an external model to robustmed.
"""

from __future__ import annotations

import numpy as np
import torch

from robustmed.data.batch import Batch
from robustmed.data.datasets.assemble import package_file
from robustmed.data.datasets.base import TaskSpec
from robustmed.models.adapter import CallableAdapter
from robustmed.models.checkpoint import load_checkpoint

ICLABEL_WEIGHTS = "mne_icalabel/iclabel/network/assets/ICLabelNet.pt"
# SHA-256 of ICLabelNet.pt in mne-icalabel 0.10.0.
ICLABEL_SHA256 = "bccfee77d028858c855ea370b17e21b77e2f52d533775d4c54f12b168063579e"
# Output order of ICLabelNet.
ICLABEL_CLASSES = ("brain", "muscle", "eye", "heart", "line_noise", "channel_noise", "other")
# Modalities the adapter reads: the three ICLabel features of each independent component, as
# mne_icalabel.features.get_iclabel_features computes them.
ICLABEL_MODALITIES = ("topomap", "psd", "autocorrelation")


def load_iclabel_net(expected_sha256: str | None = ICLABEL_SHA256) -> torch.nn.Module:
    """Load ICLabelNet with the weights shipped in the installed ``mne-icalabel`` wheel.

    Raises
    ------
    DataError
        If ``mne-icalabel`` is not installed.
    RobustmedError
        If the weights differ from ``expected_sha256`` or do not load with ``weights_only=True``.
    """
    from mne_icalabel.iclabel.network.torch import ICLabelNet

    path = package_file("mne-icalabel", ICLABEL_WEIGHTS, "ICLabel")
    network = ICLabelNet().float()
    network.load_state_dict(load_checkpoint(path, expected_sha256=expected_sha256))
    return network.eval()


def iclabel_inputs(batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Arrange a batch's topomaps (B, 32, 32), PSDs (B, 100) and autocorrelations (B, 100) for ICLabelNet.

    ICLabel averages its output over four versions of each topomap (as is, negated,
    mirrored, mirrored and negated); mne-icalabel's own formatting functions build them.
    """
    from mne_icalabel.iclabel.network.torch import _format_input_for_torch
    from mne_icalabel.iclabel.network.utils import _format_input

    # NOTE: these two helpers are private in mne-icalabel 0.10; a later release may rename them.
    topomap = batch.modalities["topomap"].detach().cpu().numpy().astype(np.float32)
    psd = batch.modalities["psd"].detach().cpu().numpy().astype(np.float32)
    autocorrelation = batch.modalities["autocorrelation"].detach().cpu().numpy().astype(np.float32)
    topo = np.transpose(topomap, (1, 2, 0))[:, :, np.newaxis, :]
    psds = psd.T[np.newaxis, :, np.newaxis, :]
    autocorrs = autocorrelation.T[np.newaxis, :, np.newaxis, :]
    return _format_input_for_torch(*_format_input(topo, psds, autocorrs))


def iclabel_adapter() -> CallableAdapter:
    """Wrap ICLabelNet as an adapter with one binary task per component class (one-vs-rest)."""
    network = load_iclabel_net()

    @torch.inference_mode()
    def predict(batch: Batch) -> dict[str, torch.Tensor]:
        probabilities = network(*iclabel_inputs(batch))
        return {name: probabilities[:, k] for k, name in enumerate(ICLABEL_CLASSES)}

    tasks = {name: TaskSpec(name, "binary", (f"not {name}", name)) for name in ICLABEL_CLASSES}
    return CallableAdapter(predict, tasks, ICLABEL_MODALITIES, outputs="probabilities")
