"""Batched execution on a device, embedding cache and the predictions store."""

from robustmed.engine.runner import Cell, Perturbation, Runner
from robustmed.engine.store import PredictionStore

__all__ = ["Cell", "Perturbation", "PredictionStore", "Runner"]
