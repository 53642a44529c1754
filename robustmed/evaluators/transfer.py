"""Zero-shot and k-shot transfer on frozen embeddings, crossed with input severity.

The analysis reads embeddings through the adapter's ``embed`` (cached on disk),
fits k-shot protocols on each target task's train split and scores them on its
test split:

- ``transfer_fewshot``: learning curves over k for the linear probe and the
  prototype classifier, mean and sample std over R seeded support draws;
- ``transfer_zero_shot``: the model's own head on a task it was not trained on,
  and nearest-prototype transfer from a source task's classes;
- ``transfer_matrix``: a probe fitted on task A, scored on task B;
- ``transfer_severity``: probes fitted on clean embeddings, scored on
  embeddings of perturbed inputs at each severity level;
- ``transfer_repeats``: the value of every single draw.

Intervals are bootstrap intervals over test patients (stratified by class,
clustered by patient) and, for k-shot rows, over the support draws. The
recipe's ``bootstrap.method`` chooses percentile or BCa intervals, and BCa
jackknifes both the patients and the draws (see
:func:`robustmed.evaluators.fewshot.score_repeats`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from robustmed.errors import RecipeError
from robustmed.evaluators.base import Evaluator, RunContext
from robustmed.evaluators.embedding_cache import EMBEDDING, EmbeddingCache, InputPerturbation, head_probabilities
from robustmed.evaluators.fewshot import (
    ALL,
    PrototypeClassifier,
    check_shots,
    draw_support,
    fit_protocol,
    score_repeats,
    stable_key,
)
from robustmed.evaluators.transfer_spec import (
    FIELD,
    TaskRef,
    TransferAnalysis,
    check_class_map,
    resolve_task,
)
from robustmed.generators.registry import build_generator
from robustmed.stats.bootstrap import resampling_weights
from robustmed.stats.intervals import recipe_interval_method

ANALYSIS = "transfer"
CLEAN = "none"
CACHE_FOLDER = Path("cache") / "embeddings"
METHOD_REPEATED = "bootstrap percentile over test patients (stratified by class, clustered by patient) and support draws"
METHOD_SINGLE = "bootstrap percentile over test patients (stratified by class, clustered by patient)"
BCA_METHOD_REPEATED = (
    "bootstrap BCa over test patients (stratified by class, clustered by patient) and support draws; "
    "jackknife over patients and over draws"
)
BCA_METHOD_SINGLE = (
    "bootstrap BCa over test patients (stratified by class, clustered by patient); jackknife over patients"
)


def interval_label(method: str, n_repeats: int) -> str:
    """Return the ``interval_method`` text of a row scored over ``n_repeats`` support draws."""
    if method == "bca":
        return BCA_METHOD_REPEATED if n_repeats > 1 else BCA_METHOD_SINGLE
    return METHOD_REPEATED if n_repeats > 1 else METHOD_SINGLE


def resolve_targets(spec: TransferAnalysis, context: RunContext) -> list[TaskRef]:
    references = spec.targets or [context.dataset.name]
    return [resolve_task(reference, f"{FIELD}.targets") for reference in references]


def perturbation_pairs(spec: TransferAnalysis, target: TaskRef) -> list[tuple[str, str]]:
    """(generator, modality) pairs of the severity grid that apply to ``target``'s dataset."""
    grid = spec.perturbation
    if grid is None:
        return []
    specs = target.dataset.specs
    modalities = grid.modalities or list(specs)
    unknown = [m for m in modalities if m not in specs]
    if unknown:
        raise RecipeError(
            f"Invalid recipe: {FIELD}.perturbation.modalities: {unknown} are not modalities of "
            f"{target.dataset.name!r}; allowed: {', '.join(specs)}."
        )
    pairs = []
    for name in grid.generators:
        generator = build_generator(name)
        pairs.extend((name, m) for m in modalities if specs[m].kind in generator.kinds)
    if not pairs:
        raise RecipeError(
            f"Invalid recipe: {FIELD}.perturbation.generators: none of {grid.generators} accepts a modality of "
            f"{target.dataset.name!r} ({', '.join(f'{m}: {specs[m].kind.value}' for m in modalities)})."
        )
    return pairs


def _labels(target: TaskRef, split: str) -> np.ndarray:
    return target.dataset.split(split).targets[target.task].cpu().numpy().astype(np.int64)


