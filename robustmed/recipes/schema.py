"""Recipe schema: YAML analysis recipes validated with pydantic before any model runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from robustmed.generators.base import MAX_LEVEL

STANDARD_LEVELS = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetRef(StrictModel):
    """Which bundled dataset to evaluate on, and which split."""

    name: str = Field(description="registered dataset name, see 'robustmed list datasets'")
    split: Literal["train", "test", "all"] = "test"

    @field_validator("name")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        from robustmed.data.datasets import available_datasets

        if value not in available_datasets():
            raise ValueError(f"unknown dataset {value!r}; allowed: {', '.join(available_datasets())}")
        return value


class ModelRef(StrictModel):
    """A bundled reference model (more sources come with the model registry)."""

    reference: str = Field(description="name of a bundled reference model")

    @field_validator("reference")
    @classmethod
    def _known_reference(cls, value: str) -> str:
        from robustmed.models.reference import REFERENCE_MODELS

        if value not in REFERENCE_MODELS:
            raise ValueError(f"unknown reference model {value!r}; allowed: {', '.join(REFERENCE_MODELS)}")
        return value


class BootstrapSpec(StrictModel):
    n_resamples: int = Field(1000, ge=10, le=1_000_000)
    confidence: float = Field(0.95, gt=0.0, lt=1.0)
    seed: int = Field(0, ge=0)


def _check_levels(levels: list[float]) -> list[float]:
    for level in levels:
        if not 0.0 <= level <= MAX_LEVEL:
            raise ValueError(f"level {level!r} is out of range; allowed: numbers from 0 to {MAX_LEVEL:g}")
    if len(set(levels)) != len(levels):
        raise ValueError("levels must not repeat")
    return sorted(levels)


class DegradationAnalysis(StrictModel):
    """Degradation curves: metrics at each severity level of each generator."""

    kind: Literal["degradation"]
    generators: list[str] = Field(min_length=1)
    modalities: list[str] | None = Field(None, description="default: every modality a generator accepts")
    levels: list[float] = Field(default_factory=lambda: list(STANDARD_LEVELS), min_length=2)
    metrics: list[str] = Field(default_factory=lambda: ["auroc", "balanced_accuracy", "ece", "brier"])
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)

    @field_validator("generators")
    @classmethod
    def _known_generators(cls, value: list[str]) -> list[str]:
        from robustmed.generators.registry import generator_names

        known = generator_names()
        for name in value:
            if name not in known:
                raise ValueError(f"unknown generator {name!r}; allowed: {', '.join(known)}")
        return value

    @field_validator("levels")
    @classmethod
    def _valid_levels(cls, value: list[float]) -> list[float]:
        levels = _check_levels(value)
        if levels[0] != 0.0:
            raise ValueError("levels must include 0 (the clean input) as the curve's reference")
        return levels

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        from robustmed.metrics import metric_names

        for name in value:
            if name not in metric_names():
                raise ValueError(f"unknown metric {name!r}; allowed: {', '.join(metric_names())}")
        return value


AnalysisSpec = Annotated[DegradationAnalysis, Field(discriminator="kind")]


class ReportSpec(StrictModel):
    title: str = "robustmed report"
    figure_formats: list[Literal["png", "pdf", "svg"]] = Field(default_factory=lambda: ["png", "pdf"])


class Recipe(StrictModel):
    """A complete analysis recipe."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=80)
    description: str = ""
    dataset: DatasetRef
    model: ModelRef
    device: Literal["cpu", "cuda"] = "cpu"
    batch_size: int = Field(256, ge=1, le=1_000_000)
    seed: int = Field(0, ge=0, description="root seed of every generator")
    bootstrap: BootstrapSpec = Field(default_factory=BootstrapSpec)
    analyses: list[AnalysisSpec] = Field(min_length=1)
    report: ReportSpec = Field(default_factory=ReportSpec)

    @model_validator(mode="after")
    def _unique_kinds(self) -> Recipe:
        kinds = [a.kind for a in self.analyses]
        if len(kinds) != len(set(kinds)):
            raise ValueError("each analysis kind may appear once per recipe")
        return self
