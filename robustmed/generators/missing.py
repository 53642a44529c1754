"""Whole-modality absence, for every modality kind."""

from __future__ import annotations

import torch

from robustmed.data.spec import ModalityKind
from robustmed.generators.base import Generator, per_sample
from robustmed.generators.random import uniform


class ModalityAbsence(Generator):
    """Mark the modality missing for each sample with probability p.

    Values are left as they are; the ``present`` mask carries the absence and the
    model adapter's missing-modality policy decides what the model receives.
    """

    name = "modality_absence"
    kinds = frozenset(ModalityKind)
    description = "whole modality missing for a fraction of samples"

    def sample_params(self, severity, keys, spec, x):
        u = uniform(keys, (1,), stream=0, device=keys.device)[:, 0]
        return {"p": per_sample(severity, keys), "absent": u < severity}

    def apply(self, x, present, params, keys, spec):
        return x, present & ~params["absent"].to(present.device)


GENERATORS = (ModalityAbsence,)