class _Target:
    """Clean and perturbed outputs of one target task, with its labels and bootstrap weights."""

    def __init__(self, ref: TaskRef, spec: TransferAnalysis, context: RunContext, cache: EmbeddingCache) -> None:
        self.ref = ref
        self.train = cache.outputs(ref.dataset, "train")
        self.test = cache.outputs(ref.dataset, "test")
        self.y_train = _labels(ref, "train")
        self.y_test = _labels(ref, "test")
        test_batch = ref.dataset.split("test")
        patients = test_batch.patient_ids or test_batch.sample_ids
        self.patients = np.asarray(patients)
        self.n_patients = len(set(patients))
        bootstrap = context.recipe.bootstrap
        self.method = recipe_interval_method(context.recipe)
        self.weights = resampling_weights(
            bootstrap.n_resamples, self.y_test, clusters=patients, seed=bootstrap.seed, scheme=bootstrap.scheme
        )
        self.perturbed: list[tuple[InputPerturbation, dict[str, np.ndarray]]] = []
        if spec.perturbation is not None:
            for generator_name, modality in perturbation_pairs(spec, ref):
                generator = build_generator(generator_name)
                for seed in spec.perturbation.seeds:
                    for level in spec.perturbation.levels:
                        if level == 0.0:
                            continue
                        perturbation = InputPerturbation(generator, modality, float(level), seed)
                        self.perturbed.append((perturbation, cache.outputs(ref.dataset, "test", perturbation)))

    def base_row(self) -> dict[str, object]:
        return {"subgroup": "all", "n": len(self.y_test), "n_patients": self.n_patients, "higher_is_better": True}

    def score(self, probabilities, spec: TransferAnalysis, context: RunContext, seed: int):
        """Score repeated test-split probabilities with the run's bootstrap weights and interval method."""
        return score_repeats(
            self.y_test, probabilities, self.weights, spec.metrics, context.confidence, seed,
            method=self.method, clusters=self.patients,
        )


def _score_rows(scores, base: dict[str, object], n_repeats: int, method: str) -> list[dict[str, object]]:
    label = interval_label(method, n_repeats)
    return [
        {
            **base,
            "metric": s.metric,
            "value": s.value,
            "std": s.std,
            "ci_low": s.low,
            "ci_high": s.high,
            "interval_method": label,
            "repeats": n_repeats,
            "reason": s.reason,
        }
        for s in scores
    ]


def _repeat_rows(scores, base: dict[str, object]) -> list[dict[str, object]]:
    return [
        {**base, "metric": s.metric, "repeat": r, "value": float(v)}
        for s in scores
        for r, v in enumerate(s.per_repeat)
    ]


def _severity_rows(target: _Target, probabilities_for, base: dict[str, object], spec, context, n_repeats: int) -> list:
    """Rows of the severity grid for one fitted scorer: level 0 (clean) and every perturbed set."""
    rows = []
    seed = context.recipe.bootstrap.seed
    for generator_name, modality in perturbation_pairs(spec, target.ref):
        ladder = build_generator(generator_name).ladder
        for grid_seed in spec.perturbation.seeds:
            for level in spec.perturbation.levels:
                if level == 0.0:
                    outputs = target.test
                else:
                    outputs = next(
                        o for p, o in target.perturbed
                        if (p.generator.name, p.modality, p.level, p.seed) == (generator_name, modality, level, grid_seed)
                    )
                scores = target.score(probabilities_for(outputs), spec, context, seed)
                cell = {
                    **base,
                    "generator": generator_name,
                    "modality": modality,
                    "seed": grid_seed,
                    "level": float(level),
                    "severity_value": ladder.value(level),
                    "severity_parameter": ladder.parameter,
                }
                rows.extend(_score_rows(scores, cell, n_repeats, target.method))
    return rows


def _fewshot(spec: TransferAnalysis, context: RunContext, target: _Target, tables: dict[str, list]) -> None:
    ref = target.ref
    n_classes = len(ref.classes)
    grid_shots = set(map(str, spec.perturbation.shots)) if spec.perturbation is not None else set()
    for protocol in spec.protocols:
        for shots in spec.shots:
            n_repeats = 1 if shots == ALL else spec.repeats
            models, support_sizes = [], []
            for repeat in range(n_repeats):
                index = draw_support(
                    target.y_train, shots, seed=spec.seed + stable_key(ref.label), repeat=repeat,
                    class_names=ref.classes, owner=f"{FIELD}.shots for {ref.label}",
                )
                support_sizes.append(len(index))
                models.append(
                    fit_protocol(protocol, target.train[EMBEDDING][index], target.y_train[index], n_classes, spec.probe_c)
                )

            def probabilities_for(outputs, models=models):
                return [model.predict_proba(outputs[EMBEDDING]) for model in models]

            base = {
                "target": ref.label,
                "protocol": protocol,
                "shots": str(shots),
                "support_size": int(np.mean(support_sizes)),
                **target.base_row(),
            }
            scores = target.score(probabilities_for(target.test), spec, context, context.recipe.bootstrap.seed)
            tables["transfer_fewshot"].extend(_score_rows(scores, base, n_repeats, target.method))
            tables["transfer_repeats"].extend(_repeat_rows(scores, {**base, "table": "transfer_fewshot"}))
            if str(shots) in grid_shots:
                tables["transfer_severity"].extend(
                    _severity_rows(target, probabilities_for, base, spec, context, n_repeats)
                )


