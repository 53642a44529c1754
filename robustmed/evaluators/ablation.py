"""Modality ablation: every modality subset under every fill policy, Shapley attribution,
novel combinations, and performance when modalities go missing at deployment.

The model is evaluated on each subset S of its M modalities (exact over all
2**M subsets for M <= 10, sampled permutations beyond), with the absent
modalities fed by a missing-modality policy. Predictions of each (subset,
policy) and each missing-at-deployment setting are stored as one cell of the
predictions store, so a killed run resumes. Every statistic is then computed
from the stored predictions with the run's shared bootstrap replicates.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import torch
from pydantic import Field, field_validator

from robustmed.engine.ablation import SubsetPredictor
from robustmed.engine.runner import Cell
from robustmed.errors import RecipeError
from robustmed.evaluators.ablation_tables import (
    TRUE_CLASS_PROBABILITY,
    Game,
    attribution_rows,
    frame_or_empty,
    merge_float32_ties,
    novel_rows,
    subset_label,
    value_estimate,
    value_higher_is_better,
)
from robustmed.evaluators.base import Evaluator, RunContext
from robustmed.generators.random import sample_keys, uniform
from robustmed.metrics.shapley import MAX_EXACT_PLAYERS, members, permutation_coalitions, sample_permutations
from robustmed.models.adapter import MISSING_POLICIES
from robustmed.recipes.base import StrictModel, check_metric_names
from robustmed.stats.intervals import interval_method_label, recipe_interval_method

ANALYSIS = "ablation"
RANDOM = "random"
STANDARD_FRACTIONS = [round(0.1 * k, 1) for k in range(11)]


class AblationAnalysis(StrictModel):
    """Modality-subset ablation with Shapley attribution and missing-at-deployment curves."""

    kind: Literal["ablation"]
    modalities: list[str] | None = Field(None, description="modalities to ablate; default: all the model's")
    policies: list[str] = Field(
        default_factory=lambda: list(MISSING_POLICIES),
        min_length=1,
        description="fill policies; those the model cannot apply are reported as unsupported",
    )
    metrics: list[str] = Field(default_factory=lambda: ["auroc", TRUE_CLASS_PROBABILITY], min_length=1)
    seed: int = Field(0, ge=0, description="root seed of marginal resampling and deployment missingness")
    permutations: int = Field(2000, ge=2, description=f"sampled orders when there are more than {MAX_EXACT_PLAYERS} modalities")
    missing_fractions: list[float] = Field(default_factory=lambda: list(STANDARD_FRACTIONS), min_length=2)
    missing_policy: str | None = Field(None, description="policy of the missing-at-deployment curves; default: the model's first")
    missing_correlated_with: list[str] = Field(
        default_factory=list, description="metadata columns; missingness concentrates in their first categories"
    )

    @field_validator("policies")
    @classmethod
    def _known_policies(cls, value: list[str]) -> list[str]:
        for policy in value:
            if policy not in MISSING_POLICIES:
                raise ValueError(f"unknown policy {policy!r}; allowed: {', '.join(MISSING_POLICIES)}")
        if len(set(value)) != len(value):
            raise ValueError("policies must not repeat")
        return value

    @field_validator("missing_policy")
    @classmethod
    def _known_missing_policy(cls, value: str | None) -> str | None:
        if value is not None and value not in MISSING_POLICIES:
            raise ValueError(f"unknown policy {value!r}; allowed: {', '.join(MISSING_POLICIES)}")
        return value

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        return [TRUE_CLASS_PROBABILITY if m == TRUE_CLASS_PROBABILITY else check_metric_names([m])[0] for m in value]

    @field_validator("missing_fractions")
    @classmethod
    def _valid_fractions(cls, value: list[float]) -> list[float]:
        for fraction in value:
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"fraction {fraction!r} is out of range; allowed: numbers from 0 to 1")
        if len(set(value)) != len(value):
            raise ValueError("missing_fractions must not repeat")
        return sorted(value)


# Cells and masks ---------------------------------------------------------------------------


def ablated_modalities(spec: AblationAnalysis, context: RunContext) -> list[str]:
    """The players of the game: requested modalities, in the model's order."""
    model = list(context.adapter.modalities)
    if spec.modalities is None:
        return model
    for name in spec.modalities:
        if name not in model:
            raise RecipeError(
                f"Invalid recipe: analyses.ablation.modalities: unknown modality {name!r}; allowed: {', '.join(model)}."
            )
    return [m for m in model if m in spec.modalities]


