"""The ncctg_lung late-fusion reference model: deterministic training code.

Trained full batch on CPU in a few seconds on the 67 in-domain training
patients, so it is a small baseline for site-shift and fairness analyses, not
a clinical prognostic model. Retrain and rewrite the shipped weights with::

    python -m robustmed.models.registry ncctg_late_fusion
"""

from __future__ import annotations

from robustmed.models.reference import TrainingConfig, late_fusion_reference

# The ad_late_fusion training settings with narrower layers for seven features; not tuned on the test split.
LUNG_CONFIG = TrainingConfig(dataset="ncctg_lung", hidden=16, embedding_dim=8)


REFERENCE_MODELS = (
    late_fusion_reference(
        "ncctg_late_fusion",
        LUNG_CONFIG,
        "late-fusion MLP over clinician-rated, patient-reported and demographic features",
    ),
)