def _zero_shot_scorer(entry, target: TaskRef, cache: EmbeddingCache):
    """Return a function of cached outputs giving target-class probabilities for one zero-shot entry."""
    target_index = {name: i for i, name in enumerate(target.classes)}
    if entry.method == "head":
        head_classes = cache.adapter.tasks[entry.source].classes
        order = [head_classes.index(c) for c in sorted(entry.class_map, key=lambda c: target_index[entry.class_map[c]])]
        return lambda outputs: [head_probabilities(outputs, entry.source)[:, order]]
    source = resolve_task(entry.source, f"{FIELD}.zero_shot.source")
    train = cache.outputs(source.dataset, "train")
    labels = _labels(source, "train")
    mapped = np.array([target_index[entry.class_map[source.classes[y]]] for y in labels])
    prototypes = PrototypeClassifier(len(target.classes)).fit(train[EMBEDDING], mapped)
    return lambda outputs: [prototypes.predict_proba(outputs[EMBEDDING])]


def _zero_shot(spec, context, targets: dict[str, _Target], cache: EmbeddingCache, tables: dict[str, list]) -> None:
    for entry in spec.zero_shot:
        ref = resolve_task(entry.target, f"{FIELD}.zero_shot.target")
        if ref.label not in targets:
            targets[ref.label] = _Target(ref, spec, context, cache)
        target = targets[ref.label]
        probabilities_for = _zero_shot_scorer(entry, ref, cache)
        base = {"target": ref.label, "method": entry.method, "source": entry.source, **target.base_row()}
        scores = target.score(probabilities_for(target.test), spec, context, context.recipe.bootstrap.seed)
        tables["transfer_zero_shot"].extend(_score_rows(scores, base, 1, target.method))
        if spec.perturbation is not None:
            grid_base = {
                "target": ref.label,
                "protocol": f"zero_shot_{entry.method}:{entry.source}",
                "shots": "0",
                "support_size": 0,
                **target.base_row(),
            }
            tables["transfer_severity"].extend(
                _severity_rows(target, probabilities_for, grid_base, spec, context, 1)
            )


def _shared_labels(ref: TaskRef, label_map: dict[str, str]) -> list[str]:
    return [label_map.get(name, name) for name in ref.classes]


def _matrix(spec, context, cache: EmbeddingCache, tables: dict[str, list]) -> None:
    matrix = spec.matrix
    refs = [resolve_task(reference, f"{FIELD}.matrix.tasks") for reference in matrix.tasks]
    clean_spec = spec.model_copy(update={"perturbation": None})
    targets = {ref.label: _Target(ref, clean_spec, context, cache) for ref in refs}
    for source in refs:
        source_labels = _shared_labels(source, matrix.label_map)
        train = cache.outputs(source.dataset, "train")
        y_source = _labels(source, "train")
        n_repeats = 1 if matrix.shots == ALL else spec.repeats
        for target_ref in refs:
            target = targets[target_ref.label]
            target_labels = _shared_labels(target_ref, matrix.label_map)
            base = {
                "source": source.label,
                "target": target_ref.label,
                "protocol": matrix.protocol,
                "shots": str(matrix.shots),
                **target.base_row(),
            }
            if sorted(source_labels) != sorted(target_labels):
                nan = float("nan")
                reason = f"label spaces do not map: {sorted(source_labels)} vs {sorted(target_labels)}"
                for metric in spec.metrics:
                    tables["transfer_matrix"].append(
                        {**base, "metric": metric, "value": nan, "std": nan, "ci_low": nan, "ci_high": nan,
                         "interval_method": interval_label(target.method, 1), "repeats": 0, "reason": reason}
                    )
                continue
            # Source labels re-indexed into the target's class order through the shared names.
            to_target = np.array([target_labels.index(name) for name in source_labels])
            probabilities = []
            for repeat in range(n_repeats):
                index = draw_support(
                    y_source, matrix.shots, seed=spec.seed + stable_key(source.label), repeat=repeat,
                    class_names=source.classes, owner=f"{FIELD}.matrix.shots for {source.label}",
                )
                model = fit_protocol(
                    matrix.protocol, train[EMBEDDING][index], to_target[y_source[index]], len(target_labels), spec.probe_c
                )
                probabilities.append(model.predict_proba(target.test[EMBEDDING]))
            scores = target.score(probabilities, spec, context, context.recipe.bootstrap.seed)
            tables["transfer_matrix"].extend(_score_rows(scores, base, n_repeats, target.method))


