"""Severity calibration: fidelity measures, the table, and ``robustmed calibrate``."""

import math

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from robustmed.cli import app
from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators.calibration import TARGET_LOSS, calibrate, summarise, to_markdown
from robustmed.generators.fidelity import fidelity_loss

runner = CliRunner()


def test_signal_loss_is_noise_power_fraction():
    spec = ModalitySpec("ecg", ModalityKind.SIGNAL, (1, 4), sampling_rate=100.0)
    clean = torch.tensor([[[1.0, -1.0, 1.0, -1.0]]])
    noisy = clean + torch.tensor([[[1.0, -1.0, 1.0, -1.0]]]) / 3
    measure, loss = fidelity_loss(clean, noisy, torch.tensor([True]), torch.tensor([True]), spec)
    # Signal power 1, noise power 1/9: SNR 9 (9.54 dB), loss 1/(1 + 9) = 0.1.
    assert loss[0] == pytest.approx(0.1)
    assert measure[0] == pytest.approx(10 * math.log10(9))


def test_edit_distance_and_absence():
    spec = ModalitySpec("genes", ModalityKind.DNA, (), dtype=None)
    measure, loss = fidelity_loss(
        ["ACGTACGTAC", "ACGT"], ["ACGTACGTAA", "ACGT"], torch.tensor([True, True]), torch.tensor([True, False]), spec
    )
    assert loss[0] == pytest.approx(0.1)
    assert loss[1] == 1.0
    assert math.isnan(measure[1])


def test_changed_fraction_uses_tolerance():
    spec = ModalitySpec(
        "labs", ModalityKind.TABULAR, (4,), feature_scale=torch.tensor([4.0, 4.0, 4.0, 4.0])
    )
    clean = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    perturbed = torch.tensor([[1.5, 2.0, float("nan"), 8.0]])
    _, loss = fidelity_loss(clean, perturbed, torch.tensor([True]), torch.tensor([True]), spec)
    # 0.5 is within a quarter SD (1.0); NaN and +4 count as changed.
    assert loss[0] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def protein_table():
    return calibrate(kinds=["protein"], generators=["protein_substitution", "protein_unknown"])


def test_calibration_table_is_long_and_monotone(protein_table):
    assert set(protein_table["level"]) == set(range(6))
    assert set(protein_table["generator"]) == {"protein_substitution", "protein_unknown"}
    summary = summarise(protein_table)
    assert summary["monotone"].all()
    assert (summary["loss_0"] == 0).all()
    level_three = protein_table[protein_table["level"] == 3]["loss"]
    assert (level_three - TARGET_LOSS[3]).abs().max() < 0.05


def test_markdown_has_one_row_per_pair(protein_table):
    text = to_markdown(summarise(protein_table), "robustmed calibrate --kind protein")
    assert "## protein" in text
    assert text.count("| protein_") == 2
    assert "`robustmed calibrate --kind protein`" in text


def test_cli_calibrate_writes_tables(tmp_path):
    result = runner.invoke(
        app, ["calibrate", "--out", str(tmp_path), "--kind", "dna", "--generator", "dna_substitution"]
    )
    assert result.exit_code == 0, result.output
    assert "Calibrated 1 generator-sample pairs." in result.output
    table = pd.read_csv(tmp_path / "calibration.csv")
    assert list(table["level"]) == list(range(6))
    assert table["loss"].is_monotonic_increasing
    assert "dna_substitution" in (tmp_path / "calibration.md").read_text()


def test_cli_calibrate_rejects_unknown_kind(tmp_path):
    result = runner.invoke(app, ["calibrate", "--out", str(tmp_path), "--kind", "radiology"])
    assert result.exit_code == 2
    assert "Unknown modality kind 'radiology'; allowed kinds: image" in result.output
    assert "Traceback" not in result.output


def test_cli_calibrate_rejects_unknown_generator(tmp_path):
    result = runner.invoke(app, ["calibrate", "--out", str(tmp_path), "--generator", "dna_typo"])
    assert result.exit_code == 2
    assert "Unknown generator(s) dna_typo" in result.output


def _table(rows: dict[str, list[float]]) -> pd.DataFrame:
    records = [
        {"kind": "audio", "sample": "s", "generator": name, "level": level, "loss": loss}
        for name, losses in rows.items()
        for level, loss in enumerate(losses)
    ]
    return pd.DataFrame.from_records(records)


def test_summary_tolerates_jitter_and_marks_flat_rows():
    summary = summarise(
        _table(
            {
                "jitter": [0.0, 0.0030157, 0.0030154, 0.0030155, 0.003017, 0.00302],
                "falls": [0.0, 0.05, 0.04, 0.2, 0.35, 0.5],
                "rises": [0.0, 0.05, 0.1, 0.2, 0.35, 0.5],
            }
        )
    ).set_index("generator")
    assert summary.loc["jitter", "monotone"]
    assert summary.loc["jitter", "flat"]
    assert not summary.loc["falls", "monotone"]
    assert summary.loc["rises", "monotone"]
    assert not summary.loc["rises", "flat"]
    assert "| jitter | s | 0.003 | 0.003 | 0.003 | 0.003 | 0.003 | yes, flat |" in to_markdown(summary.reset_index(), "c")
