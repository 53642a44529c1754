"""Predictions store: Parquet partitions per cell, a manifest, atomic writes and resume."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from robustmed.errors import RobustmedError

MANIFEST = "manifest.json"
PREDICTIONS = "predictions"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def confined_path(root: Path, relative: str | Path) -> Path:
    """Resolve ``relative`` under ``root`` and reject paths that escape it."""
    root = root.resolve()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        raise RobustmedError(f"Output path {relative!s} would leave the output folder {root}.")
    return candidate


class PredictionStore:
    """One Parquet file per cell under ``root/predictions``, plus ``root/manifest.json``.

    Parameters
    ----------
    root : path
        Output folder of a run.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / PREDICTIONS

    def _cell_path(self, cell_id: str) -> Path:
        return confined_path(self.root, Path(PREDICTIONS) / f"{cell_id}.parquet")

    def has(self, cell_id: str) -> bool:
        return self._cell_path(cell_id).is_file()

    def write(self, cell_id: str, frame: pd.DataFrame) -> None:
        path = self._cell_path(cell_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        try:
            frame.to_parquet(temporary, index=False, engine="pyarrow", compression="zstd")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, cell_ids: list[str] | None = None) -> pd.DataFrame:
        """All stored rows (or those of ``cell_ids``), ordered by cell then sample."""
        if cell_ids is None:
            paths = sorted(self.folder.glob("*.parquet")) if self.folder.is_dir() else []
        else:
            paths = [self._cell_path(c) for c in cell_ids]
        if not paths:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)

    def read_manifest(self) -> dict[str, Any] | None:
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        return json.loads(path.read_text())

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_text(self.root / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
