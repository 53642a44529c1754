"""Registry of generator classes and their standard ladders from ``perturbations/*.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from robustmed._resources import builtin_dir
from robustmed.generators.base import Generator, Ladder

_CLASSES: dict[str, type[Generator]] = {}


def register_generator(cls: type[Generator]) -> type[Generator]:
    """Class decorator and function that adds a generator class to the registry."""
    if cls.name in _CLASSES and _CLASSES[cls.name] is not cls:
        raise ValueError(f"A generator named {cls.name!r} is already registered.")
    _CLASSES[cls.name] = cls
    return cls


def generator_names() -> list[str]:
    _register_builtin()
    return sorted(_CLASSES)


def generator_class(name: str) -> type[Generator]:
    _register_builtin()
    if name not in _CLASSES:
        raise KeyError(f"Unknown generator {name!r}; known generators: {', '.join(sorted(_CLASSES))}.")
    return _CLASSES[name]


@cache
def load_suites(folder: Path | None = None) -> dict[str, dict]:
    """Read every suite file: {suite name: {"description", "generators": {name: ladder dict}}}."""
    folder = folder or builtin_dir("perturbations")
    suites = {}
    for path in sorted(folder.glob("*.yaml")):
        with path.open() as handle:
            suite = yaml.safe_load(handle)
        suites[suite["name"]] = suite
    return suites


def standard_ladder(name: str) -> Ladder:
    """The ladder of generator ``name`` as its suite defines it."""
    for suite in load_suites().values():
        entry = suite["generators"].get(name)
        if entry is not None:
            return Ladder(
                parameter=entry["parameter"],
                values=tuple(float(v) for v in entry["levels"]),
                identity=float(entry.get("identity", 0.0)),
                unit=entry.get("unit", ""),
            )
    raise KeyError(f"Generator {name!r} has no ladder in any suite under perturbations/.")


def build_generator(name: str, ladder: Ladder | None = None) -> Generator:
    """Instantiate generator ``name`` with its standard ladder unless ``ladder`` is given."""
    cls = generator_class(name)
    return cls(ladder or standard_ladder(name))


# Each module defines GENERATORS, a tuple of Generator classes; add a module here to register its family.
GENERATOR_MODULES = (
    "robustmed.generators.tabular",
    "robustmed.generators.missing",
    "robustmed.generators.segments",
    "robustmed.generators.ehr",
    "robustmed.generators.omics",
    "robustmed.generators.signal",
    "robustmed.generators.audio",
    "robustmed.generators.text",
    "robustmed.generators.dna",
    "robustmed.generators.protein",
    "robustmed.generators.image_noise",
    "robustmed.generators.image_blur",
    "robustmed.generators.image_intensity",
    "robustmed.generators.image_compression",
    "robustmed.generators.image_artifacts",
    "robustmed.generators.volume",
    "robustmed.generators.video",
)

_BUILTIN_DONE = False


def _register_builtin() -> None:
    global _BUILTIN_DONE
    if _BUILTIN_DONE:
        return
    _BUILTIN_DONE = True
    from importlib import import_module

    for path in GENERATOR_MODULES:
        for cls in import_module(path).GENERATORS:
            register_generator(cls)
