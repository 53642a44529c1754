"""The generator gallery rendered by ``robustmed preview``."""

from typer.testing import CliRunner

from robustmed.cli import app
from robustmed.render.gallery import diff_segments

runner = CliRunner()


def test_diff_segments_by_word():
    pieces = diff_segments("There is no edema.", "There is edema.", by_word=True)
    assert ("delete", "no") in pieces
    assert "".join(text for op, text in pieces if op != "delete").replace(" ", "") == "Thereisedema."


def test_preview_renders_text_diffs(tmp_path):
    result = runner.invoke(app, ["preview", "--out", str(tmp_path), "--kind", "text", "--generator", "text_negation"])
    assert result.exit_code == 0, result.output
    assert f"Gallery: {tmp_path / 'index.html'}" in result.output
    page = (tmp_path / "index.html").read_text()
    assert "text_negation" in page
    assert "<del>" in page or "<ins>" in page
    assert 'src="figures/text-text_negation.png"' in page
    assert (tmp_path / "figures" / "text-text_negation.png").stat().st_size > 10_000


def test_preview_escapes_sample_text(tmp_path, monkeypatch):
    import robustmed.data.samples as samples

    original = samples.real_samples

    def with_markup(kind):
        return [
            (name, ["MKT<script>alert(1)</script>" + v for v in values], spec, caption + " <b>bold</b>")
            for name, values, spec, caption in original(kind)
        ]

    monkeypatch.setattr(samples, "real_samples", with_markup)
    result = runner.invoke(app, ["preview", "--out", str(tmp_path), "--kind", "protein", "--generator", "protein_unknown"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "index.html").read_text()
    assert "<script>" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_preview_of_signal_and_table(tmp_path):
    result = runner.invoke(
        app,
        ["preview", "--out", str(tmp_path), "--kind", "signal", "--kind", "omics",
         "--generator", "signal_emg", "--generator", "omics_dropout"],
    )
    assert result.exit_code == 0, result.output
    figures = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert figures == ["omics-omics_dropout.png", "signal-signal_emg.png"]


def test_preview_rejects_generator_of_no_selected_kind(tmp_path):
    result = runner.invoke(app, ["preview", "--out", str(tmp_path), "--kind", "dna", "--generator", "signal_emg"])
    assert result.exit_code == 2
    assert "No generator accepts the selected modality kinds" in result.output
