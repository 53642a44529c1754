"""Distribution shift: natural shift across domains and synthetic shifts by reweighting.

Natural shift compares the domains of a metadata column (sites, scanners,
periods): in-domain values are those seen in the training split unless the
recipe lists them. Synthetic shifts reweight the clean evaluation predictions
with importance weights, so no new inference is needed: a label-prevalence
shift sets the positive fraction to a target, and a covariate shift tilts the
distribution of one attribute. All intervals come from the run's bootstrap
replicates, so in-domain and out-of-domain values are paired.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from robustmed.engine.runner import Cell
from robustmed.errors import RecipeError
from robustmed.evaluators import grouping
from robustmed.evaluators.base import Evaluator, RunContext
from robustmed.metrics import fairness as fm
from robustmed.metrics.registry import get_metric
from robustmed.recipes.base import StrictModel, check_metric_names
from robustmed.stats.intervals import bca_jackknife, derived_interval, interval_method_label, recipe_interval_method

ANALYSIS = "shift"
CLEAN_LABELS = {"generator": "none", "modality": "none", "level": 0.0, "seed": -1}
IN_DOMAIN = "in-domain"
OUT_OF_DOMAIN = "out-of-domain"


class CovariateShiftSpec(StrictModel):
    """A covariate shift on one metadata attribute.

    A numeric attribute is tilted exponentially: weights ∝ exp(strength · z),
    z the attribute standardised on the evaluation split, so strength is in
    log-odds per standard deviation (0 is no shift). A categorical attribute
    gets ``level``'s share of the samples set to each strength in (0, 1).
    """

    attribute: str
    strengths: list[float] = Field(min_length=1)
    level: str | None = Field(None, description="categorical attributes: the level whose share is set")


class ShiftAnalysis(StrictModel):
    """Natural shift across domains and synthetic label-prevalence and covariate shifts."""

    kind: Literal["shift"]
    metrics: list[str] = Field(default_factory=lambda: ["auroc", "balanced_accuracy", "ece", "brier"])
    domain_column: str | None = Field(None, description="metadata column naming each sample's domain (site)")
    in_domain: list[str] | None = Field(None, description="default: the domains present in the train split")
    min_group_size: int = Field(10, ge=1)
    prevalence: list[float] = Field(default_factory=list, description="target positive fractions in (0, 1)")
    covariate: CovariateShiftSpec | None = None

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        return check_metric_names(value)

    @field_validator("prevalence")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        for fraction in value:
            if not 0.0 < fraction < 1.0:
                raise ValueError(f"prevalence values must lie in (0, 1); got {fraction!r}")
        return sorted(value)

    @model_validator(mode="after")
    def _something_to_do(self) -> ShiftAnalysis:
        if self.domain_column is None and not self.prevalence and self.covariate is None:
            raise ValueError("set at least one of domain_column, prevalence or covariate")
        return self


def kish_effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw² of importance weights."""
    return float(weights.sum() ** 2 / (weights**2).sum())


def prevalence_weights(y: np.ndarray, target: float) -> np.ndarray:
    """Importance weights that make the positive fraction ``target``, with mean 1."""
    observed = y.mean()
    return np.where(y == 1, target / observed, (1.0 - target) / (1.0 - observed))


def covariate_weights(values: pd.Series, spec: CovariateShiftSpec, strength: float) -> np.ndarray:
    """Importance weights (mean 1) for one covariate-shift strength; samples with a missing value keep weight 1."""
    if pd.api.types.is_numeric_dtype(values):
        x = values.to_numpy(dtype=np.float64)
        z = (x - np.nanmean(x)) / np.nanstd(x)
        tilt = np.exp(strength * np.nan_to_num(z, nan=0.0))
        tilt[np.isnan(z)] = np.nan
        tilt = tilt / np.nanmean(tilt)
        return np.nan_to_num(tilt, nan=1.0)
    member = (values.astype(str) == spec.level).to_numpy()
    share = member.mean()
    return np.where(member, strength / share, (1.0 - strength) / (1.0 - share))


def _validate(spec: ShiftAnalysis, context: RunContext) -> None:
    metadata = context.batch.metadata
    columns = ", ".join(map(str, metadata.columns)) or "none"
    if spec.domain_column is not None and spec.domain_column not in metadata.columns:
        raise RecipeError(
            f"Invalid recipe: analyses.shift.domain_column: unknown metadata column {spec.domain_column!r}; "
            f"allowed: {columns}."
        )
    if spec.covariate is not None:
        attribute = spec.covariate.attribute
        if attribute not in metadata.columns:
            raise RecipeError(
                f"Invalid recipe: analyses.shift.covariate.attribute: unknown metadata column {attribute!r}; "
                f"allowed: {columns}."
            )
        if not pd.api.types.is_numeric_dtype(metadata[attribute]):
            levels = sorted(metadata[attribute].dropna().astype(str).unique())
            if spec.covariate.level not in levels:
                raise RecipeError(
                    f"Invalid recipe: analyses.shift.covariate.level: {attribute!r} is categorical, so level must "
                    f"name one of its values: {', '.join(levels)}; got {spec.covariate.level!r}."
                )
            for share in spec.covariate.strengths:
                if not 0.0 < share < 1.0:
                    raise RecipeError(
                        "Invalid recipe: analyses.shift.covariate.strengths: for a categorical attribute each "
                        f"strength is the share of {spec.covariate.level!r} and must lie in (0, 1); got {share!r}."
                    )
    for task in context.dataset.tasks.values():
        if task.type != "binary":
            raise RecipeError(
                f"Invalid recipe: analyses.shift: task {task.name!r} is {task.type}; the shift analysis "
                "supports binary tasks."
            )


