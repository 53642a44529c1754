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
    """A table as the report shows it: formatted strings, the first ``text_columns`` left-aligned.

    ``name`` is the file stem of its CSV, Markdown and LaTeX exports; default: built
    from the section anchor and the title.
    """

    title: str
    columns: list[str]
    rows: list[list[str]]
    text_columns: int = 1
    name: str = ""


@dataclass
class Section:
    """One report section: its anchor for links, title, text, figures and tables."""

    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Finding:
    """A key result for the report's summary panel.

    ``label`` is one of :data:`FINDING_LABELS` (or another short label), ``text`` the
    formatted result with its interval and n. When several sections report the same
    label, the summary shows the one with the highest ``priority`` (ties: the earlier
    section). A proxy, such as modality importance read off degradation curves, uses a
    negative priority so that a dedicated analysis replaces it.
    """

    label: str
    text: str
    priority: int = 0


CLEAN_PERFORMANCE = "Clean performance"
WORST_GENERATOR = "Worst generator"
WORST_GROUP = "Worst group"
MOST_IMPORTANT_MODALITY = "Most important modality"
# Findings that the summary panel shows first, in this order, whichever sections supply them.
FINDING_LABELS = (CLEAN_PERFORMANCE, WORST_GENERATOR, WORST_GROUP, MOST_IMPORTANT_MODALITY)


@dataclass
class ReportPart:
    """A section plus what it contributes to the summary.

    ``headline`` contains summary sentences. ``findings`` contains the key results that the
    summary panel lists by label. A headline sentence that starts with a label of
    :data:`FINDING_LABELS` followed by a colon also counts as that finding.
    """

    section: Section
    headline: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def format_interval(value: float, low: float, high: float, digits: int = 3) -> str:
    """Format 'value [low, high]', or 'NaN' when the value is missing."""
    if pd.isna(value):
        return "NaN"
    if pd.isna(low) or pd.isna(high):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def read_table(root: Path, name: str) -> pd.DataFrame | None:
    """Read the stored tidy table ``name``, or None when the run did not write it."""
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
    """Encode a PNG file as base64 for a data URL."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def figure_entry(png: Path, caption: str) -> dict[str, str]:
    """Build a report figure: the embedded PNG, its caption, and the file stem for the vector versions."""
    png = Path(png)
    return {"caption": caption, "data": embed_png(png), "stem": png.stem}
