"""Registry of analysis kinds. Add a module path here to make a new kind available in recipes."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from robustmed.evaluators.base import Evaluator

EVALUATOR_MODULES = (
    "robustmed.evaluators.degradation",
    "robustmed.evaluators.ablation",
    "robustmed.evaluators.fairness",
    "robustmed.evaluators.shift",
    "robustmed.evaluators.transfer",
)


@cache
def evaluators() -> dict[str, Evaluator]:
    """Import the registered modules and return their evaluators by kind.

    Each module in ``EVALUATOR_MODULES`` defines ``EVALUATOR``.
    """
    found = {}
    for path in EVALUATOR_MODULES:
        evaluator = import_module(path).EVALUATOR
        found[evaluator.kind] = evaluator
    return found


def get_evaluator(kind: str) -> Evaluator:
    return evaluators()[kind]


def analysis_spec_classes() -> tuple[type, ...]:
    return tuple(e.spec_class for e in evaluators().values())