def cache_folder(spec: TransferAnalysis, root: Path) -> Path:
    return Path(spec.cache_dir) if spec.cache_dir else root / CACHE_FOLDER


def evaluate(spec: TransferAnalysis, context: RunContext) -> dict[str, pd.DataFrame]:
    """Compute every transfer table for ``spec``; see the module docstring for their content."""
    from robustmed.models.registry import reference_checksum

    cache = EmbeddingCache(
        cache_folder(spec, context.root),
        context.adapter,
        reference_checksum(context.recipe.model.reference),
        device=context.recipe.device,
        batch_size=context.recipe.batch_size,
    )
    tables: dict[str, list] = {
        name: []
        for name in ("transfer_fewshot", "transfer_zero_shot", "transfer_matrix", "transfer_severity", "transfer_repeats")
    }
    targets: dict[str, _Target] = {}
    for ref in resolve_targets(spec, context):
        targets[ref.label] = _Target(ref, spec, context, cache)
        _fewshot(spec, context, targets[ref.label], tables)
    _zero_shot(spec, context, targets, cache, tables)
    if spec.matrix is not None:
        _matrix(spec, context, cache, tables)
    return {name: pd.DataFrame(rows) for name, rows in tables.items() if rows}


def validate(spec: TransferAnalysis, context: RunContext) -> None:
    """Check targets, shots, class maps and generators against the data and model before any run."""
    adapter = context.adapter
    if not callable(getattr(adapter, "embed", None)):
        raise RecipeError(
            f"Invalid recipe: {FIELD}: model {context.recipe.model.reference!r} has no embed(); "
            "transfer needs an adapter that returns embeddings."
        )
    for ref in resolve_targets(spec, context):
        labels = _labels(ref, "train")
        for shots in spec.shots:
            try:
                check_shots(labels, shots, ref.classes, f"Invalid recipe: {FIELD}.shots for {ref.label}")
            except ValueError as error:
                raise RecipeError(str(error)) from None
        perturbation_pairs(spec, ref)
    for position, entry in enumerate(spec.zero_shot):
        field = f"{FIELD}.zero_shot[{position}]"
        target = resolve_task(entry.target, f"{field}.target")
        perturbation_pairs(spec, target)
        if entry.method == "head":
            if entry.source not in adapter.tasks:
                raise RecipeError(
                    f"Invalid recipe: {field}.source: the model has no head {entry.source!r}; "
                    f"allowed: {', '.join(adapter.tasks)}."
                )
            source_classes = adapter.tasks[entry.source].classes
        else:
            source_classes = resolve_task(entry.source, f"{field}.source").classes
        check_class_map(entry.class_map, source_classes, target.classes, field)
    if spec.matrix is not None:
        for reference in spec.matrix.tasks:
            ref = resolve_task(reference, f"{FIELD}.matrix.tasks")
            shared = _shared_labels(ref, spec.matrix.label_map)
            if len(set(shared)) != len(shared):
                raise RecipeError(
                    f"Invalid recipe: {FIELD}.matrix.label_map maps two classes of {ref.label} "
                    f"({list(ref.classes)}) to the same label; each class needs its own."
                )
            try:
                check_shots(_labels(ref, "train"), spec.matrix.shots, ref.classes, f"Invalid recipe: {FIELD}.matrix.shots for {ref.label}")
            except ValueError as error:
                raise RecipeError(str(error)) from None


class TransferEvaluator(Evaluator):
    kind = ANALYSIS
    spec_class = TransferAnalysis

    def validate(self, spec: TransferAnalysis, context: RunContext) -> None:
        validate(spec, context)

    def evaluate(self, spec: TransferAnalysis, context: RunContext, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
        return evaluate(spec, context)

    @staticmethod
    def section(root, formats):
        from robustmed.render.sections.transfer import transfer_section

        return transfer_section(root, formats)


EVALUATOR = TransferEvaluator()