def subset_masks(spec: AblationAnalysis, n_players: int) -> tuple[list[int], np.ndarray | None]:
    """Coalitions to evaluate, and the sampled orders (None when exact)."""
    if n_players <= MAX_EXACT_PLAYERS:
        return list(range(2**n_players)), None
    # NOTE: this branch is tested on synthetic games only, not yet end to end on a model.
    permutations = sample_permutations(n_players, spec.permutations, spec.seed)
    full = 2**n_players - 1
    masks = set(permutation_coalitions(permutations)) | {1 << i for i in range(n_players)} | {full}
    return sorted(masks), permutations


def missing_policy(spec: AblationAnalysis, context: RunContext) -> str:
    policy = spec.missing_policy or context.adapter.missing_policies[0]
    reason = context.adapter.missing_policy_support(policy)
    if reason is not None:
        raise RecipeError(f"Invalid recipe: analyses.ablation.missing_policy: {policy!r} is not available: {reason}.")
    return policy


def mechanisms(spec: AblationAnalysis) -> list[str]:
    return [RANDOM, *spec.missing_correlated_with]


def deployment_keep(sample_ids: list[str], metadata: pd.DataFrame, modality: str, mechanism: str, fraction: float, seed: int) -> np.ndarray:
    """Which samples keep ``modality`` when a ``fraction`` of them lose it.

    Exactly round(fraction * n) samples lose it. ``random`` picks them by a
    per-sample counter-based uniform; a metadata column orders samples by its
    category (sorted, missing values last) and then by that uniform, so the
    modality goes missing in the first categories first. The sets are nested:
    a sample missing at one fraction is missing at every larger fraction.
    """
    n = len(sample_ids)
    keys = sample_keys(seed, f"deployment_missing@{modality}", sample_ids)
    u = uniform(keys, (1,), stream=0, device="cpu", dtype=torch.float64)[:, 0].numpy()
    if mechanism == RANDOM:
        order = np.argsort(u, kind="stable")
    else:
        codes = pd.Categorical(metadata[mechanism].astype("string"), ordered=True).codes.astype(np.int64)
        codes = np.where(codes < 0, codes.max(initial=0) + 1, codes)
        order = np.lexsort((u, codes))
    keep = np.ones(n, dtype=bool)
    keep[order[: int(round(fraction * n))]] = False
    return keep


def build_cells(spec: AblationAnalysis, context: RunContext) -> list[tuple[Cell, dict]]:
    """(cell, request) pairs; a request says which modalities to keep under which policy."""
    names = ablated_modalities(spec, context)
    masks, _ = subset_masks(spec, len(names))
    pairs = []
    for policy in spec.policies:
        if context.adapter.missing_policy_support(policy) is not None:
            continue
        for mask in masks:
            kept = set(members(mask, len(names)))
            keep = {name: i in kept for i, name in enumerate(names)}
            labels = {"part": "subset", "subset": subset_label(mask, names), "policy": policy, "seed": spec.seed}
            pairs.append((Cell(ANALYSIS, labels), {"keep": keep, "policy": policy}))
    policy = missing_policy(spec, context)
    batch = context.batch
    for name in names:
        for mechanism in mechanisms(spec):
            for fraction in spec.missing_fractions:
                keep = deployment_keep(batch.sample_ids, batch.metadata, name, mechanism, fraction, spec.seed)
                labels = {
                    "part": "missing", "modality": name, "mechanism": mechanism, "fraction": float(fraction),
                    "policy": policy, "seed": spec.seed,
                }
                pairs.append((Cell(ANALYSIS, labels), {"keep": {name: keep}, "policy": policy}))
    return pairs


def prediction_frame(cell: Cell, context: RunContext, outputs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Stored rows of one cell, laid out like the runner's: one row per sample and task."""
    batch = context.batch
    parts = []
    for task, values in outputs.items():
        part = pd.DataFrame(
            {
                "sample_id": batch.sample_ids,
                "patient_id": batch.patient_ids if batch.patient_ids is not None else batch.sample_ids,
                "task": task,
                "y_true": batch.targets[task].cpu().numpy().astype(np.int64),
            }
        )
        if values.ndim == 1:
            part["prob"] = values
        else:
            for k in range(values.shape[1]):
                part[f"prob_{k}"] = values[:, k]
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "cell_id", cell.cell_id)
    frame.insert(1, "analysis", cell.analysis)
    for position, (key, value) in enumerate(sorted(cell.labels.items()), start=2):
        frame.insert(position, key, value)
    return frame


