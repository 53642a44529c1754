"""Recipe schema and loading."""

from robustmed.recipes.loader import builtin_recipes, load_recipe, parse_recipe, resolve_recipe_path
from robustmed.recipes.schema import Recipe

__all__ = ["Recipe", "builtin_recipes", "load_recipe", "parse_recipe", "resolve_recipe_path"]
