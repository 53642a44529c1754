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
    # BCa is the default because it kept 95% intervals within 93-97% coverage in every scenario
    # of benchmarks/coverage_study.py, while percentile fell to 91% with about 18 patients per class.
    method: Literal["percentile", "bca"] = Field(
        "bca", description="interval method: BCa with a jackknife over patients, or percentile"
    )
    scheme: Literal["multinomial", "poisson"] = Field(
        "multinomial", description="replicate weights: multinomial draw counts, or Poisson(1) weights"
    )

    @field_validator("method", "scheme", mode="before")
    @classmethod
    def _lower_case(cls, value):
        # The docs write "BCa"; accept any case of the allowed words.
        return value.lower() if isinstance(value, str) else value


AnalysisSpec = Annotated[Union[tuple(analysis_spec_classes())], Field(discriminator="kind")]  # noqa: UP007


class ReportSpec(StrictModel):
    title: str = "robustmed report"
    figure_formats: list[Literal["png", "pdf", "svg"]] = Field(default_factory=lambda: ["png", "pdf"])


def _check_unique_kinds(analyses: list) -> None:
    kinds = [a.kind for a in analyses]
    if len(kinds) != len(set(kinds)):
        raise ValueError("each analysis kind may appear once per recipe")


class BenchmarkEntry(StrictModel):
    """One dataset and model of a benchmark recipe, with its own analyses; results go to ``OUT/<name>/``."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$", max_length=60, description="entry name and output subfolder")
    dataset: DatasetRef
    model: ModelRef
    analyses: list[AnalysisSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_kinds(self) -> BenchmarkEntry:
        _check_unique_kinds(self.analyses)
        return self


class Recipe(StrictModel):
    """A complete analysis recipe.

    A single-dataset recipe sets ``dataset``, ``model`` and ``analyses``. A
    benchmark recipe sets ``benchmark`` instead: a list of entries, each with its
    own dataset, model and analyses, sharing the other fields.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=80)
    description: str = ""
    dataset: DatasetRef | None = None
    model: ModelRef | None = None
    benchmark: list[BenchmarkEntry] | None = Field(None, min_length=1)
    device: Literal["cpu", "cuda"] = "cpu"
    batch_size: int = Field(256, ge=1, le=1_000_000)
    seed: int = Field(0, ge=0, description="root seed of every generator")
    bootstrap: BootstrapSpec = Field(default_factory=BootstrapSpec)
    analyses: list[AnalysisSpec] = Field(default_factory=list)
    report: ReportSpec = Field(default_factory=ReportSpec)

    @model_validator(mode="after")
    def _unique_kinds(self) -> Recipe:
        _check_unique_kinds(self.analyses)
        return self

    @model_validator(mode="after")
    def _single_or_benchmark(self) -> Recipe:
        single = {"dataset": self.dataset, "model": self.model, "analyses": self.analyses or None}
        if self.benchmark is None:
            missing = [field for field, value in single.items() if value is None]
            if missing:
                raise ValueError(
                    f"missing {', '.join(missing)}; a recipe needs dataset, model and analyses "
                    "(or a benchmark list of entries that each have them)"
                )
            return self
        given = [field for field, value in single.items() if value is not None]
        if given:
            raise ValueError(
                f"a benchmark recipe sets dataset, model and analyses per entry; remove the top-level {', '.join(given)}"
            )
        names = [entry.name for entry in self.benchmark]
        if len(names) != len(set(names)):
            raise ValueError("benchmark entry names must be unique")
        return self
