"""The evaluator interface and the run context evaluators share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from robustmed.engine.runner import Cell

if TYPE_CHECKING:
    from robustmed.data.batch import Batch
    from robustmed.data.datasets.base import Dataset
    from robustmed.engine.runner import Runner
    from robustmed.engine.store import PredictionStore
    from robustmed.models.adapter import ModelAdapter
    from robustmed.recipes.base import StrictModel
    from robustmed.render.html import ReportPart
    from robustmed.stats.bootstrap import Resampler


# A run whose dense bootstrap matrix would exceed this many bytes streams its degradation
# replicates instead (robustmed.stats.metric_replicates), which gives the same values.
DENSE_WEIGHTS_BYTES = 2**30


@dataclass
class RunContext:
    """Everything an evaluator may use during a run.

    Attributes
    ----------
    recipe : Recipe
    dataset : Dataset
    batch : Batch
        The evaluation split.
    adapter : ModelAdapter
    runner : Runner
        Runs cells (and caches late-fusion embeddings) on the recipe's device.
    store : PredictionStore
    root : Path
        Output folder; evaluators write only below it.
    resampler : Resampler
        Bootstrap replicates over ``batch`` (stratified by class, clustered by
        patient); shared by every analysis so that intervals are paired.
    n_resamples : int
    confidence : float
    """

    recipe: Any
    dataset: Dataset
    batch: Batch
    adapter: ModelAdapter
    runner: Runner
    store: PredictionStore
    root: Path
    resampler: Resampler
    n_resamples: int
    confidence: float

    @cached_property
    def weights(self) -> np.ndarray:
        """Return the (n_resamples, n) matrix of draw counts, built on first use (8 bytes per entry)."""
        return self.resampler.weights(0, self.n_resamples)

    @property
    def dense_weights_fit(self) -> bool:
        """Tell whether the dense weight matrix stays within ``DENSE_WEIGHTS_BYTES``."""
        return 8 * self.n_resamples * self.resampler.n <= DENSE_WEIGHTS_BYTES


class Evaluator(ABC):
    """One analysis kind: its recipe spec, the cells it needs, its tables and report section."""

    kind: ClassVar[str]
    spec_class: ClassVar[type[StrictModel]]

    def validate(self, spec: Any, context: RunContext) -> None:
        """Check the spec against the dataset and model; raise RecipeError naming the field."""

    def cells(self, spec: Any, context: RunContext) -> list[Cell]:
        """Cells whose predictions the engine must store before :meth:`evaluate`."""
        return []

    @abstractmethod
    def evaluate(self, spec: Any, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Return tidy tables by name; the caller stores them under ``tables/``."""

    @staticmethod
    @abstractmethod
    def section(root: Path, formats: list[str]) -> ReportPart | None:
        """Build the report section from stored tables only (no model), or None without tables."""
