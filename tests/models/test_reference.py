import pickle

import pytest
import torch
from sklearn.metrics import roc_auc_score

from robustmed.errors import RobustmedError
from robustmed.models.checkpoint import load_checkpoint
from robustmed.models.reference import AD_CONFIG, model_from_checkpoint, train_late_fusion
from robustmed.models.registry import (
    load_reference_checkpoint,
    recorded_checksums,
    reference_checksum,
    reference_models,
    weights_path,
)


def test_retraining_reproduces_shipped_weights():
    shipped = model_from_checkpoint(load_reference_checkpoint("ad_late_fusion")).state_dict()
    retrained = train_late_fusion(AD_CONFIG).state_dict()
    assert shipped.keys() == retrained.keys()
    for name, value in shipped.items():
        torch.testing.assert_close(retrained[name], value, rtol=0, atol=1e-5, msg=name)


def test_shipped_weights_match_checksum():
    for name in reference_models():
        assert reference_checksum(name) == recorded_checksums()[name], name


def test_clean_test_auroc_documented(ad_dataset, ad_adapter):
    batch = ad_dataset.split("test")
    auroc = roc_auc_score(batch.targets["impaired"], ad_adapter.predict(batch)["impaired"])
    assert auroc == pytest.approx(0.845, abs=0.01)


def test_corrupted_checkpoint_rejected(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(weights_path("ad_late_fusion").read_bytes()[:-10])
    with pytest.raises(RobustmedError, match="SHA-256"):
        load_checkpoint(path, expected_sha256=reference_checksum("ad_late_fusion"))


class _Payload:
    def __reduce__(self):
        return (print, ("pickled code ran",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_weights_only_rejects_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    with path.open("wb") as handle:
        pickle.dump(_Payload(), handle)
    with pytest.raises(RobustmedError, match="weights_only=True"):
        load_checkpoint(path)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(RobustmedError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")
