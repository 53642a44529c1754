"""The paper recipe runs every analysis kind that applies to the bundled Alzheimer's data."""

from robustmed.evaluators.registry import evaluators
from robustmed.recipes.loader import load_recipe

# Kinds that need more than one dataset or model, with the reason they are left out.
NOT_IN_PAPER = {"transfer": "needs target tasks the ad_data model was not trained on"}


def test_paper_recipe_covers_every_kind():
    recipe = load_recipe("paper")
    kinds = {analysis.kind for analysis in recipe.analyses}
    expected = set(evaluators()) - set(NOT_IN_PAPER)
    assert kinds == expected


def test_paper_recipe_writes_vector_figures():
    recipe = load_recipe("paper")
    assert set(recipe.report.figure_formats) == {"png", "pdf", "svg"}
    assert recipe.dataset.name == "ad_data"
