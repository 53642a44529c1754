"""Behaviour specific to the omics and EHR table generators, on real expression and lab data."""

from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators import build_generator, sample_keys
from robustmed.generators.ehr import conversion_factors
from tests.generators.cases.features import feature_input


@pytest.fixture(scope="module")
def expression():
    return feature_input("omics")


@pytest.fixture(scope="module")
def labs():
    return feature_input("tabular")


def _apply(name, data, level, value=None, spec=None, values=None):
    generator = build_generator(name)
    if value is not None:
        generator.ladder = replace(generator.ladder, values=(value,) * 5)
        level = 5.0
    keys = sample_keys(0, name, data.sample_ids)
    return generator(data.values if values is None else values, data.present, level, keys, spec or data.spec)


def test_dropout_zeroes_requested_fraction(expression):
    result = _apply("omics_dropout", expression, 0, value=0.3)
    zeros = (result.values == 0) & (expression.values != 0)
    assert zeros.double().mean().item() == pytest.approx(0.3, abs=0.02)
    kept = ~zeros
    assert torch.equal(result.values[kept], expression.values[kept])


def test_library_size_scales_whole_profile(expression):
    result = _apply("omics_library_size", expression, 4.0)
    ratio = result.values.double() / expression.values.double()
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio), rtol=1e-5)
    expected = torch.exp(result.params["log_factor"]).double()
    assert torch.allclose(ratio[:, 0], expected, rtol=1e-5)


def test_batch_effect_shared_within_batch(expression):
    result = _apply("omics_batch_effect", expression, 5.0)
    batch = result.params["batch"]
    log_ratio = torch.log(result.values.double() / expression.values.double())
    for b in batch.unique():
        members = torch.nonzero(batch == b).flatten()
        assert torch.allclose(log_ratio[members], log_ratio[members[:1]].expand(len(members), -1), atol=1e-5)
    assert len(batch.unique()) > 1


def test_poisson_resampling_keeps_mean(expression):
    result = _apply("omics_poisson", expression, 0, value=2.0)
    relative = (result.values.double().sum() / expression.values.double().sum()).item()
    assert relative == pytest.approx(1.0, abs=0.01)
    counts = result.values.double() / 2.0
    assert torch.allclose(counts, counts.round(), atol=1e-3)


def test_negative_abundances_rejected(expression):
    with pytest.raises(ValueError, match="needs non-negative abundances"):
        _apply("omics_dropout", expression, 2.0, values=expression.values - 1000.0)


def test_unit_change_uses_analyte_factors(labs):
    factors = conversion_factors(labs.spec)
    names = labs.spec.feature_names
    assert factors[names.index("chol")].item() == pytest.approx(0.02586)
    assert factors[names.index("bili")].item() == pytest.approx(17.10)
    assert factors[names.index("platelet")].item() == 1.0
    result = _apply("unit_change", labs, 0, value=1.0)
    column = names.index("chol")
    assert torch.allclose(result.values[:, column], labs.values[:, column] * 0.02586, rtol=1e-5)
    untouched = [i for i, name in enumerate(names) if factors[i] == 1.0]
    assert torch.equal(result.values[:, untouched], labs.values[:, untouched])


def test_unit_change_converts_si_back(labs):
    spec = replace(labs.spec, unit="SI units (mmol/L, umol/L)")
    assert conversion_factors(spec)[labs.spec.feature_names.index("chol")].item() == pytest.approx(1 / 0.02586)


def test_unit_change_without_analytes_rejected(labs):
    spec = replace(labs.spec, feature_names=tuple(f"feature_{i}" for i in range(len(labs.spec.feature_names))))
    with pytest.raises(ValueError, match="no feature of modality 'pbc_labs' names a known analyte"):
        _apply("unit_change", labs, 2.0, spec=spec)


def test_miscoding_gives_other_valid_codes(labs):
    result = _apply("category_miscoding", labs, 0, value=1.0)
    names = labs.spec.feature_names
    low, high = labs.spec.feature_range
    for name in ("ascites", "hepato", "spiders", "stage"):
        column = names.index(name)
        before, after = labs.values[:, column], result.values[:, column]
        assert torch.all(before != after)
        assert torch.all((after >= low[column]) & (after <= high[column]))
        assert torch.all(after == after.round())
    continuous = names.index("chol")
    assert torch.equal(result.values[:, continuous], labs.values[:, continuous])


def test_mar_driver_stays_observed(labs):
    result = _apply("mar_missing", labs, 5.0)
    assert not torch.isnan(result.values[:, 0]).any()
    assert torch.isnan(result.values[:, 1:]).any()


def test_mnar_hits_high_values_more(expression):
    result = _apply("mnar_missing", expression, 3.0)
    missing = torch.isnan(result.values)
    median = expression.values.median(dim=0).values
    high = expression.values > median
    assert missing[high].double().mean() > 2 * missing[~high].double().mean()


def test_outliers_shift_decimal_point(labs):
    result = _apply("outliers", labs, 0, value=0.5)
    changed = result.values != labs.values
    ratio = result.values[changed] / labs.values[changed]
    assert torch.all(torch.isclose(ratio, torch.tensor(10.0)) | torch.isclose(ratio, torch.tensor(0.1)))


def test_stale_values_move_a_fraction(labs):
    result = _apply("stale_values", labs, 0, value=0.4)
    changed = (result.values != labs.values).double().mean().item()
    assert changed == pytest.approx(0.4, abs=0.08)


def test_missing_segment_marks_adjacent_features(expression):
    result = _apply("missing_segment", expression, 3.0)
    width = round(build_generator("missing_segment").ladder.value(3.0) * expression.values.shape[1])
    for row in torch.isnan(result.values):
        where = torch.nonzero(row).flatten()
        assert where.numel() == width
        assert where.max() - where.min() + 1 == width


FEATURE_NAMES = ["omics_dropout", "omics_library_size", "omics_batch_effect", "omics_poisson", "mar_missing",
                 "mnar_missing", "stale_values", "outliers", "missing_segment"]


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(FEATURE_NAMES),
    batch=st.integers(1, 4),
    features=st.integers(1, 12),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    level=st.floats(0.0, 5.0),
)
def test_shape_and_dtype_preserved(name, batch, features, dtype, level):
    values = (torch.arange(batch * features, dtype=dtype).reshape(batch, features) % 7) * 13.0
    spec = ModalitySpec(
        "profile", ModalityKind.OMICS, (features,), dtype=dtype, value_range=(0.0, float("inf")),
        feature_names=tuple(f"g{i}" for i in range(features)), feature_scale=torch.full((features,), 5.0),
        feature_range=(torch.zeros(features), torch.full((features,), 78.0)),
    )
    keys = sample_keys(0, name, [f"s{i}" for i in range(batch)])
    result = build_generator(name)(values, torch.ones(batch, dtype=torch.bool), level, keys, spec)
    assert result.values.shape == values.shape
    assert result.values.dtype == dtype
