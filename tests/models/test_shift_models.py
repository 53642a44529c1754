"""Reference models of the NCCTG lung and ACTG 320 datasets: reproducible weights, documented AUROC."""

import pytest
import torch
from sklearn.metrics import roc_auc_score

from robustmed.data import load_dataset
from robustmed.models.lung_reference import LUNG_CONFIG
from robustmed.models.reference import train_late_fusion
from robustmed.models.registry import load_reference_adapter, load_reference_checkpoint


def test_lung_retraining_reproduces_weights():
    shipped = load_reference_checkpoint("ncctg_late_fusion")["state_dict"]
    retrained = train_late_fusion(LUNG_CONFIG).state_dict()
    assert shipped.keys() == retrained.keys()
    for name, value in shipped.items():
        torch.testing.assert_close(retrained[name], value, rtol=0, atol=1e-5, msg=name)


@pytest.mark.parametrize(
    ("model", "dataset", "task", "documented"),
    [("ncctg_late_fusion", "ncctg_lung", "death_1y", 0.658), ("actg320_late_fusion", "actg320_aids", "event_180d", 0.621)],
)
def test_clean_test_auroc_documented(model, dataset, task, documented):
    batch = load_dataset(dataset).split("test")
    probabilities = load_reference_adapter(model).predict(batch)[task]
    assert roc_auc_score(batch.targets[task], probabilities) == pytest.approx(documented, abs=0.005)
