import pytest
import torch
from sklearn.metrics import roc_auc_score

from robustmed.data import load_dataset
from robustmed.models.benchmark import TRAINING_BY_MODEL, model_from_checkpoint, train_benchmark_model
from robustmed.models.registry import (
    load_reference_adapter,
    load_reference_checkpoint,
    recorded_checksums,
    reference_checksum,
    weights_path,
)

# Clean test-split AUROC per task, as docs/benchmark.md documents it.
CLEAN_AUROC = {
    "ischemic_stroke_late_fusion": {"stroke": 0.569},
    "breast_cancer_late_fusion": {"distant_metastasis": 0.657, "er_positive": 0.783},
    "cxr_reports_late_fusion": {"abnormal": 0.968, "cardiomegaly": 0.936, "pleural_effusion": 0.894, "opacity": 0.944},
    "bacterial_cds_late_fusion": {"coding_strand": 0.888, "in_frame": 0.980},
    "ecg_heart_rate_late_fusion": {"tachycardia": 0.908},
    "imaging_patches_late_fusion": {
        "ct": 0.894, "mr": 0.904, "ultrasound": 0.957, "radiograph": 0.838, "microscopy": 0.935, "fundus": 0.930,
    },
    "mni152_tissue_late_fusion": {"grey_matter": 0.971, "cortical_surface": 0.943},
}
# Retraining every model takes minutes on two cores; these two are the quickest, and they cover the
# feature and signal encoders and modality dropout.
RETRAINED_IN_TESTS = ("ischemic_stroke_late_fusion", "ecg_heart_rate_late_fusion")


@pytest.mark.parametrize("name", sorted(CLEAN_AUROC))
def test_clean_auroc_documented(name):
    adapter = load_reference_adapter(name)
    test = load_dataset(TRAINING_BY_MODEL[name].dataset).split("test")
    probabilities = adapter.predict(test)
    for task, expected in CLEAN_AUROC[name].items():
        auroc = roc_auc_score(test.targets[task].numpy(), probabilities[task].numpy())
        assert auroc == pytest.approx(expected, abs=0.002), task


@pytest.mark.parametrize("name", sorted(CLEAN_AUROC))
def test_weights_small_and_checksummed(name):
    assert weights_path(name).stat().st_size < 1_000_000
    assert reference_checksum(name) == recorded_checksums()[name]


@pytest.mark.parametrize("name", RETRAINED_IN_TESTS)
def test_retraining_reproduces_shipped_weights(name):
    shipped = model_from_checkpoint(load_reference_checkpoint(name)).state_dict()
    retrained = train_benchmark_model(TRAINING_BY_MODEL[name]).state_dict()
    assert shipped.keys() == retrained.keys()
    for key, value in shipped.items():
        torch.testing.assert_close(retrained[key], value, rtol=0, atol=1e-5, msg=key)


def test_embedding_cache_matches_direct_prediction():
    adapter = load_reference_adapter("cxr_reports_late_fusion")
    test = load_dataset("cxr_reports").split("test").select(range(50))
    embeddings = {name: adapter.encode(name, test.modalities[name]) for name in adapter.modalities}
    fused = adapter.fuse(embeddings, test.present)
    direct = adapter.predict(test)
    for task in adapter.tasks:
        torch.testing.assert_close(fused[task], direct[task])


def test_missing_modality_uses_learned_token():
    adapter = load_reference_adapter("breast_cancer_late_fusion")
    test = load_dataset("breast_cancer").split("test")
    absent = test.with_modality("expression", test.modalities["expression"], torch.zeros(len(test), dtype=torch.bool))
    scrambled = absent.with_modality("expression", torch.zeros_like(test.modalities["expression"]))
    torch.testing.assert_close(adapter.predict(absent)["er_positive"], adapter.predict(scrambled)["er_positive"])


def test_dna_encoder_handles_unequal_lengths():
    adapter = load_reference_adapter("bacterial_cds_late_fusion")
    test = load_dataset("bacterial_cds").split("test").select(range(4))
    shortened = [s[: 90 + 3 * i] + "NNN" for i, s in enumerate(test.modalities["sequence"])]
    out = adapter.predict(test.with_modality("sequence", shortened))
    assert torch.isfinite(out["in_frame"]).all()
