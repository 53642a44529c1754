"""End-to-end runs of the command-line interface on the real bundled data."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from robustmed.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "quickstart"
    result = runner.invoke(app, ["run", "quickstart", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_tables_figures_report(quickstart_run):
    out = quickstart_run
    for name in ["report.html", "manifest.json", "tables/degradation_metrics.csv", "tables/degradation_summary.csv"]:
        assert (out / name).is_file(), name
    for fmt in ["png", "pdf"]:
        assert (out / "figures" / f"degradation_auroc.{fmt}").stat().st_size > 1000


def test_clean_auroc_well_above_chance(quickstart_run):
    metrics = pd.read_csv(quickstart_run / "tables" / "degradation_metrics.csv")
    clean = metrics[(metrics["metric"] == "auroc") & (metrics["level"] == 0)].iloc[0]
    assert clean["value"] > 0.75
    assert clean["ci_low"] > 0.6
    assert clean["ci_low"] < clean["value"] < clean["ci_high"]
    assert clean["n"] == 134


def test_auroc_falls_as_noise_grows(quickstart_run):
    metrics = pd.read_csv(quickstart_run / "tables" / "degradation_metrics.csv")
    curve = metrics[
        (metrics["metric"] == "auroc")
        & (metrics["generator"] == "multiplicative_noise")
        & (metrics["modality"] == "proteins")
    ].sort_values("level")
    values = curve["value"].to_numpy()
    assert values[-1] < values[0] - 0.15
    assert (values[1:] <= values[:-1] + 0.02).all()


def test_report_is_self_contained_and_has_provenance(quickstart_run):
    html = (quickstart_run / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert 'id="provenance"' in html
    manifest = json.loads((quickstart_run / "manifest.json").read_text())
    assert manifest["model"]["sha256"] in html
    assert manifest["data"]["sha256"] in html
    assert "ad-0" not in html  # no raw sample ids in the report


def test_report_command_rerenders(quickstart_run):
    (quickstart_run / "report.html").unlink()
    result = runner.invoke(app, ["report", str(quickstart_run)])
    assert result.exit_code == 0, result.output
    assert (quickstart_run / "report.html").is_file()


def test_rerun_into_existing_folder_needs_resume(quickstart_run):
    result = runner.invoke(app, ["run", "quickstart", "--out", str(quickstart_run)])
    assert result.exit_code == 2
    assert "pass --resume" in result.output


def test_interrupted_run_resumes_to_same_bytes(tmp_path, quickstart_run, monkeypatch):
    from robustmed.engine.store import PredictionStore

    out = tmp_path / "interrupted"
    original = PredictionStore.write
    written = []

    def write_then_die(self, cell_id, frame):
        if len(written) == 10:
            raise KeyboardInterrupt
        written.append(cell_id)
        original(self, cell_id, frame)

    monkeypatch.setattr(PredictionStore, "write", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        from robustmed.api import run_recipe

        run_recipe("quickstart", out)
    monkeypatch.setattr(PredictionStore, "write", original)
    result = runner.invoke(app, ["run", "quickstart", "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    reference = sorted((quickstart_run / "predictions").glob("*.parquet"))
    resumed = sorted((out / "predictions").glob("*.parquet"))
    assert [p.name for p in resumed] == [p.name for p in reference]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(reference, resumed, strict=True))
    assert (out / "manifest.json").read_bytes() == (quickstart_run / "manifest.json").read_bytes()
    assert not list((out / "predictions").glob(".*tmp"))
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["sessions"] == 2
    assert run_info["seconds_complete"] is False


def test_resumed_run_adds_its_time(tmp_path):
    from robustmed.api import run_recipe

    out = tmp_path / "twice"
    run_recipe("quickstart", out)
    first = json.loads((out / "run.json").read_text())
    run_recipe("quickstart", out, resume=True)
    second = json.loads((out / "run.json").read_text())
    assert second["sessions"] == 2
    assert second["seconds"] >= first["seconds"]
    assert "seconds_complete" not in second
    assert "over 2 sessions" in (out / "report.html").read_text()


def test_bad_recipe_exit_code_and_message(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ndataset: {name: ad_data}\nmodel: {reference: ad_late_fusion}\n"
        "analyses:\n  - kind: degradation\n    generators: [gausian_noise]\n    levels: [0, 9]\n"
    )
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "unknown generator 'gausian_noise'; allowed:" in result.output
    assert "level 9.0 is out of range" in result.output
    assert "Traceback" not in result.output


def test_bad_analysis_kind(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ndataset: {name: ad_data}\nmodel: {reference: ad_late_fusion}\nanalyses:\n  - kind: magic\n")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "analyses.0" in result.output


def test_list_shows_generators_and_recipes():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "gaussian_noise" in result.output
    assert "quickstart" in result.output
    assert "ad_data" in result.output


def test_help_everywhere():
    for command in ([], ["run"], ["list"], ["report"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_cuda_unavailable_message(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    result = runner.invoke(app, ["run", "quickstart", "--out", str(tmp_path / "x"), "--device", "cuda"])
    assert result.exit_code == 1
    assert "CUDA is not available" in result.output


def test_report_on_empty_folder(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert "manifest.json not found" in result.output




def test_out_pointing_at_file_rejected(tmp_path):
    target = tmp_path / "afile"
    target.write_text("hi")
    result = runner.invoke(app, ["run", "quickstart", "--out", str(target)])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert "Traceback" not in result.output


def test_out_folder_with_unrelated_files_rejected(tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    result = runner.invoke(app, ["run", "quickstart", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not empty and contains no robustmed run" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_unknown_modality_exit_code_two(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ndataset: {name: ad_data}\nmodel: {reference: ad_late_fusion}\n"
        "analyses:\n  - kind: degradation\n    generators: [gaussian_noise]\n    modalities: [mri]\n"
    )
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "unknown modality 'mri'; allowed: proteins, csf, genotype" in result.output


def test_small_group_warning_prints_one_plain_line(capsys):
    from robustmed.cli import _show_warning
    from robustmed.errors import SmallGroupWarning

    _show_warning(SmallGroupWarning("group 'site=B' has 4 patients"), SmallGroupWarning, "grouping.py", 80)
    assert capsys.readouterr().err == "Warning: group 'site=B' has 4 patients\n"
