"""Behaviour specific to the tabular generators and modality absence."""

import pytest
import torch

from robustmed.generators import build_generator, sample_keys


@pytest.fixture(scope="module")
def test_split(ad_dataset):
    return ad_dataset.split("test")


def _apply(name, batch, modality, spec, level):
    keys = sample_keys(0, name, batch.sample_ids)
    return build_generator(name)(batch.modalities[modality], batch.present[modality], level, keys, spec)


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
    low = _apply("mcar_missing", test_split, "proteins", ad_dataset.specs["proteins"], 1.0)
    high = _apply("mcar_missing", test_split, "proteins", ad_dataset.specs["proteins"], 4.0)
    assert torch.all(torch.isnan(high.values)[torch.isnan(low.values)])


def test_absence_rate_matches_ladder(test_split, ad_dataset):
    result = _apply("modality_absence", test_split, "csf", ad_dataset.specs["csf"], 3.0)
    expected = build_generator("modality_absence").ladder.value(3.0)
    assert abs((~result.present).float().mean().item() - expected) < 0.15


def test_noise_scaled_to_feature_spread(test_split, ad_dataset):
    spec = ad_dataset.specs["proteins"]
    result = _apply("gaussian_noise", test_split, "proteins", spec, 4.0)
    sigma = build_generator("gaussian_noise").ladder.value(4.0)
    ratio = (result.values - test_split.modalities["proteins"]).std(0) / spec.feature_scale
    assert ratio.mean().item() == pytest.approx(sigma, rel=0.1)


def test_wrong_modality_kind_rejected(test_split, ad_dataset):
    from dataclasses import replace

    from robustmed.data.spec import ModalityKind

    spec = replace(ad_dataset.specs["csf"], kind=ModalityKind.TEXT)
    with pytest.raises(ValueError, match="accepts modality kinds"):
        _apply("gaussian_noise", test_split, "csf", spec, 1.0)
