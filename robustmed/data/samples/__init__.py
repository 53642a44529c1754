"""Real samples of every modality kind, read offline from installed packages.

The calibration (``robustmed calibrate``) and the generator gallery
(``robustmed preview``) run every generator on these samples. Each provider
returns a list of ``(name, values, spec, caption)``: ``values`` is a batch
(a tensor whose first dimension is the sample, or a list of strings) and the
caption names the source. Nothing is downloaded; a missing package raises
:class:`~robustmed.errors.DataError` with the command that installs it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import torch

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.errors import DataError

Sample = tuple[str, "torch.Tensor | list[str]", ModalitySpec, str]

# (module, function) per kind. The imaging module is optional: it is used when present.
_PROVIDERS: dict[ModalityKind, tuple[str, str]] = {
    ModalityKind.IMAGE: ("robustmed.data.samples.imaging", "image_samples"),
    ModalityKind.VOLUME: ("robustmed.data.samples.imaging", "volume_samples"),
    ModalityKind.VIDEO: ("robustmed.data.samples.imaging", "video_samples"),
    ModalityKind.SIGNAL: ("robustmed.data.samples.signals", "signal_samples"),
    ModalityKind.AUDIO: ("robustmed.data.samples.signals", "audio_samples"),
    ModalityKind.TEXT: ("robustmed.data.samples.sequences", "text_samples"),
    ModalityKind.DNA: ("robustmed.data.samples.sequences", "dna_samples"),
    ModalityKind.PROTEIN: ("robustmed.data.samples.sequences", "protein_samples"),
    ModalityKind.TABULAR: ("robustmed.data.samples.features", "tabular_samples"),
    ModalityKind.OMICS: ("robustmed.data.samples.features", "omics_samples"),
}


def _provider(kind: ModalityKind) -> Callable[[], list[Sample]] | None:
    module_name, function = _PROVIDERS[kind]
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise
    return getattr(module, function, None)


def sample_kinds() -> list[ModalityKind]:
    """Modality kinds that have a sample provider in this installation."""
    return [kind for kind in ModalityKind if _provider(kind) is not None]


def real_samples(kind: ModalityKind | str) -> list[Sample]:
    """Return the real samples of modality ``kind``, each with a leading batch dimension.

    Raises
    ------
    DataError
        If ``kind`` is unknown or has no sample provider in this installation.
    """
    try:
        kind = ModalityKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in ModalityKind)
        raise DataError(f"Unknown modality kind {kind!r}; allowed kinds: {allowed}.") from None
    provider = _provider(kind)
    if provider is None:
        raise DataError(f"No real samples of kind {kind.value!r} are available in this installation.")
    samples = []
    for name, values, spec, caption in provider():
        # A provider may return one unbatched sample; give it a batch dimension.
        if isinstance(values, torch.Tensor) and values.dim() == len(spec.shape):
            values = values.unsqueeze(0)
        samples.append((name, values, spec, caption))
    return samples


def missing_package(package: str, source: str) -> DataError:
    """Build the error for a sample source whose package is not installed."""
    return DataError(
        f"Real {source} samples need the package {package!r}; install the data extra with "
        "pip install 'robustmed[data]'."
    )
