"""Anticancer peptides vs scrambled random sequences, from modlAMP; see :mod:`robustmed.data.datasets.peptides`."""

from __future__ import annotations

from robustmed.data.datasets.base import Dataset
from robustmed.data.datasets.peptides import load_peptides

NAME = "peptides_acp_random"


def load() -> Dataset:
    return load_peptides(NAME)
