"""The HTML report of a real run: summary, tables, escaping, pseudonyms, re-rendering."""

import json
import re

import pandas as pd
import pytest

from robustmed.render.report import render_report

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_report_has_contents_summary_provenance(small_run):
    html = (small_run / "report.html").read_text()
    for anchor in ("summary", "degradation", "provenance"):
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html
    assert "Clean performance" in html
    assert "Worst generator" in html
    assert "Most important modality" in html
    manifest = json.loads((small_run / "manifest.json").read_text())
    for value in (manifest["model"]["sha256"], manifest["data"]["sha256"], manifest["recipe_sha256"]):
        assert value in html
    assert "50 replicates, seed 0" in html
    assert re.search(r'time taken</th><td class="text">\d+\.\d s</td>', html)
    assert f"<td class=\"text\">{manifest['versions']['numpy']}</td>" in html
    assert "@media print" in html


def test_report_embeds_figures_and_links_vectors(small_run):
    html = (small_run / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert 'href="figures/degradation_auroc.pdf"' in html
    assert 'href="figures/degradation_auroc.svg"' in html
    assert not re.search(r'<img[^>]+src="(?!data:)', html)


def test_summary_tables_in_three_formats(small_run):
    folder = small_run / "tables" / "summary"
    for stem in ("degradation_curve_summaries", "degradation_affected_samples"):
        for fmt in ("csv", "md", "tex"):
            assert (folder / f"{stem}.{fmt}").stat().st_size > 100
    summaries = pd.read_csv(folder / "degradation_curve_summaries.csv", dtype=str)
    assert summaries["clean [95% CI]"].str.fullmatch(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]").all()
    assert (summaries["n"] == "134").all()


def test_no_raw_sample_ids_in_report(small_run, ad_dataset):
    html = (small_run / "report.html").read_text()
    batch = ad_dataset.split("all")
    raw_ids = set(batch.sample_ids) | set(batch.patient_ids or [])
    leaked = sorted(i for i in raw_ids if i in html)
    assert leaked == []
    shown = pd.read_csv(small_run / "tables" / "summary" / "degradation_affected_samples.csv")
    assert len(shown) == 10
    assert shown["sample"].str.fullmatch(r"s-[0-9a-f]{12}").all()
    assert all(name in html for name in shown["sample"])


def test_user_strings_escaped(run_copy):
    manifest = json.loads((run_copy / "manifest.json").read_text())
    manifest["recipe"]["description"] = SCRIPT
    manifest["recipe"]["report"]["title"] = SCRIPT
    (run_copy / "manifest.json").write_text(json.dumps(manifest))
    metrics = pd.read_parquet(run_copy / "tables" / "degradation_metrics.parquet")
    extra = metrics[metrics["subgroup"] == "all"].assign(subgroup=SCRIPT)
    pd.concat([metrics, extra]).to_parquet(run_copy / "tables" / "degradation_metrics.parquet")
    summary = pd.read_parquet(run_copy / "tables" / "degradation_summary.parquet")
    summary.loc[summary["generator"] == "modality_absence", "generator"] = SCRIPT
    summary.to_parquet(run_copy / "tables" / "degradation_summary.parquet")

    html = render_report(run_copy).read_text()
    assert SCRIPT not in html
    assert "<script" not in html
    assert html.count(ESCAPED) >= 3  # title, heading, description
    assert f"Worst group</th><td class=\"text\">{ESCAPED}" in html


def test_rerender_reads_no_model(run_copy, monkeypatch):
    import torch

    import robustmed.models.registry as registry

    def forbidden(*args, **kwargs):
        raise AssertionError("rendering must not load a model")

    monkeypatch.setattr(registry, "load_reference_adapter", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    figures = {path.name: path.read_bytes() for path in (run_copy / "figures").iterdir()}
    for name in figures:
        (run_copy / "figures" / name).unlink()
    html = (run_copy / "report.html").read_bytes()
    (run_copy / "report.html").unlink()
    before = (run_copy / "tables" / "summary" / "degradation_affected_samples.csv").read_text()

    render_report(run_copy)
    assert (run_copy / "figures" / "degradation_auroc.svg").is_file()
    assert (run_copy / "figures" / "degradation_heatmap_auroc.pdf").is_file()
    # Same stored results, same bytes: figures, pseudonyms (keyed by the folder's key) and HTML.
    assert {path.name: path.read_bytes() for path in (run_copy / "figures").iterdir()} == figures
    assert (run_copy / "tables" / "summary" / "degradation_affected_samples.csv").read_text() == before
    assert (run_copy / "report.html").read_bytes() == html


def test_report_without_manifest_fails_clearly(tmp_path):
    from robustmed.errors import RobustmedError

    with pytest.raises(RobustmedError, match="manifest.json not found"):
        render_report(tmp_path)
