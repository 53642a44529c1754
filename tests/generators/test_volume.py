"""Family tests of the volume generators on real CT and MRI: units, dtypes and TorchIO replay."""

from dataclasses import replace

import pytest
import torch
import torchio as tio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustmed.generators import build_generator, sample_keys
from robustmed.generators.volume import BIAS_FIELD_ORDER, FULL_DOSE_NOISE_HU, motion_axes
from tests.generators.cases.imaging import brain_mri, ct_volume_hu, mr_series_uint16


def _run(name, data, level, seed=0):
    keys = sample_keys(seed, name, data.sample_ids)
    return build_generator(name)(data.values, data.present, level, keys, data.spec)


def test_low_dose_noise_matches_dose_in_hu():
    data = ct_volume_hu()
    result = _run("volume_low_dose_ct", data, 4.0)
    dose = build_generator("volume_low_dose_ct").ladder.value(4.0)
    expected = FULL_DOSE_NOISE_HU * (1.0 / dose - 1.0) ** 0.5
    assert result.values.dtype == torch.int16
    noise = (result.values.float() - data.values.float())
    unclipped = data.values > -900
    assert noise[unclipped].std().item() == pytest.approx(expected, rel=0.15)


def test_low_dose_needs_hounsfield_units():
    with pytest.raises(ValueError, match="Hounsfield"):
        _run("volume_low_dose_ct", brain_mri(), 2.0)


def test_hu_volume_clipped_at_air_never_wrapped():
    data = ct_volume_hu()
    result = _run("volume_gaussian_noise", data, 5.0).values
    assert result.dtype == torch.int16
    assert int(result.min()) >= -1024
    assert int(result.max()) <= 3071


def test_uint16_mr_round_trips_at_level_zero():
    data = mr_series_uint16()
    for name in ("volume_rician_noise", "volume_motion", "volume_thick_slice"):
        assert torch.equal(_run(name, data, 0.0).values, data.values)


def test_rician_noise_raises_dark_background():
    data = brain_mri()
    result = _run("volume_rician_noise", data, 5.0).values
    background = data.values < 0.02
    assert background.any()
    assert result[background].mean().item() > data.values[background].mean().item()
    assert float(result.min()) >= 0.0


def test_bias_field_replays_with_torchio():
    data = brain_mri()
    result = _run("volume_bias_field", data, 3.0)
    coefficients = result.params["coefficients"][1].tolist()
    expected = tio.BiasField(coefficients=coefficients, order=BIAS_FIELD_ORDER)(data.values[1].float())
    assert torch.allclose(result.values[1], expected.clamp(0.0, 1.0), atol=1e-6)


def test_motion_parameters_scale_with_level():
    data = brain_mri()
    low, high = _run("volume_motion", data, 1.0).params, _run("volume_motion", data, 5.0).params
    assert low["rotations"].abs().max() <= build_generator("volume_motion").ladder.value(1.0)
    assert high["rotations"].abs().max() > low["rotations"].abs().max()
    assert torch.equal(low["times"], high["times"])


def test_motion_stays_in_plane_of_two_slices():
    data = ct_volume_hu()
    params = _run("volume_motion", data, 5.0).params
    # Axes (D, H, W): the 2-slice depth is thin, so only in-plane rotation about D is left.
    assert bool((params["rotations"][..., 1:] == 0).all())
    assert bool((params["translations"][..., 0] == 0).all())
    assert bool((params["rotations"][..., 0] != 0).any())
    assert bool((params["translations"][..., 1:] != 0).any())


def test_motion_axes_of_thin_and_thick_volumes():
    assert motion_axes((95, 117, 99)) == ((True, True, True), (True, True, True))
    assert motion_axes((2, 512, 512)) == ((True, False, False), (False, True, True))
    assert motion_axes((10, 64, 64)) == ((True, False, False), (False, True, True))
    assert motion_axes((2, 4, 512)) == ((False, False, False), (False, False, True))
    assert motion_axes((8, 8, 8)) == ((True, True, True), (True, True, True))


def test_thick_slice_smooths_along_depth_only():
    data = brain_mri()
    result = _run("volume_thick_slice", data, 5.0).values
    depth_change = (result.diff(dim=2).abs().mean() / data.values.diff(dim=2).abs().mean()).item()
    row_change = (result.diff(dim=3).abs().mean() / data.values.diff(dim=3).abs().mean()).item()
    assert depth_change < 0.7
    assert row_change > depth_change


def test_volume_layout_rejected_for_image_tensor():
    data = brain_mri()
    with pytest.raises(ValueError, match="layout"):
        build_generator("volume_gaussian_noise")(data.values[:, 0], data.present, 1.0, sample_keys(0, "v", data.sample_ids), data.spec)


_DTYPES = {"float32": (torch.float32, (0.0, 1.0)), "uint16": (torch.uint16, (0, 4095)), "int16": (torch.int16, (-1024, 3071))}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["volume_gaussian_noise", "volume_rician_noise", "volume_thick_slice", "volume_spike"]),
    dtype=st.sampled_from(sorted(_DTYPES)),
    batch=st.integers(1, 2),
    depth=st.integers(2, 12),
    size=st.integers(6, 20),
    level=st.floats(0.0, 5.0),
)
def test_any_volume_shape_and_dtype_preserved(name, dtype, batch, depth, size, level):
    torch_dtype, value_range = _DTYPES[dtype]
    base = brain_mri().values[:1, :, :depth, :size, :size].expand(batch, -1, -1, -1, -1)
    values = (value_range[0] + base * (value_range[1] - value_range[0])).to(torch.float32)
    values = values.contiguous() if torch_dtype == torch.float32 else values.round().to(torch_dtype)
    spec = replace(brain_mri().spec, shape=tuple(values.shape[1:]), dtype=torch_dtype, value_range=value_range)
    ids = [f"v{i}" for i in range(batch)]
    result = build_generator(name)(values, torch.ones(batch, dtype=torch.bool), level, sample_keys(2, name, ids), spec).values
    assert result.dtype == torch_dtype
    assert result.shape == values.shape
    as_float = result.float()
    assert not torch.isnan(as_float).any()
    assert float(as_float.min()) >= value_range[0]
    assert float(as_float.max()) <= value_range[1]
