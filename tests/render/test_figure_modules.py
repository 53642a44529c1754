"""Every figure module draws in the shared style and saves through save_figure."""

import ast
import re
from pathlib import Path

import pytest

import robustmed.render.figures as figures_package
from robustmed.render.style import PALETTE

FIGURE_MODULES = sorted(
    path for path in Path(figures_package.__file__).parent.glob("*.py") if path.name != "__init__.py"
)
# Colour maps that misrepresent data or fail under colour-vision deficiencies.
BANNED_CMAPS = {"jet", "rainbow", "gist_rainbow", "hsv", "nipy_spectral", "gist_ncar", "prism", "flag"}
HEX_COLOUR = re.compile(r"""["'](#[0-9a-fA-F]{6})["']""")


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _inside_figure_style(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "figure_style":
                    return True
    return False


@pytest.mark.parametrize("path", FIGURE_MODULES, ids=lambda p: p.stem)
def test_figures_drawn_in_shared_style(path):
    tree = ast.parse(path.read_text())
    parents = _parents(tree)
    created = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("subplots", "figure", "subplot_mosaic")
        and getattr(node.func.value, "id", None) == "plt"
    ]
    outside = [node.lineno for node in created if not _inside_figure_style(node, parents)]
    assert outside == [], f"{path.name}: figures created outside figure_style() at lines {outside}"


@pytest.mark.parametrize("path", FIGURE_MODULES, ids=lambda p: p.stem)
def test_figures_saved_through_save_figure(path):
    source = path.read_text()
    assert ".savefig(" not in source, f"{path.name} saves figures itself; use save_figure"
    if "plt.subplots" in source:
        assert "save_figure" in source, f"{path.name} never calls save_figure"


@pytest.mark.parametrize("path", FIGURE_MODULES, ids=lambda p: p.stem)
def test_colours_from_palette(path):
    source = path.read_text()
    for colour in HEX_COLOUR.findall(source):
        red, green, blue = colour[1:3], colour[3:5], colour[5:7]
        assert colour.upper() in PALETTE or red == green == blue, f"{path.name}: {colour} is not in PALETTE"
    cmaps = set(re.findall(r"""cmap\s*=\s*["']([\w]+)["']""", source))
    cmaps |= set(re.findall(r"""get_cmap\(\s*["']([\w]+)["']""", source))
    assert not {name.removesuffix("_r") for name in cmaps} & BANNED_CMAPS, f"{path.name}: {sorted(cmaps)}"
