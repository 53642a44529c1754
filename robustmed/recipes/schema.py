"""Recipe schema: YAML analysis recipes validated with pydantic before any model runs."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from robustmed.evaluators.registry import analysis_spec_classes
from robustmed.recipes.base import StrictModel


class DatasetRef(StrictModel):
    """Reference to a bundled dataset and the split to evaluate on."""

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
        from robustmed.models.registry import reference_models

        if value not in reference_models():
            raise ValueError(f"unknown reference model {value!r}; allowed: {', '.join(sorted(reference_models()))}")
        return value


class BootstrapSpec(StrictModel):
    n_resamples: int = Field(1000, ge=10, le=1_000_000)
    confidence: float = Field(0.95, gt=0.0, lt=1.0)
    seed: int = Field(0, ge=0)
    method: Literal["percentile", "bca"] = Field(
        "percentile", description="interval method: percentile, or BCa with a jackknife over patients"
    )
    scheme: Literal["multinomial", "poisson"] = Field(
        "multinomial", description="replicate weights: multinomial draw counts, or Poisson(1) weights"
    )


AnalysisSpec = Annotated[Union[tuple(analysis_spec_classes())], Field(discriminator="kind")]  # noqa: UP007


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
