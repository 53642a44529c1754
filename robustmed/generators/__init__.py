"""Perturbation generators, one module per modality family, and their registry."""

from robustmed.generators.base import Generator, Ladder, Perturbed
from robustmed.generators.random import sample_keys
from robustmed.generators.registry import (
    build_generator,
    generator_class,
    generator_names,
    load_suites,
    register_generator,
    standard_ladder,
)

__all__ = [
    "Generator",
    "Ladder",
    "Perturbed",
    "build_generator",
    "generator_class",
    "generator_names",
    "load_suites",
    "register_generator",
    "sample_keys",
    "standard_ladder",
]