def _in_domain(spec: ShiftAnalysis, context: RunContext) -> list[str]:
    if spec.in_domain is not None:
        return [str(d) for d in spec.in_domain]
    train = context.dataset.split("train").metadata[spec.domain_column]
    return sorted(train.dropna().astype(str).unique())


def _domain_tables(spec, context, task, y, p, patients):
    """Per-domain and pooled metrics, and the ID-vs-OOD gap and domain disparities."""
    labels = fm.attribute_labels(context.batch.metadata, [spec.domain_column])
    inside = set(_in_domain(spec, context))
    weights, confidence = context.weights, context.confidence
    method = recipe_interval_method(context.recipe)
    label = interval_method_label(method)
    domains = grouping.build_groups(labels, patients, spec.domain_column, spec.min_group_size)
    pool_labels = np.where(np.isin(labels, list(inside)), IN_DOMAIN, OUT_OF_DOMAIN)
    pools = grouping.build_groups(pool_labels, patients, "pool", 1, warn=False)

    def values_of(group: grouping.Group) -> grouping.GroupValues:
        return grouping.group_values(
            group, y, p, weights, confidence, metrics=spec.metrics, method=method, clusters=patients
        )

    overall = values_of(grouping.overall_group(patients))
    domain_values = [values_of(g) for g in domains]
    pool_values = {g.subgroup: values_of(g) for g in pools}

    rows = []
    for kind, values in (("pool", [overall, *pool_values.values()]), ("domain", domain_values)):
        for g in values:
            if kind == "pool":
                pool = g.group.subgroup
            elif g.group.subgroup in inside:
                pool = IN_DOMAIN
            else:
                pool = OUT_OF_DOMAIN
            for metric in spec.metrics:
                e = g.values[metric]
                rows.append(
                    {
                        "task": task, "attribute": spec.domain_column if kind == "domain" else "pool",
                        "subgroup": g.group.subgroup, "domain_type": kind, "pool": pool, "metric": metric,
                        "value": e.value, "ci_low": e.low, "ci_high": e.high, "interval_method": label,
                        "n": g.group.n, "n_patients": g.group.n_patients,
                        "higher_is_better": get_metric(metric).higher_is_better, "reason": e.reason,
                    }
                )

    gap_rows = []
    for metric in spec.metrics:
        higher = get_metric(metric).higher_is_better
        base = {"task": task, "metric": metric, "interval_method": label, "higher_is_better": higher}
        if IN_DOMAIN in pool_values and OUT_OF_DOMAIN in pool_values:
            ind, ood = pool_values[IN_DOMAIN].values[metric], pool_values[OUT_OF_DOMAIN].values[metric]
            point = ood.value - ind.value
            replicates = ood.replicates - ind.replicates
            jackknife = None
            if ind.jackknife is not None and ood.jackknife is not None:
                jackknife = ood.jackknife - ind.jackknife
            low, high = derived_interval(point, replicates, confidence, method=method, jackknife=jackknife)
            gap_rows.append(
                {**base, "measure": "ood_minus_id", "subgroup": "", "value": point, "ci_low": low, "ci_high": high,
                 "n": len(y), "n_patients": len(np.unique(patients)),
                 "replicates_used": int(np.isfinite(replicates).sum()),
                 "reason": "" if np.isfinite(point) else "undefined in one of the pools"}
            )
        else:
            missing = IN_DOMAIN if IN_DOMAIN not in pool_values else OUT_OF_DOMAIN
            gap_rows.append(
                {**base, "measure": "ood_minus_id", "subgroup": "", "value": np.nan, "ci_low": np.nan,
                 "ci_high": np.nan, "n": len(y), "n_patients": len(np.unique(patients)), "replicates_used": 0,
                 "reason": f"no {missing} samples in the evaluation split"}
            )
        estimates, info = grouping.disparity_estimates(domain_values, overall, metric, confidence, method=method)
        used = [g for g in domain_values if g.group.subgroup in info["used"]]
        for measure, name in (("worst_group", "worst_domain"), ("difference", "domain_difference"),
                              ("ratio", "domain_ratio")):
            e = estimates[measure]
            gap_rows.append(
                {**base, "measure": name, "subgroup": info["worst_subgroup"] if measure == "worst_group" else "",
                 "value": e.value, "ci_low": e.low, "ci_high": e.high,
                 "n": int(sum(g.group.n for g in used)), "n_patients": int(sum(g.group.n_patients for g in used)),
                 "replicates_used": info["replicates_used"], "reason": e.reason}
            )
    return rows, gap_rows


