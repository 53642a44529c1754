"""Degradation curves: metrics with intervals at every severity level of every generator."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from robustmed.data.spec import ModalitySpec
from robustmed.engine.runner import Cell, Perturbation
from robustmed.errors import RecipeError
from robustmed.generators.registry import build_generator
from robustmed.metrics.curves import normalised_auc, worst_drop
from robustmed.metrics.registry import get_metric
from robustmed.evaluators.base import Evaluator, RunContext
from robustmed.recipes.base import GeneratorNames, MetricNames, STANDARD_LEVELS, SeverityLevels, StrictModel
from robustmed.stats.intervals import estimate, interval, interval_method_label, recipe_interval_method

ANALYSIS = "degradation"
CLEAN = "none"


class DegradationAnalysis(StrictModel):
    """Degradation curves: metrics at each severity level of each generator."""

    kind: Literal["degradation"]
    generators: GeneratorNames = Field(min_length=1)
    modalities: list[str] | None = Field(None, description="default: every modality a generator accepts")
    levels: SeverityLevels = Field(default_factory=lambda: list(STANDARD_LEVELS), min_length=2)
    metrics: MetricNames = Field(default_factory=lambda: ["auroc", "balanced_accuracy", "ece", "brier"])
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)





def resolve_targets(spec: DegradationAnalysis, specs: dict[str, ModalitySpec]) -> list[tuple[str, str]]:
    """(generator, modality) pairs to sweep: every requested modality whose kind the generator accepts."""
    modalities = spec.modalities or list(specs)
    for name in modalities:
        if name not in specs:
            raise RecipeError(
                f"Invalid recipe: analyses.degradation.modalities: unknown modality {name!r}; "
                f"allowed: {', '.join(specs)}."
            )
    pairs = []
    for generator_name in spec.generators:
        generator = build_generator(generator_name)
        matched = [m for m in modalities if specs[m].kind in generator.kinds]
        if not matched:
            raise RecipeError(
                f"Invalid recipe: analyses.degradation.generators: {generator_name!r} accepts "
                f"{', '.join(sorted(generator.kinds))} but the selected modalities are "
                f"{', '.join(f'{m} ({specs[m].kind.value})' for m in modalities)}."
            )
        pairs.extend((generator_name, m) for m in matched)
    return pairs


def build_cells(spec: DegradationAnalysis, specs: dict[str, ModalitySpec]) -> list[Cell]:
    """Build one clean cell plus one cell per (generator, modality, level > 0, seed)."""
    cells = [Cell(ANALYSIS, {"generator": CLEAN, "modality": CLEAN, "level": 0.0, "seed": -1})]
    for generator_name, modality in resolve_targets(spec, specs):
        generator = build_generator(generator_name)
        for seed in spec.seeds:
            for level in spec.levels:
                if level == 0.0:
                    continue
                labels = {"generator": generator_name, "modality": modality, "level": float(level), "seed": seed}
                cells.append(Cell(ANALYSIS, labels, (Perturbation(generator, modality, float(level), seed),)))
    return cells


def _ordered(frame: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    return frame.iloc[np.argsort(frame["sample_id"].map(order).to_numpy(), kind="stable")]


def evaluate(
    spec: DegradationAnalysis,
    predictions: pd.DataFrame,
    sample_order: list[str],
    weights: np.ndarray | tuple,
    confidence: float,
    specs: dict[str, ModalitySpec],
    *,
    method: str = "percentile",
    clusters: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute the tidy ``degradation_metrics`` and ``degradation_summary`` tables.

    ``weights`` is the (replicates, n) bootstrap matrix over ``sample_order``, or
    (resampler, replicates) to stream them; the same replicates serve every cell,
    so intervals of different levels are paired.
    ``method`` is the interval method ("percentile" or "bca"); ``clusters`` holds
    the patient id of each sample in ``sample_order`` for the BCa jackknife.
    """
    order = {sid: i for i, sid in enumerate(sample_order)}
    frame = predictions[predictions["analysis"] == ANALYSIS]
    clean = frame[frame["generator"] == CLEAN]
    rows, replicate_store = [], {}
    pairs = resolve_targets(spec, specs)
    for task, task_clean in clean.groupby("task", sort=True):
        task_clean = _ordered(task_clean, order)
        for generator_name, modality in pairs:
            ladder = build_generator(generator_name).ladder
            for seed in spec.seeds:
                for level in spec.levels:
                    if level == 0.0:
                        cell = task_clean
                    else:
                        mask = (
                            (frame["generator"] == generator_name)
                            & (frame["modality"] == modality)
                            & (frame["level"] == level)
                            & (frame["seed"] == seed)
                            & (frame["task"] == task)
                        )
                        cell = _ordered(frame[mask], order)
                    y = cell["y_true"].to_numpy()
                    p = cell["prob"].to_numpy()
                    for metric_name in spec.metrics:
                        result = estimate(metric_name, y, p, weights, confidence, method=method, clusters=clusters)
                        replicate_store[(task, generator_name, modality, seed, metric_name, level)] = result
                        rows.append(
                            {
                                "task": task,
                                "generator": generator_name,
                                "modality": modality,
                                "seed": seed,
                                "level": level,
                                "severity_value": ladder.value(level),
                                "severity_parameter": ladder.parameter,
                                "subgroup": "all",
                                "metric": metric_name,
                                "value": result.value,
                                "ci_low": result.low,
                                "ci_high": result.high,
                                "interval_method": interval_method_label(method),
                                "n": len(y),
                                "n_patients": cell["patient_id"].nunique(),
                                "higher_is_better": get_metric(metric_name).higher_is_better,
                                "reason": result.reason,
                            }
                        )
    metrics = pd.DataFrame(rows)
    summary = _summaries(metrics, replicate_store, confidence, method)
    return {"degradation_metrics": metrics, "degradation_summary": summary}


