import pytest
import torch
from sklearn.metrics import roc_auc_score

from robustmed.data import load_dataset
from robustmed.models.peptide import (
    PEPTIDE_CONFIG,
    UNKNOWN,
    _training_batches,
    model_from_checkpoint,
    tokenize,
    train_peptide_model,
)
from robustmed.models.registry import load_reference_adapter, load_reference_checkpoint


@pytest.fixture(scope="module")
def adapter():
    return load_reference_adapter("peptide_cnn")


def test_retraining_reproduces_shipped_weights():
    shipped = model_from_checkpoint(load_reference_checkpoint("peptide_cnn")).state_dict()
    retrained = train_peptide_model(PEPTIDE_CONFIG).state_dict()
    assert shipped.keys() == retrained.keys()
    for name, value in shipped.items():
        torch.testing.assert_close(retrained[name], value, rtol=0, atol=1e-5, msg=name)


def test_heads_are_antimicrobial_tasks_only(adapter):
    assert set(adapter.tasks) == {"amp_vs_tm", "amp_vs_uniprot"}


def test_training_data_excludes_anticancer_sequences():
    batches, _ = _training_batches(PEPTIDE_CONFIG)
    trained = {sid for batch in batches.values() for sid in batch.sample_ids}
    for name in PEPTIDE_CONFIG.held_out:
        assert not trained & set(load_dataset(name).batch.sample_ids), name


@pytest.mark.parametrize(("name", "task", "expected"), [("peptides_amp_tm", "amp_vs_tm", 0.997), ("peptides_amp_uniprot", "amp_vs_uniprot", 0.967)])
def test_clean_test_auroc_documented(adapter, name, task, expected):
    batch = load_dataset(name).split("test")
    auroc = roc_auc_score(batch.targets[task], adapter.predict(batch)[task])
    assert auroc == pytest.approx(expected, abs=0.005)


def test_outputs_do_not_depend_on_batch_size(adapter):
    batch = load_dataset("peptides_acp_tm").split("test").select(range(40))
    whole = adapter.embed(batch)
    parts = torch.cat([adapter.embed(part) for part in batch.iter_batches(7)])
    assert whole.shape == (40, 32)
    torch.testing.assert_close(parts, whole, rtol=1e-5, atol=1e-5)


def test_missing_sequence_uses_learned_token(adapter):
    batch = load_dataset("peptides_acp_tm").split("test").select(range(10))
    absent = batch.with_modality("sequence", batch.modalities["sequence"], torch.zeros(10, dtype=torch.bool))
    changed = batch.with_modality("sequence", ["A" * 5] * 10, torch.zeros(10, dtype=torch.bool))
    torch.testing.assert_close(adapter.embed(absent), adapter.embed(changed))
    assert not torch.allclose(adapter.embed(absent), adapter.embed(batch))


def test_tokenize_unknown_and_empty():
    tokens, mask = tokenize(["AXB", ""])
    assert tokens.shape == (2, 3)
    assert tokens[0, 1] == UNKNOWN
    assert tokens[0, 2] == UNKNOWN
    assert tokens[1, 0] == UNKNOWN
    assert mask.tolist() == [[True, True, True], [True, False, False]]
