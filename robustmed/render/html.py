"""Report building blocks: sections, tables and interval formatting."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from robustmed.engine.store import atomic_write_text

TABLES = "tables"
FIGURES = "figures"


@dataclass
class Table:
    """A table as the report shows it: formatted strings, the first ``text_columns`` left-aligned."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    text_columns: int = 1


@dataclass
class Section:
    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class ReportPart:
    """A section plus the headline sentences it contributes to the summary."""

    section: Section
    headline: list[str] = field(default_factory=list)


def format_interval(value: float, low: float, high: float, digits: int = 3) -> str:
    """'value [low, high]', or 'NaN' when the value is missing."""
    if pd.isna(value):
        return "NaN"
    if pd.isna(low) or pd.isna(high):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def read_table(root: Path, name: str) -> pd.DataFrame | None:
    path = root / TABLES / f"{name}.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def write_table(root: Path, name: str, frame: pd.DataFrame) -> None:
    """Store a tidy table as Parquet (for re-rendering) and CSV (for people)."""
    folder = root / TABLES
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.parquet.tmp"
    frame.to_parquet(temporary, index=False)
    temporary.replace(folder / f"{name}.parquet")
    atomic_write_text(folder / f"{name}.csv", frame.to_csv(index=False))


def embed_png(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def figure_entry(png: Path, caption: str) -> dict[str, str]:
    return {"caption": caption, "data": embed_png(png)}
