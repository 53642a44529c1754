"""Load a recipe from a path or a built-in name, with safe YAML and clear errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from robustmed._resources import builtin_dir
from robustmed.errors import RecipeError
from robustmed.recipes.schema import Recipe


class DuplicateKeyError(yaml.YAMLError):
    """A key that appears twice in one YAML mapping, with the line of its second use."""

    def __init__(self, key, line: int) -> None:
        super().__init__(f"key {key!r} appears twice in one mapping (second time on line {line}); keep one")
        self.key, self.line = key, line


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects a key repeated within one mapping.

    PyYAML keeps the last of two equal keys without a word, so a recipe with two
    ``n_resamples`` lines would run with the second one unnoticed.
    """

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def builtin_recipes() -> dict[str, Path]:
    return {path.stem: path for path in sorted(builtin_dir("analyses").glob("*.yaml"))}


def resolve_recipe_path(recipe: str | Path) -> Path:
    """A path to an existing file, or the name of a built-in recipe in ``analyses/``."""
    path = Path(recipe)
    if path.is_file():
        return path
    builtin = builtin_recipes()
    name = path.stem if path.suffix in (".yaml", ".yml") else str(recipe)
    if name in builtin and (len(path.parts) == 1 or path.parent.name == "analyses"):
        return builtin[name]
    raise RecipeError(
        f"Recipe {str(recipe)!r} is neither a file nor a built-in recipe; "
        f"built-in recipes: {', '.join(builtin)}."
    )


def format_validation_error(error: ValidationError, source: str) -> str:
    lines = [f"Invalid recipe {source}:"]
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "literal_error" and "expected" in item.get("ctx", {}):
            message = f"invalid value {item.get('input')!r}; allowed: {item['ctx']['expected']}"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        lines.append(f"  {location or '<recipe>'}: {message}")
    return "\n".join(lines)


def parse_recipe(data: object, source: str = "<recipe>") -> Recipe:
    if not isinstance(data, dict):
        raise RecipeError(f"Invalid recipe {source}: the top level must be a mapping of fields.")
    try:
        return Recipe.model_validate(data)
    except ValidationError as error:
        raise RecipeError(format_validation_error(error, source)) from None


def load_recipe(recipe: str | Path) -> Recipe:
    path = resolve_recipe_path(recipe)
    try:
        data = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except DuplicateKeyError as error:
        raise RecipeError(f"Recipe {path}: {error}.") from None
    except yaml.constructor.ConstructorError as error:
        raise RecipeError(
            f"Recipe {path} uses a YAML tag that safe loading rejects ({error.problem}); "
            "recipes may contain only plain mappings, lists, strings and numbers."
        ) from None
    except yaml.YAMLError as error:
        raise RecipeError(f"Recipe {path} is not valid YAML: {error}") from None
    return parse_recipe(data, str(path))