def run_cells(spec: AblationAnalysis, context: RunContext) -> dict[str, pd.DataFrame]:
    """Predictions of every ablation cell by cell id, computing only those not stored yet."""
    pairs = build_cells(spec, context)
    frames = {}
    predictor = None
    # Fixed blocks of the full cell list: a cell's predictions depend in the last float bit
    # on its rows' position in the fused block, so a resumed run recomputes whole blocks
    # with the same layout and ends with the same bytes as an uninterrupted run.
    block = 256
    for start in range(0, len(pairs), block):
        part = pairs[start:start + block]
        if all(context.store.has(cell.cell_id) for cell, _ in part):
            frames.update({cell.cell_id: context.store.read([cell.cell_id]) for cell, _ in part})
            continue
        if predictor is None:
            predictor = SubsetPredictor(
                context.adapter, context.batch, device=context.runner.device,
                batch_size=context.runner.batch_size, seed=spec.seed,
            )
        outputs = predictor.predict_many([(request["keep"], request["policy"]) for _, request in part])
        for (cell, _), cell_outputs in zip(part, outputs, strict=True):
            frame = prediction_frame(cell, context, cell_outputs)
            if not context.store.has(cell.cell_id):
                context.store.write(cell.cell_id, frame)
            frames[cell.cell_id] = frame
    return frames


# Tables ------------------------------------------------------------------------------------


