"""The actg320_aids late-fusion reference model: deterministic training code.

Trained full batch on CPU on the 556 training patients with the
``ad_late_fusion`` settings and narrower layers, not tuned on the test split.
Retrain and rewrite the shipped weights with::

    python -m robustmed.models.registry actg320_late_fusion
"""

from __future__ import annotations

from robustmed.models.reference import TrainingConfig, late_fusion_reference

ACTG_CONFIG = TrainingConfig(dataset="actg320_aids", hidden=16, embedding_dim=8)


REFERENCE_MODELS = (
    late_fusion_reference(
        "actg320_late_fusion",
        ACTG_CONFIG,
        "late-fusion MLP over immunology, clinical and demographic features of ACTG 320",
    ),
)
