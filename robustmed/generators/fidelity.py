"""Fidelity of a perturbed sample to its clean version, on one scale for every kind.

``fidelity_loss`` returns, per sample, a kind-specific fidelity measure and a
fidelity loss in [0, 1] that means a comparable amount of damage across kinds:

========================  =========================  ====================================
kinds                     measure                    loss
========================  =========================  ====================================
image, volume, video      SSIM (and PSNR)            1 - SSIM
signal, audio             SNR in dB                  noise power fraction 1 / (1 + SNR)
text, dna, protein        normalised edit distance   normalised edit distance
tabular, omics            fraction of values changed fraction of values changed
========================  =========================  ====================================

A sample whose modality became absent has loss 1. For signals and audio the
signal power is each channel's variance over time and the noise is the
difference to the clean signal, so losing the whole signal (output 0) gives
SNR 0 dB and loss 0.5. A tabular or omics value counts as changed when it became
missing (or present), or moved by more than a quarter of its feature's training
standard deviation (any change at all without ``feature_scale``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from robustmed.data.spec import ModalityKind, ModalitySpec

MEASURES = {
    ModalityKind.IMAGE: "SSIM",
    ModalityKind.VOLUME: "SSIM",
    ModalityKind.VIDEO: "SSIM",
    ModalityKind.SIGNAL: "SNR (dB)",
    ModalityKind.AUDIO: "SNR (dB)",
    ModalityKind.TEXT: "normalised edit distance",
    ModalityKind.DNA: "normalised edit distance",
    ModalityKind.PROTEIN: "normalised edit distance",
    ModalityKind.TABULAR: "fraction of values changed",
    ModalityKind.OMICS: "fraction of values changed",
}
CHANGE_TOLERANCE_SD = 0.25


def _ssim(clean: np.ndarray, perturbed: np.ndarray, spec: ModalitySpec) -> float:
    """SSIM of one sample (scikit-image), channels first; video frames are averaged."""
    from skimage.metrics import structural_similarity

    if spec.value_range is not None and all(math.isfinite(v) for v in spec.value_range):
        data_range = spec.value_range[1] - spec.value_range[0]
    else:
        data_range = float(clean.max() - clean.min()) or 1.0
    if spec.kind == ModalityKind.VIDEO:
        return float(np.mean([_ssim(c, p, _frame_spec(spec)) for c, p in zip(clean, perturbed, strict=True)]))
    spatial = 3 if spec.kind == ModalityKind.VOLUME else 2
    if spatial == 3 and min(clean.shape[-3:]) < 7:
        # Too few slices for a 3D window of 7: average the SSIM of the 2D slices.
        slices = [(c, p) for c, p in zip(np.moveaxis(clean, -3, 0), np.moveaxis(perturbed, -3, 0), strict=True)]
        return float(np.mean([_ssim(c, p, _frame_spec(spec)) for c, p in slices]))
    if clean.ndim == spatial:
        return float(structural_similarity(clean, perturbed, data_range=data_range))
    if clean.ndim == spatial + 1:
        # The channel axis is first and never larger than the spatial extent.
        window = min(7, *[s if s % 2 else s - 1 for s in clean.shape[1:]])
        return float(
            structural_similarity(clean, perturbed, data_range=data_range, channel_axis=0, win_size=max(window, 3))
        )
    raise ValueError(f"SSIM of kind {spec.kind.value!r} needs {spatial} or {spatial + 1} axes; got {clean.ndim}.")


def _frame_spec(spec: ModalitySpec) -> ModalitySpec:
    from dataclasses import replace

    return replace(spec, kind=ModalityKind.IMAGE)


def _signal(clean: torch.Tensor, perturbed: torch.Tensor) -> tuple[float, float]:
    clean = clean.double()
    error = (perturbed.double() - clean).pow(2).mean().item()
    power = clean.var(dim=-1, unbiased=False).mean().item()
    if error == 0.0:
        return math.inf, 0.0
    snr_db = 10.0 * math.log10(power / error) if power > 0 else -math.inf
    return snr_db, error / (power + error)


def _edit_distance(clean: str, perturbed: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_distance(clean, perturbed))


def _changed_fraction(clean: torch.Tensor, perturbed: torch.Tensor, spec: ModalitySpec) -> float:
    a, b = clean.double(), perturbed.double()
    missing_changed = torch.isnan(a) != torch.isnan(b)
    tolerance = (
        CHANGE_TOLERANCE_SD * spec.feature_scale.double().to(a.device)
        if spec.feature_scale is not None
        else torch.zeros(a.shape[-1], dtype=torch.float64, device=a.device)
    )
    moved = (a - b).abs() > tolerance
    moved = moved & ~torch.isnan(a) & ~torch.isnan(b)
    return (missing_changed | moved).double().mean().item()


def fidelity_loss(
    clean, perturbed, present_before: torch.Tensor, present_after: torch.Tensor, spec: ModalitySpec
) -> tuple[np.ndarray, np.ndarray]:
    """Return per-sample (measure, loss) arrays for a batch of one modality."""
    n = len(clean)
    measure = np.full(n, np.nan)
    loss = np.zeros(n)
    kind = spec.kind
    for i in range(n):
        if bool(present_before[i]) and not bool(present_after[i]):
            loss[i] = 1.0
            continue
        if kind in (ModalityKind.TEXT, ModalityKind.DNA, ModalityKind.PROTEIN):
            measure[i] = loss[i] = _edit_distance(clean[i], perturbed[i])
        elif kind in (ModalityKind.SIGNAL, ModalityKind.AUDIO):
            measure[i], loss[i] = _signal(clean[i], perturbed[i])
        elif kind in (ModalityKind.TABULAR, ModalityKind.OMICS):
            measure[i] = loss[i] = _changed_fraction(clean[i : i + 1], perturbed[i : i + 1], spec)
        else:
            a = clean[i].detach().cpu().double().numpy()
            b = perturbed[i].detach().cpu().double().numpy()
            measure[i] = _ssim(a, b, spec)
            loss[i] = min(max(1.0 - measure[i], 0.0), 1.0)
    return measure, loss