def _synthetic_rows(spec, context, task, y, p, patients, shift, parameter, strengths_and_weights):
    """Rows of the importance-reweighted metrics.

    A replicate (or jackknife row) multiplies its draw counts by the importance
    weights, so the interval covers resampling of patients for fixed weights.
    """
    method = recipe_interval_method(context.recipe)
    rows = []
    for strength, sample_weights in strengths_and_weights:
        effective_n = kish_effective_n(sample_weights)
        for metric_name in spec.metrics:
            metric = get_metric(metric_name)

            def reweighted(w: np.ndarray, metric=metric, sample_weights=sample_weights) -> np.ndarray:
                return metric.weighted(y, p, w * sample_weights[None, :])

            with np.errstate(invalid="ignore", divide="ignore"):
                point = float(reweighted(np.ones((1, len(y))))[0])
                replicates = reweighted(context.weights)
                jackknife = bca_jackknife(reweighted, len(y), method=method, clusters=patients)
            low, high = derived_interval(point, replicates, context.confidence, method=method, jackknife=jackknife)
            rows.append(
                {
                    "task": task, "shift": shift, "strength": float(strength), "strength_parameter": parameter,
                    "metric": metric_name, "value": point, "ci_low": low, "ci_high": high,
                    "interval_method": interval_method_label(method) + ", importance-reweighted", "n": len(y),
                    "n_patients": len(np.unique(patients)), "effective_n": effective_n,
                    "higher_is_better": metric.higher_is_better,
                    "reason": "" if np.isfinite(point) else "undefined under this reweighting",
                }
            )
    return rows


def evaluate(spec: ShiftAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Compute ``shift_domains``, ``shift_gap`` and ``shift_synthetic`` from the clean predictions."""
    batch = context.batch
    order = {sid: i for i, sid in enumerate(batch.sample_ids)}
    patients = np.asarray(batch.patient_ids if batch.patient_ids is not None else batch.sample_ids)
    frame = predictions[predictions["analysis"] == ANALYSIS]
    domain_rows, gap_rows, synthetic_rows = [], [], []
    for task in sorted(frame["task"].unique()):
        cell = frame[frame["task"] == task]
        cell = cell.iloc[np.argsort(cell["sample_id"].map(order).to_numpy(), kind="stable")]
        y, p = cell["y_true"].to_numpy().astype(np.int64), cell["prob"].to_numpy()
        if spec.domain_column is not None:
            rows, gaps = _domain_tables(spec, context, task, y, p, patients)
            domain_rows += rows
            gap_rows += gaps
        if spec.prevalence:
            observed = float(y.mean())
            targets = sorted({*spec.prevalence, observed})
            synthetic_rows += _synthetic_rows(
                spec, context, task, y, p, patients, "label prevalence", "positive fraction",
                [(t, prevalence_weights(y, t)) for t in targets],
            )
        if spec.covariate is not None:
            values = batch.metadata[spec.covariate.attribute]
            numeric = pd.api.types.is_numeric_dtype(values)
            if numeric:
                strengths = sorted({*spec.covariate.strengths, 0.0})
                parameter = f"tilt per SD of {spec.covariate.attribute}"
            else:
                observed = float((values.astype(str) == spec.covariate.level).mean())
                strengths = sorted({*spec.covariate.strengths, observed})
                parameter = f"share of {spec.covariate.attribute} = {spec.covariate.level}"
            synthetic_rows += _synthetic_rows(
                spec, context, task, y, p, patients, f"covariate: {spec.covariate.attribute}", parameter,
                [(s, covariate_weights(values, spec.covariate, s)) for s in strengths],
            )
    # A table without rows (no domain column, or no synthetic shift) is not written: an empty
    # file would carry no columns for a reader to rely on.
    tables = {"shift_domains": domain_rows, "shift_gap": gap_rows, "shift_synthetic": synthetic_rows}
    return {name: pd.DataFrame(rows) for name, rows in tables.items() if rows}


class ShiftEvaluator(Evaluator):
    kind = ANALYSIS
    spec_class = ShiftAnalysis

    def validate(self, spec: ShiftAnalysis, context: RunContext) -> None:
        _validate(spec, context)

    def cells(self, spec: ShiftAnalysis, context: RunContext) -> list[Cell]:
        return [Cell(ANALYSIS, dict(CLEAN_LABELS))]

    def evaluate(self, spec: ShiftAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
        return evaluate(spec, context, predictions)

    @staticmethod
    def section(root, formats):
        from robustmed.render.sections.shift import shift_section

        return shift_section(root, formats)


EVALUATOR = ShiftEvaluator()
