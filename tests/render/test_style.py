"""The shared figure style: formats, repeatable bytes, colours."""

import matplotlib.pyplot as plt
import pytest

from robustmed.render.style import PALETTE, figure_style, png_path, save_figure, series_colours, series_styles


def _draw():
    with figure_style():
        figure, axis = plt.subplots(figsize=(3, 2))
        axis.plot([0, 1, 2], [0.9, 0.8, 0.6], label="proteins")
        axis.fill_between([0, 1, 2], [0.85, 0.7, 0.5], [0.95, 0.9, 0.7], alpha=0.2)
        axis.set_title("<title & text>")
        axis.legend()
    return figure


def test_save_figure_writes_formats_in_order(tmp_path):
    paths = save_figure(_draw(), tmp_path / "sub" / "figure", ["svg", "png", "pdf"])
    assert [p.name for p in paths] == ["figure.svg", "figure.png", "figure.pdf"]
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[2].read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in paths[0].read_bytes()
    assert not list(tmp_path.glob("sub/.*.tmp"))


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_save_figure_bytes_repeat(tmp_path, fmt):
    first = save_figure(_draw(), tmp_path / "a", [fmt])[0].read_bytes()
    second = save_figure(_draw(), tmp_path / "b", [fmt])[0].read_bytes()
    assert first == second


def test_save_figure_keeps_dots_in_stem(tmp_path):
    paths = save_figure(_draw(), tmp_path / "missing_0.5", ["png"])
    assert paths == [tmp_path / "missing_0.5.png"]


def test_save_figure_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"Invalid figure formats \['eps'\]"):
        save_figure(_draw(), tmp_path / "x", ["eps"])


def test_pdf_embeds_truetype_fonts(tmp_path):
    pdf = save_figure(_draw(), tmp_path / "fonts", ["pdf"])[0].read_bytes()
    assert b"/TrueType" in pdf or b"/CIDFontType2" in pdf
    assert b"/Type3" not in pdf


def test_png_path_requires_png(tmp_path):
    with pytest.raises(ValueError, match="No PNG"):
        png_path([tmp_path / "a.pdf"])


def test_series_colours_stable_by_name():
    first = series_colours(["mcar_missing", "gaussian_noise"])
    second = series_colours(["gaussian_noise", "mcar_missing", "gaussian_noise"])
    assert first == second == {"gaussian_noise": PALETTE[0], "mcar_missing": PALETTE[1]}


def test_series_styles_change_line_after_palette():
    names = [f"series{i:02d}" for i in range(len(PALETTE) + 1)]
    styles = series_styles(names)
    assert styles[names[0]]["color"] == styles[names[-1]]["color"]
    assert styles[names[0]]["linestyle"] != styles[names[-1]]["linestyle"]
