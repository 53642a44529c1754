"""The ncctg_lung late-fusion reference model: deterministic training code.

Trained full batch on CPU in a few seconds on the 67 in-domain training
patients, so it is a small baseline for site-shift and fairness analyses, not
a clinical prognostic model. Retrain and rewrite the shipped weights with::

    python -m robustmed.models.registry ncctg_late_fusion
"""

from __future__ import annotations

from robustmed.data.datasets import load_dataset
from robustmed.models.adapter import LateFusionAdapter
from robustmed.models.reference import TrainingConfig, checkpoint, model_from_checkpoint, train_late_fusion
from robustmed.models.registry import ReferenceModel

# The ad_late_fusion training settings with narrower layers for seven features; not tuned on the test split.
LUNG_CONFIG = TrainingConfig(dataset="ncctg_lung", hidden=16, embedding_dim=8)


def _adapter(stored: dict) -> LateFusionAdapter:
    model = model_from_checkpoint(stored)
    return LateFusionAdapter(model, load_dataset(LUNG_CONFIG.dataset).tasks, tuple(model.modalities))


REFERENCE_MODELS = (
    ReferenceModel(
        name="ncctg_late_fusion",
        dataset="ncctg_lung",
        description="late-fusion MLP over clinician-rated, patient-reported and demographic features",
        build=_adapter,
        train=lambda: checkpoint(train_late_fusion(LUNG_CONFIG)),
    ),
)
