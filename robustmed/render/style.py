"""One figure style for every robustmed figure: publication defaults, colour-blind-safe colours.

Every figure function draws inside :func:`figure_style` and saves through
:func:`save_figure`, so fonts, sizes, colours and file formats match across
analyses. Sizes follow two-column journal layouts: a single column is 3.5 in
(89 mm) wide, a full page width 7.2 in (183 mm).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common
# colour-vision deficiencies. Black comes last so that it marks a reference line
# only when more than seven series share a figure.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# Line styles that repeat the palette's order, so series stay apart in greyscale print.
LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

# Perceptually uniform colour maps that stay readable with colour-vision deficiencies:
# cividis (Nuñez et al. 2018) for one-signed values, ColorBrewer RdBu (marked colour-blind
# safe by ColorBrewer) for signed values centred on zero.
SEQUENTIAL_CMAP = "cividis"
DIVERGING_CMAP = "RdBu"

SINGLE_COLUMN = 3.5
DOUBLE_COLUMN = 7.2
PANEL_HEIGHT = 2.6

FORMATS = ("png", "pdf", "svg")
PNG_DPI = 200

RC = {
    # DejaVu Sans ships with matplotlib, so text metrics are identical on every machine.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "figure.titlesize": 9,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.3,
    "lines.markersize": 3.5,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "image.cmap": SEQUENTIAL_CMAP,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "savefig.facecolor": "white",
    # Embed TrueType fonts (Type 42) so that journals' PDF checks accept the files and
    # text stays editable; keep SVG text as text.
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    # A fixed salt makes the ids inside SVG files, and so their bytes, repeatable.
    "svg.hashsalt": "robustmed",
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the robustmed rc parameters inside a ``with`` block."""
    with plt.rc_context(RC):
        yield


def series_colours(names: Iterable[str]) -> dict[str, str]:
    """Map series names to palette colours in sorted order, so a name keeps its colour across figures."""
    ordered = sorted(dict.fromkeys(str(name) for name in names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered)}


def series_styles(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Colour, line style and marker for each series; styles change once the palette repeats."""
    ordered = sorted(dict.fromkeys(str(name) for name in names))
    styles = {}
    for i, name in enumerate(ordered):
        cycle = i // len(PALETTE)
        styles[name] = {
            "color": PALETTE[i % len(PALETTE)],
            "linestyle": LINESTYLES[cycle % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)],
        }
    return styles


def check_formats(formats: Sequence[str]) -> list[str]:
    """Validate figure formats and return them without duplicates, in the given order.

    Raises
    ------
    ValueError
        If ``formats`` is empty or names a format other than png, pdf or svg.
    """
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"Invalid figure formats {list(formats)!r}: allowed formats are {', '.join(FORMATS)} "
            "(at least one)."
        )
    return list(dict.fromkeys(formats))


def _metadata(fmt: str) -> dict[str, None] | None:
    # Dropping the creation date keeps PDF and SVG bytes identical between runs of the same
    # matplotlib version; PNG files carry no date.
    if fmt == "pdf":
        return {"CreationDate": None}
    if fmt == "svg":
        return {"Date": None}
    return None


def save_figure(figure, stem: Path, formats: list[str]) -> list[Path]:
    """Save ``figure`` as ``stem.<format>`` for each format and close it.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    stem : Path
        Path without suffix; parent folders are created.
    formats : list of {"png", "pdf", "svg"}
        PNG at 200 dpi for the HTML report, PDF and SVG as vector files for papers.

    Returns
    -------
    list of Path
        One path per format, in the order of ``formats``.
    """
    formats = check_formats(formats)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        with plt.rc_context(RC):
            for fmt in formats:
                path = stem.with_name(f"{stem.name}.{fmt}")
                temporary = path.with_name(f".{path.name}.tmp")
                figure.savefig(temporary, format=fmt, metadata=_metadata(fmt))
                temporary.replace(path)
                paths.append(path)
    finally:
        plt.close(figure)
    return paths


def png_path(paths: Sequence[Path]) -> Path:
    """The PNG among paths returned by :func:`save_figure` (the report embeds PNG)."""
    for path in paths:
        if path.suffix == ".png":
            return path
    raise ValueError(f"No PNG among {[str(p) for p in paths]}; save the figure with 'png' in formats.")
