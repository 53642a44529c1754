"""Gallery figures: one generator at levels 0-5 on one real sample of its modality.

Images show the sample (volumes: the middle slice; video: the middle frame);
signals show the first channels as traces; audio shows spectrograms; text and
sequences show the first characters of each level; tabular and omics show a
heat map of the first samples and features, standardised by the clean values,
with missing values in grey.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.render.style import PALETTE, figure_style, save_figure

N_LEVELS = 6
TRACE_SECONDS = 4.0
MAX_TRACE_CHANNELS = 3
MAX_TEXT_CHARACTERS = 360
HEATMAP_ROWS = 16
HEATMAP_COLUMNS = 40
# A gallery has dozens of figures for the screen; 110 dpi keeps them sharp and quick to write.
GALLERY_DPI = 110


def _save(figure, stem: Path) -> list[Path]:
    with plt.rc_context({"savefig.dpi": GALLERY_DPI}):
        return save_figure(figure, stem, ["png"])


def _display_image(values: torch.Tensor, spec: ModalitySpec) -> np.ndarray:
    """Convert one sample to an (H, W) or (H, W, 3) array in [0, 1]."""
    array = values.detach().cpu().double().numpy()
    if spec.kind == ModalityKind.VIDEO:
        array = array[array.shape[0] // 2]
    if spec.kind == ModalityKind.VOLUME:
        # The middle slice along the first of the last three (spatial) axes.
        array = array[..., array.shape[-3] // 2, :, :]
        if array.ndim == 3:
            array = array[0]
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else np.moveaxis(array[:3], 0, -1)
    if spec.value_range is not None and all(np.isfinite(spec.value_range)):
        low, high = spec.value_range
    else:
        low, high = np.nanmin(array), np.nanmax(array)
    return np.clip((array - low) / max(high - low, 1e-12), 0.0, 1.0)


def _titles(levels: list[dict]) -> list[str]:
    # Level 0 is the input itself; its ladder value only marks where the parameter does nothing.
    return [
        "level 0: clean" if entry["level"] == 0 else f"level {entry['level']}: {entry['parameter']} = {entry['value']:g}"
        for entry in levels
    ]


def image_panels(outputs: list, spec: ModalitySpec, titles: list[str], stem: Path) -> list[Path]:
    with figure_style():
        figure, axes = plt.subplots(1, N_LEVELS, figsize=(2.0 * N_LEVELS, 2.3))
        for axis, values, title in zip(axes, outputs, titles, strict=True):
            image = _display_image(values, spec)
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0.0, vmax=1.0)
            axis.set_title(title, fontsize=7)
            axis.axis("off")
        figure.tight_layout()
        return _save(figure, stem)


def signal_panels(outputs: list, spec: ModalitySpec, titles: list[str], stem: Path) -> list[Path]:
    rate = spec.sampling_rate or 1.0
    with figure_style():
        figure, axes = plt.subplots(N_LEVELS, 1, figsize=(8.0, 1.1 * N_LEVELS), sharex=True, sharey=True)
        for axis, values, title in zip(axes, outputs, titles, strict=True):
            array = values.detach().cpu().double().numpy()
            n = min(array.shape[-1], int(TRACE_SECONDS * rate))
            t = np.arange(n) / rate
            for c in range(min(array.shape[0], MAX_TRACE_CHANNELS)):
                label = spec.feature_names[c] if c < len(spec.feature_names) else f"channel {c + 1}"
                axis.plot(t, array[c, :n], lw=0.6, color=PALETTE[c % len(PALETTE)], label=label)
            axis.set_title(title, fontsize=7, loc="left")
            axis.set_ylabel(spec.unit or "value")
        axes[-1].set_xlabel("time (s)")
        if min(outputs[0].shape[0], MAX_TRACE_CHANNELS) > 1:
            axes[0].legend(loc="upper right", frameon=False, fontsize=6, ncol=MAX_TRACE_CHANNELS)
        figure.tight_layout()
        return _save(figure, stem)


def spectrogram_panels(outputs: list, spec: ModalitySpec, titles: list[str], stem: Path) -> list[Path]:
    rate = spec.sampling_rate or 1.0
    with figure_style():
        figure, axes = plt.subplots(1, N_LEVELS, figsize=(2.2 * N_LEVELS, 2.4), sharey=True)
        for axis, values, title in zip(axes, outputs, titles, strict=True):
            channel = values.detach().cpu().double().numpy()[0]
            # Silent spans (time masks, missing segments) have zero power: their log is -inf, drawn black.
            with np.errstate(divide="ignore"):
                axis.specgram(channel, NFFT=256, Fs=rate, noverlap=128, cmap="magma", vmin=-140, vmax=-20)
            axis.set_title(title, fontsize=7)
            axis.set_xlabel("time (s)")
            axis.grid(False)
        axes[0].set_ylabel("frequency (Hz)")
        figure.tight_layout()
        return _save(figure, stem)


def text_panels(outputs: list, spec: ModalitySpec, titles: list[str], stem: Path) -> list[Path]:
    width = 110
    with figure_style():
        figure, axes = plt.subplots(N_LEVELS, 1, figsize=(8.5, 1.5 * N_LEVELS))
        for axis, text, title in zip(axes, outputs, titles, strict=True):
            shown = text[:MAX_TEXT_CHARACTERS] + ("…" if len(text) > MAX_TEXT_CHARACTERS else "")
            wrapped = "\n".join(textwrap.wrap(shown.replace("\n", " ⏎ "), width=width, break_long_words=True))
            axis.text(0.0, 1.0, wrapped, family="monospace", fontsize=6, va="top", ha="left", transform=axis.transAxes)
            axis.set_title(title, fontsize=7, loc="left")
            axis.axis("off")
        figure.tight_layout()
        return _save(figure, stem)


def heatmap_panels(outputs: list, spec: ModalitySpec, titles: list[str], stem: Path) -> list[Path]:
    clean = outputs[0][:HEATMAP_ROWS, :HEATMAP_COLUMNS].detach().cpu().double().numpy()
    centre = np.nanmean(clean, axis=0)
    scale = np.nanstd(clean, axis=0)
    scale[~(scale > 0)] = 1.0
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#bbbbbb")
    with figure_style():
        figure, axes = plt.subplots(1, N_LEVELS, figsize=(2.1 * N_LEVELS, 2.6), sharey=True)
        for axis, values, title in zip(axes, outputs, titles, strict=True):
            array = values[:HEATMAP_ROWS, :HEATMAP_COLUMNS].detach().cpu().double().numpy()
            z = np.ma.masked_invalid((array - centre) / scale)
            image = axis.imshow(z, cmap=cmap, vmin=-3, vmax=3, aspect="auto", interpolation="nearest")
            axis.set_title(title, fontsize=7)
            axis.set_xlabel("feature")
            axis.grid(False)
        axes[0].set_ylabel("sample")
        figure.colorbar(image, ax=list(axes), shrink=0.8, label="z (clean mean, SD)")
        return _save(figure, stem)


PANELS = {
    ModalityKind.IMAGE: image_panels,
    ModalityKind.VOLUME: image_panels,
    ModalityKind.VIDEO: image_panels,
    ModalityKind.SIGNAL: signal_panels,
    ModalityKind.AUDIO: spectrogram_panels,
    ModalityKind.TEXT: text_panels,
    ModalityKind.DNA: text_panels,
    ModalityKind.PROTEIN: text_panels,
    ModalityKind.TABULAR: heatmap_panels,
    ModalityKind.OMICS: heatmap_panels,
}


def level_panels(outputs: list, spec: ModalitySpec, levels: list[dict], stem: Path) -> list[Path]:
    """Draw one generator's output at each level (``outputs`` has one entry per level).

    For tabular and omics ``outputs`` contains whole batches (a heat map needs several
    samples); for every other kind it contains one sample per level.
    """
    return PANELS[spec.kind](outputs, spec, _titles(levels), stem)
