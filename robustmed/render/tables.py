"""Summary tables in CSV, Markdown and LaTeX (booktabs), exactly as the report shows them.

Each report :class:`~robustmed.render.html.Table` contains formatted strings (intervals as
``value [low, high]`` with an n column), so the three files carry the same text as the HTML.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from robustmed.engine.store import atomic_write_text
from robustmed.render.html import TABLES, Table

SUMMARY_TABLES = "summary"
# pandas escapes cell text with escape=True but leaves the caption as written.
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
TABLE_FORMATS = ("csv", "md", "tex")


def table_frame(table: Table) -> pd.DataFrame:
    """Return a report table as a DataFrame of strings."""
    return pd.DataFrame(table.rows, columns=table.columns, dtype=object)


def table_slug(*parts: str) -> str:
    """File-name stem from a section anchor and a table title: lowercase ASCII words joined by '_'."""
    words = re.findall(r"[a-z0-9]+", " ".join(parts).lower())
    return "_".join(words) or "table"


def _markdown_text(text: object) -> str:
    # Markdown passes inline HTML through, so '<', '>' and '&' become entities, which
    # Markdown viewers show as the characters; '|' would end a pipe-table cell.
    return html.escape(str(text), quote=False).replace("|", r"\|")


def to_markdown(table: Table, note: str = "") -> str:
    """Render a GitHub-flavoured Markdown pipe table (needs the ``tabulate`` package), then ``note``."""
    frame = table_frame(table).map(_markdown_text)
    frame.columns = [_markdown_text(column) for column in table.columns]
    alignment = ["left" if i < table.text_columns else "right" for i in range(len(table.columns))]
    # disable_numparse keeps the cells as written ("0.050" stays "0.050").
    body = frame.to_markdown(index=False, colalign=alignment, disable_numparse=True)
    text = f"**{_markdown_text(table.title)}**\n\n{body}\n"
    return f"{text}\n{_markdown_text(note)}\n" if note else text


def escape_latex(text: str) -> str:
    """Escape LaTeX special characters in plain text."""
    return "".join(LATEX_SPECIALS.get(character, character) for character in text)


def to_latex(table: Table, label: str, note: str = "") -> str:
    """Render a LaTeX ``table`` with booktabs rules, ``note`` ending the caption; special characters are escaped."""
    frame = table_frame(table)
    column_format = "".join("l" if i < table.text_columns else "r" for i in range(len(table.columns)))
    body = frame.to_latex(
        index=False,
        escape=True,
        column_format=column_format,
        caption=escape_latex(f"{table.title}. {note}" if note else table.title),
        label=f"tab:{label}",
        position="htbp",
    )
    return "% Needs \\usepackage{booktabs} in the preamble.\n" + body


def export_table(table: Table, stem: Path, note: str = "") -> list[Path]:
    """Write ``table`` as ``stem.csv``, ``stem.md`` and ``stem.tex``; return the paths.

    ``note`` (such as the interval method) follows the Markdown table and ends
    the LaTeX caption. CSV has no place for it.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    texts = {
        "csv": table_frame(table).to_csv(index=False),
        "md": to_markdown(table, note),
        "tex": to_latex(table, stem.name.replace("_", "-"), note),
    }
    paths = []
    for fmt in TABLE_FORMATS:
        path = stem.with_name(f"{stem.name}.{fmt}")
        atomic_write_text(path, texts[fmt])
        paths.append(path)
    return paths


def export_section_tables(root: Path, anchor: str, tables: list[Table], note: str = "") -> list[Path]:
    """Write every table of one report section under ``tables/summary/``, each followed by ``note``."""
    folder = Path(root) / TABLES / SUMMARY_TABLES
    paths = []
    used: set[str] = set()
    for table in tables:
        slug = table_slug(anchor, table.name) if table.name else table_slug(anchor, *table.title.split()[:6])
        # Two tables with the same title in one section get numbered stems.
        stem, counter = slug, 2
        while stem in used:
            stem, counter = f"{slug}_{counter}", counter + 1
        used.add(stem)
        paths.extend(export_table(table, folder / stem, note))
    return paths