def _arrays(frame: pd.DataFrame, task: str, order: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    rows = frame[frame["task"] == task]
    rows = rows.iloc[np.argsort(rows["sample_id"].map(order).to_numpy(), kind="stable")]
    if "prob" not in rows:
        raise RecipeError("The ablation analysis supports binary tasks only (one positive-class probability).")
    return rows["y_true"].to_numpy(), merge_float32_ties(rows["prob"].to_numpy())


def evaluate_tables(spec: AblationAnalysis, context: RunContext, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    names = ablated_modalities(spec, context)
    masks, permutations = subset_masks(spec, len(names))
    batch, weights, confidence = context.batch, context.weights, context.confidence
    order = {sid: i for i, sid in enumerate(batch.sample_ids)}
    n = len(batch)
    n_patients = len(set(batch.patient_ids)) if batch.patient_ids is not None else n
    method = recipe_interval_method(context.recipe)
    patients = np.asarray(batch.patient_ids if batch.patient_ids is not None else batch.sample_ids)
    common = {"interval_method": interval_method_label(method), "n": n, "n_patients": n_patients}

    policy_rows, subset_rows, shapley_rows, interaction_rows, summary_rows, novel, missing_rows = [], [], [], [], [], [], []
    by_labels = {tuple(sorted(cell.labels.items())): frames[cell.cell_id] for cell, _ in build_cells(spec, context)}

    def cell_frame(**labels) -> pd.DataFrame:
        return by_labels[tuple(sorted(labels.items()))]

    for policy in spec.policies:
        reason = context.adapter.missing_policy_support(policy)
        policy_rows.append({"policy": policy, "supported": reason is None, "reason": reason or ""})

    for task in context.adapter.tasks:
        for policy in spec.policies:
            reason = context.adapter.missing_policy_support(policy)
            for metric in spec.metrics:
                labels = {"task": task, "policy": policy, "metric": metric}
                higher = value_higher_is_better(metric)
                if reason is not None:
                    for mask in masks:
                        subset_rows.append(
                            {**labels, "subset": subset_label(mask, names), "size": mask.bit_count(), "subgroup": "all",
                             "value": np.nan, "ci_low": np.nan, "ci_high": np.nan, **common,
                             "higher_is_better": higher, "reason": f"policy not supported: {reason}"}
                        )
                    continue
                values = {}
                for mask in masks:
                    frame = cell_frame(part="subset", subset=subset_label(mask, names), policy=policy, seed=spec.seed)
                    y, p = _arrays(frame, task, order)
                    result = value_estimate(metric, y, p, weights, confidence, method=method, clusters=patients)
                    values[mask] = result
                    subset_rows.append(
                        {**labels, "subset": subset_label(mask, names), "size": mask.bit_count(), "subgroup": "all",
                         "value": result.value, "ci_low": result.low, "ci_high": result.high, **common,
                         "higher_is_better": higher, "reason": result.reason}
                    )
                game = Game(names, values, permutations, method)
                shapley, interactions, summary = attribution_rows(game, confidence, labels)
                for row in shapley + interactions + summary:
                    row.update(n=n, n_patients=n_patients, higher_is_better=higher)
                shapley_rows += shapley
                interaction_rows += interactions
                summary_rows += summary
                for row in novel_rows(game, metric, confidence, labels):
                    row.update(n=n, n_patients=n_patients, higher_is_better=higher)
                    novel.append(row)

        policy = missing_policy(spec, context)
        for name in names:
            for mechanism in mechanisms(spec):
                for fraction in spec.missing_fractions:
                    frame = cell_frame(part="missing", modality=name, mechanism=mechanism, fraction=float(fraction), policy=policy, seed=spec.seed)
                    y, p = _arrays(frame, task, order)
                    keep = deployment_keep(batch.sample_ids, batch.metadata, name, mechanism, fraction, spec.seed)
                    for metric in spec.metrics:
                        result = value_estimate(metric, y, p, weights, confidence, method=method, clusters=patients)
                        missing_rows.append(
                            {"task": task, "policy": policy, "modality": name, "mechanism": mechanism,
                             "fraction": float(fraction), "seed": spec.seed, "subgroup": "all", "metric": metric,
                             "value": result.value, "ci_low": result.low, "ci_high": result.high, **common,
                             "n_missing": int((~keep).sum()), "higher_is_better": value_higher_is_better(metric),
                             "reason": result.reason}
                        )

    return {
        "ablation_policies": pd.DataFrame(policy_rows),
        "ablation_subsets": frame_or_empty(subset_rows, ["task", "policy", "metric", "subset", "value"]),
        "ablation_shapley": frame_or_empty(shapley_rows, ["task", "policy", "metric", "modality", "value"]),
        "ablation_interactions": frame_or_empty(interaction_rows, ["task", "policy", "metric", "modality_a", "modality_b", "value"]),
        "ablation_summary": frame_or_empty(summary_rows, ["task", "policy", "metric", "measure", "value"]),
        "ablation_novel": frame_or_empty(novel, ["task", "policy", "metric", "subset", "reference", "difference"]),
        "ablation_missing": frame_or_empty(missing_rows, ["task", "policy", "modality", "mechanism", "fraction", "value"]),
    }


class AblationEvaluator(Evaluator):
    kind = ANALYSIS
    spec_class = AblationAnalysis

    def validate(self, spec: AblationAnalysis, context: RunContext) -> None:
        names = ablated_modalities(spec, context)
        if len(names) < 2:
            raise RecipeError("Invalid recipe: analyses.ablation.modalities: an ablation needs at least 2 modalities.")
        for task, task_spec in context.adapter.tasks.items():
            if task_spec.type != "binary":
                raise RecipeError(f"Invalid recipe: analyses.ablation supports binary tasks; task {task!r} is {task_spec.type}.")
        missing_policy(spec, context)
        for column in spec.missing_correlated_with:
            if column not in context.batch.metadata.columns:
                raise RecipeError(
                    f"Invalid recipe: analyses.ablation.missing_correlated_with: unknown metadata column {column!r}; "
                    f"allowed: {', '.join(context.batch.metadata.columns)}."
                )
        if all(context.adapter.missing_policy_support(p) is not None for p in spec.policies):
            raise RecipeError(
                "Invalid recipe: analyses.ablation.policies: the model supports none of "
                f"{', '.join(spec.policies)}; it supports "
                f"{', '.join(p for p in MISSING_POLICIES if context.adapter.missing_policy_support(p) is None)}."
            )

    def cells(self, spec: AblationAnalysis, context: RunContext) -> list[Cell]:
        # NOTE: ablation cells need fill policies that the shared runner does not apply, so
        # this evaluator runs and stores them itself in evaluate(); the manifest does not list them.
        return []

    def evaluate(self, spec: AblationAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
        return evaluate_tables(spec, context, run_cells(spec, context))

    @staticmethod
    def section(root, formats):
        from robustmed.render.sections.ablation import ablation_section

        return ablation_section(root, formats)


EVALUATOR = AblationEvaluator()
