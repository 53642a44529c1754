"""Locate the built-in recipes and perturbation suites.

A wheel carries them in ``robustmed/_builtin``; a source checkout (including an
editable install) keeps them at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """Folder of built-in ``analyses`` or ``perturbations``."""
    packaged = _PACKAGE / "_builtin" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
