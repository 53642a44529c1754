"""Safe checkpoint loading and file checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

from robustmed.errors import RobustmedError


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_checkpoint(
    path: str | Path, *, expected_sha256: str | None = None, weights_only: bool = True
) -> Any:
    """Load a checkpoint with ``torch.load(weights_only=True)`` unless the caller opts out.

    Raises
    ------
    RobustmedError
        If the file is missing, its checksum differs from ``expected_sha256``, or it
        contains objects that a weights-only load rejects.
    """
    path = Path(path)
    if not path.is_file():
        raise RobustmedError(f"Checkpoint not found: {path}.")
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise RobustmedError(
                f"Checkpoint {path} has SHA-256 {actual}, expected {expected_sha256}. "
                "The file is corrupt or was replaced; restore it or retrain the model."
            )
    try:
        return torch.load(path, map_location="cpu", weights_only=weights_only)
    except Exception as error:  # torch raises UnpicklingError or RuntimeError variants
        if weights_only:
            raise RobustmedError(
                f"Checkpoint {path} could not be loaded with weights_only=True ({error}). "
                "Load only checkpoints you trust with weights_only=False."
            ) from error
        raise
