"""Recipe spec of the transfer analysis and the resolution of its task references."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from robustmed.data.datasets.base import Dataset
from robustmed.errors import RecipeError
from robustmed.evaluators.fewshot import ALL, PROTOCOLS
from robustmed.metrics.multiclass import TRANSFER_METRICS
from robustmed.recipes.base import GeneratorNames, STANDARD_LEVELS, SeverityLevels, StrictModel

Shots = PositiveInt | Literal["all"]
Protocol = Literal["linear_probe", "prototype"]
TransferMetric = Literal["balanced_accuracy", "macro_auroc", "macro_f1"]
FIELD = "analyses.transfer"


def _check_shots(value: list) -> list:
    if len(set(map(str, value))) != len(value):
        raise ValueError("shots must not repeat")
    return value


class ZeroShotSpec(StrictModel):
    """Zero-shot transfer to a target task the model was not trained on.

    ``method: head`` applies the model's own output head ``source`` (a task name
    of the model) to the target's test inputs. ``method: prototype`` classifies
    the target's test embeddings by the nearest class prototype of ``source``
    (a ``dataset`` or ``dataset/task`` reference), computed on its train split.
    ``class_map`` maps every source class name to a target class name.
    """

    method: Literal["head", "prototype"]
    source: str
    target: str
    class_map: dict[str, str] = Field(min_length=2)


class MatrixSpec(StrictModel):
    """Cross-task transfer matrix: a probe fitted on task A's train split, scored on task B's test split.

    ``label_map`` renames class names to shared labels (names it omits keep
    their own). A pair (A, B) is scored only when both tasks map onto the same
    set of shared labels, else its row is NaN with a reason.
    """

    tasks: list[str] = Field(min_length=2)
    label_map: dict[str, str] = Field(default_factory=dict)
    protocol: Protocol = "linear_probe"
    shots: Shots = ALL


class SeverityGridSpec(StrictModel):
    """Few-shot x severity grid: probes fitted on clean support sets, scored on perturbed test inputs."""

    generators: GeneratorNames = Field(min_length=1)
    modalities: list[str] | None = Field(None, description="default: every modality a generator accepts")
    levels: SeverityLevels = Field(default_factory=lambda: list(STANDARD_LEVELS), min_length=2)
    shots: list[Shots] = Field(default_factory=lambda: [4, 16, ALL], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)



    @field_validator("shots")
    @classmethod
    def _unique_shots(cls, value: list) -> list:
        return _check_shots(value)


class TransferAnalysis(StrictModel):
    """Zero-shot and k-shot transfer on frozen embeddings, optionally under perturbation."""

    kind: Literal["transfer"]
    targets: list[str] | None = Field(
        None, description="'dataset' or 'dataset/task' references; default: the recipe's dataset"
    )
    shots: list[Shots] = Field(default_factory=lambda: [1, 2, 4, 8, 16, 32, ALL], min_length=1)
    repeats: int = Field(10, ge=2, le=1000, description="seeded support-set draws per k")
    protocols: list[Protocol] = Field(default_factory=lambda: list(PROTOCOLS), min_length=1)
    metrics: list[TransferMetric] = Field(default_factory=lambda: list(TRANSFER_METRICS), min_length=1)
    seed: int = Field(0, ge=0, description="seed of the support-set draws")
    probe_c: float = Field(1.0, gt=0.0, description="inverse L2 strength C of the logistic-regression probe")
    zero_shot: list[ZeroShotSpec] = Field(default_factory=list)
    matrix: MatrixSpec | None = None
    perturbation: SeverityGridSpec | None = None
    cache_dir: str | None = Field(
        None, description="embedding cache folder; default: cache/embeddings inside the output folder"
    )

    @field_validator("shots")
    @classmethod
    def _unique_shots(cls, value: list) -> list:
        return _check_shots(value)

    @model_validator(mode="after")
    def _perturbation_shots_in_shots(self) -> TransferAnalysis:
        if self.perturbation is not None:
            missing = [s for s in self.perturbation.shots if str(s) not in set(map(str, self.shots))]
            if missing:
                raise ValueError(f"perturbation.shots {missing} must also be listed in shots {self.shots}")
        return self


@dataclass(frozen=True)
class TaskRef:
    """A resolved ``dataset/task`` reference."""

    dataset: Dataset
    task: str

    @property
    def label(self) -> str:
        return f"{self.dataset.name}/{self.task}"

    @property
    def classes(self) -> tuple[str, ...]:
        return self.dataset.tasks[self.task].classes


def resolve_task(reference: str, field: str) -> TaskRef:
    """Resolve 'dataset' (a dataset with one task) or 'dataset/task' to a classification task."""
    from robustmed.data.datasets import available_datasets, load_dataset

    name, _, task = reference.partition("/")
    if name not in available_datasets():
        raise RecipeError(
            f"Invalid recipe: {field}: unknown dataset {name!r} in {reference!r}; "
            f"allowed: {', '.join(available_datasets())}."
        )
    dataset = load_dataset(name)
    if not task:
        if len(dataset.tasks) != 1:
            raise RecipeError(
                f"Invalid recipe: {field}: dataset {name!r} has tasks {', '.join(dataset.tasks)}; "
                f"write '{name}/<task>'."
            )
        (task,) = dataset.tasks
    if task not in dataset.tasks:
        raise RecipeError(
            f"Invalid recipe: {field}: dataset {name!r} has no task {task!r}; allowed: {', '.join(dataset.tasks)}."
        )
    if dataset.tasks[task].type not in ("binary", "multiclass"):
        raise RecipeError(
            f"Invalid recipe: {field}: task {reference!r} is {dataset.tasks[task].type}; "
            "transfer needs a binary or multiclass task."
        )
    return TaskRef(dataset, task)


def check_class_map(class_map: dict[str, str], source: tuple[str, ...], target: tuple[str, ...], field: str) -> None:
    """Require ``class_map`` to map every source class onto a distinct target class, covering all of them."""
    unknown_source = sorted(set(class_map) - set(source))
    unknown_target = sorted(set(class_map.values()) - set(target))
    if unknown_source or unknown_target:
        raise RecipeError(
            f"Invalid recipe: {field}.class_map: unknown class names "
            f"{unknown_source + unknown_target}; source classes: {list(source)}, target classes: {list(target)}."
        )
    if sorted(class_map) != sorted(source) or sorted(class_map.values()) != sorted(target):
        raise RecipeError(
            f"Invalid recipe: {field}.class_map must map each source class {list(source)} to a different "
            f"target class {list(target)}; got {class_map}."
        )