def _summaries(metrics: pd.DataFrame, replicates: dict, confidence: float, method: str = "percentile") -> pd.DataFrame:
    """Reference-free curve summaries with intervals from the paired replicates."""
    rows = []
    keys = ["task", "generator", "modality", "seed", "metric"]
    for key, curve in metrics.groupby(keys, sort=True):
        curve = curve.sort_values("level")
        levels = curve["level"].to_numpy()
        higher = bool(curve["higher_is_better"].iloc[0])
        values = curve["value"].to_numpy()
        reps = np.vstack([replicates[(*key, level)].replicates for level in levels]).T  # (R, L)
        last = levels.argmax()

        def summary(v: np.ndarray) -> dict[str, float]:
            return {
                "auc_normalised": normalised_auc(levels, v),
                "retention_worst": v[last] / v[0] if v[0] != 0 else np.nan,
                "worst_level_drop": worst_drop(v[0], v[last], higher),
            }

        point = summary(values)
        replicate_values = [summary(r) for r in reps]
        jackknives = [replicates[(*key, level)].jackknife for level in levels]
        # A level without jackknife values (a degenerate cell whose metric is NaN) has a NaN summary anyway.
        curve_method = method if all(j is not None for j in jackknives) else "percentile"
        jackknife_values = None
        if curve_method == "bca":
            jackknife_values = [summary(j) for j in np.vstack(jackknives).T]  # one row per deleted patient group
        for measure, value in point.items():
            jackknife = None if jackknife_values is None else np.array([j[measure] for j in jackknife_values])
            low, high = interval(
                np.array([r[measure] for r in replicate_values]), confidence,
                method=curve_method, estimate=value, jackknife=jackknife,
            )
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "measure": measure,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "interval_method": interval_method_label(curve_method),
                    "clean_value": values[0],
                    "worst_level": levels[last],
                    "worst_level_value": values[last],
                    "higher_is_better": higher,
                    "n": int(curve["n"].iloc[0]),
                    "n_patients": int(curve["n_patients"].iloc[0]),
                }
            )
    return pd.DataFrame(rows)


class DegradationEvaluator(Evaluator):
    kind = ANALYSIS
    spec_class = DegradationAnalysis

    def validate(self, spec: DegradationAnalysis, context: RunContext) -> None:
        resolve_targets(spec, context.dataset.specs)

    def cells(self, spec: DegradationAnalysis, context: RunContext) -> list[Cell]:
        return build_cells(spec, context.dataset.specs)

    def evaluate(self, spec: DegradationAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
        # A large run streams its replicates rather than holding the dense matrix; values are equal.
        weights = context.weights if context.dense_weights_fit else (context.resampler, context.n_resamples)
        return evaluate(
            spec, predictions, context.batch.sample_ids, weights, context.confidence, context.dataset.specs,
            method=recipe_interval_method(context.recipe),
            # Without patient ids every sample is its own patient.
            clusters=None if context.batch.patient_ids is None else np.asarray(context.batch.patient_ids),
        )

    @staticmethod
    def section(root, formats):
        from robustmed.render.sections.degradation import degradation_section

        return degradation_section(root, formats)


EVALUATOR = DegradationEvaluator()
