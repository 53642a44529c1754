"""Summary tables exported as CSV, Markdown and LaTeX."""

import pandas as pd

from robustmed.render.html import Table
from robustmed.render.tables import escape_latex, export_section_tables, export_table, to_latex, to_markdown

TABLE = Table(
    "AUROC per group_name & site",
    ["subgroup", "AUROC [95% CI]", "n"],
    [["female|50%", "0.850 [0.753, 0.921]", "70"], ["male_{x}", "0.050 [0.010, 0.100]", "64"]],
)


def test_markdown_keeps_cells_as_written():
    text = to_markdown(TABLE)
    assert "0.050 [0.010, 0.100]" in text
    assert r"female\|50%" in text
    # Text column left-aligned, number columns right-aligned.
    assert "|:-" in text
    assert "-:|" in text


def test_latex_uses_booktabs_and_escapes():
    text = to_latex(TABLE, "groups")
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in text
    assert r"\caption{AUROC per group\_name \& site}" in text
    assert r"male\_\{x\}" in text
    assert r"female|50\%" in text
    assert r"\begin{tabular}{lrr}" in text


def test_escape_latex_backslash():
    assert escape_latex(r"a\b") == r"a\textbackslash{}b"


def test_export_table_writes_three_formats(tmp_path):
    paths = export_table(TABLE, tmp_path / "groups")
    assert [p.name for p in paths] == ["groups.csv", "groups.md", "groups.tex"]
    frame = pd.read_csv(paths[0], dtype=str)
    assert list(frame.columns) == TABLE.columns
    assert frame.iloc[1, 1] == "0.050 [0.010, 0.100]"


def test_section_tables_get_distinct_stems(tmp_path):
    named = Table("Curve summaries", ["a"], [["1"]], name="curve_summaries")
    paths = export_section_tables(tmp_path, "degradation", [TABLE, TABLE, named])
    stems = sorted({p.stem for p in paths})
    assert stems == [
        "degradation_auroc_per_group_name_site",
        "degradation_auroc_per_group_name_site_2",
        "degradation_curve_summaries",
    ]
    assert all(p.parent == tmp_path / "tables" / "summary" for p in paths)


def test_markdown_escapes_html():
    table = Table("<b>groups</b>", ["subgroup", "n"], [["<script>alert(1)</script>", "3"]])
    text = to_markdown(table)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.startswith("**&lt;b&gt;groups&lt;/b&gt;**")


def test_note_follows_markdown_and_ends_caption(tmp_path):
    note = "Intervals: 95% BCa bootstrap intervals over patients, stratified by class."
    paths = {path.suffix: path for path in export_table(TABLE, tmp_path / "curves", note)}
    assert paths[".md"].read_text().rstrip().endswith(note)
    assert r"Intervals: 95\% BCa bootstrap" in paths[".tex"].read_text().split("\\caption{")[1].split("}")[0]
    assert "Intervals" not in paths[".csv"].read_text()
