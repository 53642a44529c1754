"""The actg320_aids late-fusion reference model: deterministic training code.

Trained full batch on CPU on the 556 training patients with the
``ad_late_fusion`` settings and narrower layers, not tuned on the test split.
Retrain and rewrite the shipped weights with::

    python -m robustmed.models.registry actg320_late_fusion
"""

from __future__ import annotations

from robustmed.data.datasets import load_dataset
from robustmed.models.adapter import LateFusionAdapter
from robustmed.models.reference import TrainingConfig, checkpoint, model_from_checkpoint, train_late_fusion
from robustmed.models.registry import ReferenceModel

ACTG_CONFIG = TrainingConfig(dataset="actg320_aids", hidden=16, embedding_dim=8)


def _adapter(stored: dict) -> LateFusionAdapter:
    model = model_from_checkpoint(stored)
    return LateFusionAdapter(model, load_dataset(ACTG_CONFIG.dataset).tasks, tuple(model.modalities))


REFERENCE_MODELS = (
    ReferenceModel(
        name="actg320_late_fusion",
        dataset="actg320_aids",
        description="late-fusion MLP over immunology, clinical and demographic features of ACTG 320",
        build=_adapter,
        train=lambda: checkpoint(train_late_fusion(ACTG_CONFIG)),
    ),
)
