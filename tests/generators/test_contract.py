"""Contract tests driven by the case table in ``tests/generators/cases``."""

import json
import pytest
import torch

from robustmed.generators import build_generator, generator_names, sample_keys
from tests.generators.cases import all_cases

CASES = all_cases()
IDS = [c.case_id for c in CASES]


_INPUTS = {}


def _input(case):
    if case.case_id not in _INPUTS:
        _INPUTS[case.case_id] = case.make_input()
    return _INPUTS[case.case_id]


def _run(case, level, seed=0, select=None):
    data = _input(case)
    values, present, ids = data.values, data.present, data.sample_ids
    if select is not None:
        values = values[select] if isinstance(values, torch.Tensor) else [values[i] for i in select.tolist()]
        present = present[select]
        ids = [ids[i] for i in select.tolist()]
    generator = build_generator(case.generator, **case.kwargs) if case.kwargs else build_generator(case.generator)
    keys = sample_keys(seed, case.generator, ids)
    return generator(values, present, level, keys, data.spec)


def _equal(a, b):
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and torch.equal(torch.nan_to_num(a, nan=-1e30), torch.nan_to_num(b, nan=-1e30))
    return list(a) == list(b)


def test_every_generator_has_a_case():
    covered = {c.generator for c in CASES}
    assert set(generator_names()) <= covered, set(generator_names()) - covered


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_same_seed_same_output(case):
    first, second = _run(case, 3.0), _run(case, 3.0)
    assert _equal(first.values, second.values)
    assert torch.equal(first.present, second.present)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_different_seed_different_output(case):
    first, second = _run(case, 3.0, seed=0), _run(case, 3.0, seed=1)
    same = _equal(first.values, second.values) and torch.equal(first.present, second.present)
    assert same == case.deterministic


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_level_zero_is_identity(case):
    data = _input(case)
    result = _run(case, 0.0)
    assert _equal(result.values, data.values)
    assert torch.equal(result.present, data.present)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("level", [0.5, 2.7, 5.0])
def test_type_shape_range_preserved_input_untouched(case, level):
    data = _input(case)
    before = data.values.clone() if isinstance(data.values, torch.Tensor) else list(data.values)
    result = _run(case, level)
    if isinstance(data.values, torch.Tensor):
        assert result.values.dtype == data.values.dtype
        assert result.values.shape == data.values.shape
        assert result.values.device == data.values.device
        assert _equal(data.values, before)
        if data.spec.value_range is not None:
            # torch has no min/max reductions for uint16, so integers are compared as int64.
            finite = result.values[~torch.isnan(result.values)] if result.values.is_floating_point() else result.values.long()
            assert finite.min() >= data.spec.value_range[0]
            assert finite.max() <= data.spec.value_range[1]
    else:
        assert isinstance(result.values, list)
        assert len(result.values) == len(data.values)
        assert data.values == before
    assert result.present.dtype == torch.bool


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_independent_of_batch_size_and_order(case):
    n = len(_input(case).sample_ids)
    whole = _run(case, 4.0)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(3))[: max(2, n // 3)]
    part = _run(case, 4.0, select=order)
    expected = whole.values[order] if isinstance(whole.values, torch.Tensor) else [whole.values[i] for i in order.tolist()]
    assert _equal(part.values, expected)
    assert torch.equal(part.present, whole.present[order])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_distortion_grows_with_level(case):
    data = _input(case)
    distortions = []
    for level in [1.0, 3.0, 5.0]:
        result = _run(case, level)
        distortions.append(case.distortion(data.values, result.values, data.present, result.present))
    assert distortions[0] <= distortions[1] <= distortions[2]
    assert distortions[2] > distortions[0]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_params_round_trip_json(case):
    result = _run(case, 2.5)
    records = build_generator(case.generator).record(result.params)
    if result.params:
        assert len(records) == len(_input(case).sample_ids)
        assert set(json.loads(records[0])) == set(result.params)


@pytest.mark.parametrize("level", [-0.1, 5.5, float("nan")])
def test_level_out_of_range_rejected(level):
    case = CASES[0]
    with pytest.raises(ValueError, match="level"):
        _run(case, level)


def test_level_of_wrong_type_rejected():
    with pytest.raises(TypeError, match="level must be a number"):
        _run(CASES[0], "3")
