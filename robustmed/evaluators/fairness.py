"""Subgroup fairness audit, crossed with perturbation severity.

For every cell (the clean input, and each generator × modality × level × seed
when generators are given) and every subgroup of each metadata attribute and
intersection: registry metrics, calibration, rates at one decision threshold
and decision-curve net benefit, each with a bootstrap interval. Across
subgroups: worst group, differences and ratios (fairlearn ``MetricFrame``
definitions) and the equalized-odds, equal-opportunity and demographic-parity
criteria. The threshold is chosen once on clean predictions and held fixed
under every perturbation and for every subgroup.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from robustmed.data.spec import ModalitySpec
from robustmed.engine.runner import Cell
from robustmed.errors import RecipeError
from robustmed.evaluators import grouping
from robustmed.evaluators.base import Evaluator, RunContext
from robustmed.evaluators.degradation import DegradationAnalysis, build_cells, resolve_targets
from robustmed.generators.registry import build_generator
from robustmed.metrics import fairness as fm
from robustmed.metrics.calibration import reliability_bins
from robustmed.metrics.classification import ECE_BINS
from robustmed.metrics.operating_points import RATE_NAMES, choose_threshold, rates
from robustmed.recipes.base import GeneratorNames, MetricNames, STANDARD_LEVELS, SeverityLevels, StrictModel
from robustmed.stats.intervals import interval_method_label, recipe_interval_method

ANALYSIS = "fairness"
CLEAN = "none"
CLEAN_LABELS = {"generator": CLEAN, "modality": CLEAN, "level": 0.0, "seed": -1}


class BinSpec(StrictModel):
    """Left-closed bins of a numeric metadata column, e.g. age edges [18, 60, 70, 120]."""

    column: str
    edges: list[float] = Field(min_length=2)

    @field_validator("edges")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(value[:-1], value[1:], strict=True)):
            raise ValueError(f"edges must increase strictly; got {value}")
        return value


class ThresholdSpec(StrictModel):
    """Rule, target and split for choosing the decision threshold on clean predictions."""

    rule: Literal["youden", "sensitivity", "specificity"] = "youden"
    target: float | None = Field(None, ge=0.0, le=1.0, description="target sensitivity or specificity")
    split: Literal["evaluation", "train"] = Field(
        "evaluation", description="clean predictions of the evaluation split, or of the dataset's train split"
    )

    @model_validator(mode="after")
    def _target_given(self) -> ThresholdSpec:
        if self.rule != "youden" and self.target is None:
            raise ValueError(f"threshold.rule {self.rule!r} needs threshold.target (a number in [0, 1])")
        return self


class FairnessAnalysis(StrictModel):
    """Per-subgroup metrics, disparities and fairness criteria, optionally at every severity level."""

    kind: Literal["fairness"]
    attributes: list[str] = Field(min_length=1, description="metadata columns or names defined in bins")
    intersections: list[list[str]] = Field(default_factory=list, description="attribute combinations")
    bins: dict[str, BinSpec] = Field(default_factory=dict, description="new attribute name -> binned column")
    metrics: MetricNames = Field(
        default_factory=lambda: ["auroc", "balanced_accuracy", "ece", "ece_equal_mass", "brier", "nll"]
    )
    min_group_size: int = Field(20, ge=1)
    threshold: ThresholdSpec = Field(default_factory=ThresholdSpec)
    net_benefit_thresholds: list[float] = Field(default_factory=lambda: [0.1, 0.2, 0.3])
    generators: GeneratorNames = Field(default_factory=list)
    modalities: list[str] | None = None
    levels: SeverityLevels = Field(default_factory=lambda: list(STANDARD_LEVELS), min_length=2)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)




    @field_validator("intersections")
    @classmethod
    def _at_least_two(cls, value: list[list[str]]) -> list[list[str]]:
        for combination in value:
            if len(combination) < 2 or len(set(combination)) != len(combination):
                raise ValueError(f"each intersection names at least two different attributes; got {combination}")
        return value

    @field_validator("net_benefit_thresholds")
    @classmethod
    def _probabilities(cls, value: list[float]) -> list[float]:
        for pt in value:
            if not 0.0 < pt < 1.0:
                raise ValueError(f"net_benefit_thresholds must lie in (0, 1); got {pt!r}")
        return sorted(value)

    def degradation(self) -> DegradationAnalysis:
        return DegradationAnalysis(
            kind="degradation", generators=self.generators, modalities=self.modalities, levels=self.levels,
            seeds=self.seeds,
        )


def attribute_table(spec: FairnessAnalysis, metadata: pd.DataFrame) -> dict[str, np.ndarray]:
    """Subgroup labels of every sample per attribute and intersection, validated against ``metadata``."""
    columns = metadata.copy()
    for name, binning in spec.bins.items():
        if binning.column not in metadata.columns:
            raise RecipeError(
                f"Invalid recipe: analyses.fairness.bins.{name}.column: unknown metadata column "
                f"{binning.column!r}; available: {', '.join(map(str, metadata.columns))}."
            )
        if not pd.api.types.is_numeric_dtype(metadata[binning.column]):
            raise RecipeError(
                f"Invalid recipe: analyses.fairness.bins.{name}.column: {binning.column!r} is not numeric, "
                "so it cannot be binned; list it under attributes instead."
            )
        columns[name] = fm.bin_column(metadata[binning.column], binning.edges)
    known = list(columns.columns)
    named = [[a] for a in spec.attributes] + [list(c) for c in spec.intersections]
    labels = {}
    for combination in named:
        for attribute in combination:
            if attribute not in known:
                raise RecipeError(
                    f"Invalid recipe: analyses.fairness.attributes: unknown attribute {attribute!r}; "
                    f"allowed: metadata columns {', '.join(map(str, metadata.columns))} or names defined in bins."
                )
        labels[fm.INTERSECTION_SEPARATOR.join(combination)] = fm.attribute_labels(columns, combination)
    return labels


def _disparity_direction(metric: str, measure: str) -> bool:
    """Return whether a larger disparity value is better.

    The worst group follows its metric's direction; ratios are higher-is-better and differences lower-is-better.
    """
    if measure == "worst_group":
        return grouping.higher_is_better(metric)
    return measure.startswith("ratio")


def _curves(spec: FairnessAnalysis, specs: dict[str, ModalitySpec]) -> list[tuple[str, str, int]]:
    if not spec.generators:
        return [(CLEAN, CLEAN, -1)]
    return [(g, m, s) for g, m in resolve_targets(spec.degradation(), specs) for s in spec.seeds]


def _cell_predictions(frame: pd.DataFrame, order: dict[str, int], task: str, curve, level: float) -> pd.DataFrame:
    generator, modality, seed = curve
    if level == 0.0:
        mask = frame["generator"] == CLEAN
    else:
        mask = (
            (frame["generator"] == generator)
            & (frame["modality"] == modality)
            & (frame["level"] == level)
            & (frame["seed"] == seed)
        )
    cell = frame[mask & (frame["task"] == task)]
    return cell.iloc[np.argsort(cell["sample_id"].map(order).to_numpy(), kind="stable")]


def _threshold(spec: FairnessAnalysis, context: RunContext, task: str, y: np.ndarray, p: np.ndarray) -> dict:
    if spec.threshold.split == "train":
        train = context.dataset.split("train")
        parts = [
            context.runner.adapter.predict(chunk.to(context.runner.device))[task].detach().cpu().double().numpy()
            for chunk in train.iter_batches(context.runner.batch_size)
        ]
        y, p = train.targets[task].numpy().astype(np.int64), np.concatenate(parts)
    value = choose_threshold(y, p, spec.threshold.rule, spec.threshold.target)
    at = rates(y, p, value)
    return {
        "task": task,
        "rule": spec.threshold.rule,
        "target": spec.threshold.target if spec.threshold.target is not None else np.nan,
        "split": spec.threshold.split,
        "threshold": value,
        "n": len(y),
        "sensitivity": at["sensitivity"],
        "specificity": at["specificity"],
    }


def _evaluate_cell(
    spec, y, p, patients, groupings, weights, confidence, threshold, with_reliability, method="percentile"
):
    """Compute the rows of every fairness table for one cell, without the cell's labels.

    ``method`` is the interval method; BCa jackknives delete one of ``patients`` at a time.
    """
    measure_names = list(spec.metrics) + list(RATE_NAMES)
    label = interval_method_label(method)
    overall = grouping.group_values(
        grouping.overall_group(patients), y, p, weights, confidence, metrics=spec.metrics, threshold=threshold,
        net_benefit_thresholds=spec.net_benefit_thresholds, method=method, clusters=patients,
    )
    group_rows, disparity_rows, criteria_rows, reliability_rows = [], [], [], []
    per_attribute = [(grouping.OVERALL, [overall])]
    for attribute, groups in groupings.items():
        values = [
            grouping.group_values(
                g, y, p, weights, confidence, metrics=spec.metrics, threshold=threshold,
                net_benefit_thresholds=spec.net_benefit_thresholds, method=method, clusters=patients,
            )
            for g in groups
        ]
        per_attribute.append((attribute, values))
        for measure in measure_names:
            estimates, info = grouping.disparity_estimates(values, overall, measure, confidence, method=method)
            for name, e in estimates.items():
                disparity_rows.append(
                    {
                        "attribute": attribute, "metric": measure, "measure": name, "value": e.value,
                        "ci_low": e.low, "ci_high": e.high, "interval_method": label,
                        "n": int(sum(g.group.n for g in values if g.group.subgroup in info["used"])),
                        "n_patients": int(sum(g.group.n_patients for g in values if g.group.subgroup in info["used"])),
                        "n_groups": len(info["used"]),
                        "worst_subgroup": info["worst_subgroup"] if name == "worst_group" else "",
                        "excluded_subgroups": ", ".join(
                            [g.group.subgroup for g in values if not g.group.eligible] + info["excluded"]
                        ),
                        "replicates_used": info["replicates_used"],
                        "higher_is_better": _disparity_direction(measure, name),
                        "reason": e.reason,
                    }
                )
        estimates, used = grouping.criteria_estimates(values, confidence, method=method)
        for name, e in estimates.items():
            criteria_rows.append(
                {
                    "attribute": attribute, "criterion": name, "threshold": threshold, "value": e.value,
                    "ci_low": e.low, "ci_high": e.high, "interval_method": label,
                    "n": int(sum(g.group.n for g in values if g.group.subgroup in used)),
                    "n_patients": int(sum(g.group.n_patients for g in values if g.group.subgroup in used)),
                    "n_groups": len(used), "reason": e.reason,
                }
            )
    for attribute, values in per_attribute:
        for g in values:
            for measure, e in g.values.items():
                group_rows.append(
                    {
                        "attribute": attribute, "subgroup": g.group.subgroup, "metric": measure, "value": e.value,
                        "ci_low": e.low, "ci_high": e.high, "interval_method": label, "n": g.group.n,
                        "n_patients": g.group.n_patients, "higher_is_better": grouping.higher_is_better(measure),
                        "reason": e.reason,
                    }
                )
            if with_reliability and g.group.eligible:
                for binning in ("equal_width", "equal_mass"):
                    bins = reliability_bins(y[g.group.index], p[g.group.index], ECE_BINS, binning)
                    bins.insert(0, "binning", binning)
                    bins.insert(0, "subgroup", g.group.subgroup)
                    bins.insert(0, "attribute", attribute)
                    reliability_rows.append(bins)
    return group_rows, disparity_rows, criteria_rows, reliability_rows


def evaluate(spec: FairnessAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Compute the ``fairness_*`` tables (groups, disparities, criteria, threshold, reliability)."""
    batch = context.batch
    order = {sid: i for i, sid in enumerate(batch.sample_ids)}
    patients = np.asarray(batch.patient_ids if batch.patient_ids is not None else batch.sample_ids)
    labels = attribute_table(spec, batch.metadata)
    groupings = {a: grouping.build_groups(v, patients, a, spec.min_group_size) for a, v in labels.items()}

    frame = predictions[predictions["analysis"] == ANALYSIS]
    tables: dict[str, list] = {"groups": [], "disparities": [], "criteria": [], "reliability": []}
    thresholds = []
    for task in sorted(frame["task"].unique()):
        clean = _cell_predictions(frame, order, task, (CLEAN, CLEAN, -1), 0.0)
        y = clean["y_true"].to_numpy()
        threshold = _threshold(spec, context, task, y, clean["prob"].to_numpy())
        thresholds.append(threshold)
        cache = {}
        for curve in _curves(spec, context.dataset.specs):
            generator, modality, seed = curve
            ladder = build_generator(generator).ladder if generator != CLEAN else None
            levels = spec.levels if generator != CLEAN else [0.0]
            for level in levels:
                key = (CLEAN,) if level == 0.0 else (*curve, level)
                if key not in cache:
                    cell = _cell_predictions(frame, order, task, curve, level)
                    cache[key] = _evaluate_cell(
                        spec, cell["y_true"].to_numpy(), cell["prob"].to_numpy(), cell["patient_id"].to_numpy(),
                        groupings, context.weights, context.confidence, threshold["threshold"],
                        with_reliability=level == 0.0 or level == max(spec.levels),
                        method=recipe_interval_method(context.recipe),
                    )
                labels_row = {
                    "task": task, "generator": generator, "modality": modality, "seed": seed, "level": level,
                    "severity_value": ladder.value(level) if ladder is not None else 0.0,
                    "severity_parameter": ladder.parameter if ladder is not None else "",
                }
                group_rows, disparity_rows, criteria_rows, reliability_rows = cache[key]
                for name, rows in (("groups", group_rows), ("disparities", disparity_rows), ("criteria", criteria_rows)):
                    tables[name].extend({**labels_row, **row} for row in rows)
                for bins in reliability_rows:
                    tables["reliability"].append(bins.assign(**labels_row))
    reliability = pd.concat(tables["reliability"], ignore_index=True) if tables["reliability"] else pd.DataFrame()
    return {
        "fairness_groups": pd.DataFrame(tables["groups"]),
        "fairness_disparities": pd.DataFrame(tables["disparities"]),
        "fairness_criteria": pd.DataFrame(tables["criteria"]),
        "fairness_threshold": pd.DataFrame(thresholds),
        "fairness_reliability": reliability,
    }


class FairnessEvaluator(Evaluator):
    kind = ANALYSIS
    spec_class = FairnessAnalysis

    def validate(self, spec: FairnessAnalysis, context: RunContext) -> None:
        attribute_table(spec, context.batch.metadata)
        for task in context.dataset.tasks.values():
            if task.type != "binary":
                raise RecipeError(
                    f"Invalid recipe: analyses.fairness: task {task.name!r} is {task.type}; the fairness "
                    "analysis supports binary tasks."
                )
        if spec.generators:
            resolve_targets(spec.degradation(), context.dataset.specs)

    def cells(self, spec: FairnessAnalysis, context: RunContext) -> list[Cell]:
        if not spec.generators:
            return [Cell(ANALYSIS, dict(CLEAN_LABELS))]
        return [Cell(ANALYSIS, c.labels, c.perturbations) for c in build_cells(spec.degradation(), context.dataset.specs)]

    def evaluate(self, spec: FairnessAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
        return evaluate(spec, context, predictions)

    @staticmethod
    def section(root, formats):
        from robustmed.render.sections.fairness import fairness_section

        return fairness_section(root, formats)


EVALUATOR = FairnessEvaluator()
