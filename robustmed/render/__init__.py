"""Figure style, figures, tables and the HTML report."""

from robustmed.render.report import render_report

__all__ = ["render_report"]
