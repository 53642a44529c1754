"""Recipe schema and loading.

Names are imported lazily: the schema collects the analysis specs of every
registered evaluator, and evaluators import ``robustmed.recipes.base``, so an
eager import here would be circular.
"""

from importlib import import_module

_EXPORTS = {
    "Recipe": "robustmed.recipes.schema",
    "builtin_recipes": "robustmed.recipes.loader",
    "load_recipe": "robustmed.recipes.loader",
    "parse_recipe": "robustmed.recipes.loader",
    "resolve_recipe_path": "robustmed.recipes.loader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'robustmed.recipes' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
