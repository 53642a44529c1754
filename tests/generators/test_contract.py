"""Contract tests run over every registered generator that accepts tabular data."""

import json

import pytest
import torch

from robustmed.generators import build_generator, generator_names, sample_keys

TABULAR_GENERATORS = [n for n in generator_names() if "tabular" in build_generator(n).kinds]


@pytest.fixture(scope="module")
def test_split(ad_dataset):
    return ad_dataset.split("test")


def _apply(name, batch, spec_name, ad_dataset, level, seed=0, ids=None):
    generator = build_generator(name)
    ids = ids if ids is not None else batch.sample_ids
    keys = sample_keys(seed, name, ids)
    return generator(batch.modalities[spec_name], batch.present[spec_name], level, keys, ad_dataset.specs[spec_name])


def _same(a, b):
    return torch.equal(torch.nan_to_num(a.values, nan=-1e30), torch.nan_to_num(b.values, nan=-1e30)) and torch.equal(
        a.present, b.present
    )


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_same_seed_same_output(name, test_split, ad_dataset):
    first = _apply(name, test_split, "proteins", ad_dataset, 3.0)
    second = _apply(name, test_split, "proteins", ad_dataset, 3.0)
    assert _same(first, second)


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_different_seed_different_output(name, test_split, ad_dataset):
    first = _apply(name, test_split, "proteins", ad_dataset, 3.0, seed=0)
    second = _apply(name, test_split, "proteins", ad_dataset, 3.0, seed=1)
    assert not _same(first, second)


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_level_zero_is_identity(name, test_split, ad_dataset):
    result = _apply(name, test_split, "csf", ad_dataset, 0.0)
    assert torch.equal(result.values, test_split.modalities["csf"])
    assert torch.equal(result.present, test_split.present["csf"])


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
@pytest.mark.parametrize("level", [0.5, 1.0, 2.7, 5.0])
def test_dtype_shape_preserved_and_input_untouched(name, level, test_split, ad_dataset):
    original = test_split.modalities["proteins"].clone()
    result = _apply(name, test_split, "proteins", ad_dataset, level)
    assert result.values.dtype == original.dtype
    assert result.values.shape == original.shape
    assert result.present.dtype == torch.bool
    assert torch.equal(test_split.modalities["proteins"], original)


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_value_range_respected(name, test_split, ad_dataset):
    result = _apply(name, test_split, "genotype", ad_dataset, 5.0)
    finite = result.values[~torch.isnan(result.values)]
    assert finite.min() >= 0.0
    assert finite.max() <= 2.0


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_independent_of_batch_size_and_order(name, test_split, ad_dataset):
    whole = _apply(name, test_split, "proteins", ad_dataset, 4.0)
    order = torch.randperm(len(test_split), generator=torch.Generator().manual_seed(3))
    shuffled = test_split.select(order[:17])
    part = _apply(name, shuffled, "proteins", ad_dataset, 4.0)
    expected = whole.values[order[:17]]
    assert torch.equal(torch.nan_to_num(part.values, nan=-1e30), torch.nan_to_num(expected, nan=-1e30))
    assert torch.equal(part.present, whole.present[order[:17]])


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_distortion_grows_with_level(name, test_split, ad_dataset):
    clean = test_split.modalities["proteins"]
    distortions = []
    for level in [1, 2, 3, 4, 5]:
        result = _apply(name, test_split, "proteins", ad_dataset, float(level))
        changed = torch.isnan(result.values) | (result.values != clean)
        changed = changed | ~result.present.unsqueeze(1)
        error = torch.nan_to_num((result.values - clean).abs(), nan=0.0).mean().item()
        distortions.append((changed.float().mean().item(), error))
    fractions = [d[0] for d in distortions]
    errors = [d[1] for d in distortions]
    assert fractions == sorted(fractions) or errors == sorted(errors)
    assert fractions[-1] > fractions[0] or errors[-1] > errors[0]


@pytest.mark.parametrize("name", TABULAR_GENERATORS)
def test_params_round_trip_json(name, test_split, ad_dataset):
    result = _apply(name, test_split, "csf", ad_dataset, 2.5)
    records = build_generator(name).record(result.params)
    assert len(records) == len(test_split)
    decoded = json.loads(records[0])
    assert set(decoded) == set(result.params)


@pytest.mark.parametrize("level", [-0.1, 5.5, float("nan")])
def test_level_out_of_range_rejected(level, test_split, ad_dataset):
    with pytest.raises(ValueError, match="level"):
        _apply("gaussian_noise", test_split, "csf", ad_dataset, level)


def test_level_of_wrong_type_rejected(test_split, ad_dataset):
    with pytest.raises(TypeError, match="level must be a number"):
        _apply("gaussian_noise", test_split, "csf", ad_dataset, "3")


def test_missingness_needs_float(test_split, ad_dataset):
    generator = build_generator("mcar_missing")
    values = test_split.modalities["genotype"].to(torch.int64)
    keys = sample_keys(0, "mcar_missing", test_split.sample_ids)
    with pytest.raises(TypeError, match="floating-point"):
        generator(values, test_split.present["genotype"], 2.0, keys, ad_dataset.specs["genotype"])


def test_intermediate_level_interpolates_ladder():
    ladder = build_generator("gaussian_noise").ladder
    assert ladder.value(2.5) == pytest.approx((ladder.values[1] + ladder.values[2]) / 2)
    assert ladder.value(0.0) == ladder.identity
    assert ladder.value(5.0) == ladder.values[-1]


def test_missing_levels_are_nested(test_split, ad_dataset):
    low = _apply("mcar_missing", test_split, "proteins", ad_dataset, 1.0)
    high = _apply("mcar_missing", test_split, "proteins", ad_dataset, 4.0)
    assert torch.all(torch.isnan(high.values)[torch.isnan(low.values)])


def test_absence_rate_matches_ladder(test_split, ad_dataset):
    result = _apply("modality_absence", test_split, "csf", ad_dataset, 3.0)
    expected = build_generator("modality_absence").ladder.value(3.0)
    assert abs((~result.present).float().mean().item() - expected) < 0.15
