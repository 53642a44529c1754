import numpy as np
import torch
from scipy import stats

from robustmed.generators.random import normal, sample_keys, uniform


def test_keys_depend_on_seed_name_and_id():
    base = sample_keys(0, "g", ["a", "b"])
    assert not torch.equal(base, sample_keys(1, "g", ["a", "b"]))
    assert not torch.equal(base, sample_keys(0, "h", ["a", "b"]))
    assert base[0] != base[1]
    assert torch.equal(sample_keys(0, "g", ["b"]), base[1:])


def test_uniform_in_open_unit_interval():
    values = uniform(sample_keys(0, "u", [str(i) for i in range(200)]), (500,), 0, "cpu")
    assert values.min() > 0.0
    assert values.max() < 1.0
    assert stats.kstest(values.flatten().numpy(), "uniform").pvalue > 1e-3


def test_normal_matches_standard_normal():
    values = normal(sample_keys(0, "n", [str(i) for i in range(200)]), (500,), 0, "cpu")
    sample = values.flatten().numpy()
    assert abs(sample.mean()) < 0.01
    assert abs(sample.std() - 1.0) < 0.01
    assert stats.kstest(sample, "norm").pvalue > 1e-3


def test_streams_are_uncorrelated():
    keys = sample_keys(0, "s", [str(i) for i in range(100)])
    a = normal(keys, (1000,), 0, "cpu").flatten().numpy()
    b = normal(keys, (1000,), 1, "cpu").flatten().numpy()
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01


def test_no_global_rng_use():
    state = torch.get_rng_state()
    normal(sample_keys(0, "g", ["x"]), (10,), 0, "cpu")
    assert torch.equal(state, torch.get_rng_state())
