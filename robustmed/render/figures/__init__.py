"""Figure functions, one module per analysis family, each drawing from tidy tables."""

from robustmed.render.figures.degradation import METRIC_LABELS, degradation_curves

__all__ = ["METRIC_LABELS", "degradation_curves"]
