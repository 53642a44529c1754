"""Behaviour specific to the physiological signal generators, on real ECG."""

import math
from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators import build_generator, sample_keys
from robustmed.generators.fidelity import fidelity_loss
from tests.generators.cases.signals import signal_input


def _apply(name, data, level, seed=0):
    keys = sample_keys(seed, name, data.sample_ids)
    return build_generator(name)(data.values, data.present, level, keys, data.spec)


@pytest.fixture(scope="module")
def mitbih():
    return signal_input("mitbih_ecg")


@pytest.fixture(scope="module")
def twelve_lead():
    return signal_input("twelve_lead_ecg")


@pytest.mark.parametrize(
    "name", ["signal_white_noise", "signal_baseline_wander", "signal_powerline", "signal_emg", "signal_electrode_motion"]
)
@pytest.mark.parametrize("level", [1.0, 4.0])
def test_additive_artifact_reaches_target_snr(mitbih, name, level):
    result = _apply(name, mitbih, level)
    target_db = build_generator(name).ladder.value(level)
    noise = (result.values - mitbih.values).double()
    signal_power = mitbih.values.double().var(dim=-1, unbiased=False).mean(dim=-1)
    noise_power = noise.pow(2).mean(dim=(-2, -1))
    measured_db = 10 * torch.log10(signal_power / noise_power)
    assert torch.allclose(measured_db, torch.full_like(measured_db, target_db), atol=0.05)


def test_fidelity_loss_of_zero_db_noise_is_one_half(mitbih):
    result = _apply("signal_white_noise", mitbih, 5.0)
    _, loss = fidelity_loss(mitbih.values, result.values, mitbih.present, result.present, mitbih.spec)
    assert loss.mean() == pytest.approx(0.5, abs=0.01)


def test_powerline_peaks_at_mains_frequency(twelve_lead):
    result = _apply("signal_powerline", twelve_lead, 5.0)
    mains = result.params["mains_hz"][0].item()
    noise = (result.values - twelve_lead.values)[0, 0].double()
    spectrum = torch.fft.rfft(noise).abs()
    freqs = torch.fft.rfftfreq(noise.numel(), d=1 / twelve_lead.spec.sampling_rate)
    assert mains in (50.0, 60.0)
    assert freqs[spectrum.argmax()].item() == pytest.approx(mains, abs=1.0)


def test_emg_energy_lies_in_muscle_band(mitbih):
    noise = (_apply("signal_emg", mitbih, 5.0).values - mitbih.values).double()
    power = torch.fft.rfft(noise, dim=-1).abs().pow(2).sum(dim=(0, 1))
    freqs = torch.fft.rfftfreq(noise.shape[-1], d=1 / mitbih.spec.sampling_rate)
    in_band = power[(freqs >= 20) & (freqs <= 150)].sum() / power.sum()
    assert in_band.item() > 0.99


def test_lead_loss_gives_flat_lines(twelve_lead):
    result = _apply("signal_lead_loss", twelve_lead, 5.0)
    lost = result.params["lost"][0]
    assert lost.any()
    assert torch.all(result.values[0, lost] == 0)
    assert torch.equal(result.values[0, ~lost], twelve_lead.values[0, ~lost])


def test_lead_swap_exchanges_two_channels(twelve_lead):
    generator = build_generator("signal_lead_swap")
    generator.ladder = replace(generator.ladder, values=(1.0,) * 5)
    keys = sample_keys(0, "signal_lead_swap", twelve_lead.sample_ids)
    result = generator(twelve_lead.values, twelve_lead.present, 5.0, keys, twelve_lead.spec)
    first, second = result.params["first"][0].item(), result.params["second"][0].item()
    assert first != second
    assert torch.equal(result.values[0, first], twelve_lead.values[0, second])
    assert torch.equal(result.values[0, second], twelve_lead.values[0, first])
    others = [c for c in range(12) if c not in (first, second)]
    assert torch.equal(result.values[0, others], twelve_lead.values[0, others])


def test_lead_swap_of_one_channel_inverts_polarity(mitbih):
    generator = build_generator("signal_lead_swap")
    generator.ladder = replace(generator.ladder, values=(1.0,) * 5)
    keys = sample_keys(0, "signal_lead_swap", mitbih.sample_ids)
    result = generator(mitbih.values, mitbih.present, 5.0, keys, mitbih.spec)
    assert torch.equal(result.values, -mitbih.values)


def test_rate_mismatch_stretches_time(mitbih):
    result = _apply("signal_rate_mismatch", mitbih, 5.0)
    error = result.params["relative_error"]
    expected_error = build_generator("signal_rate_mismatch").ladder.value(5.0)
    assert torch.allclose(error.abs(), torch.full_like(error, expected_error))
    # Sample t of the output is the input at t * (1 + d): check one interior sample exactly.
    i, t = 0, 500
    position = t * (1 + error[i].item())
    left = math.floor(position)
    weight = position - left
    expected = (1 - weight) * mitbih.values[i, 0, left] + weight * mitbih.values[i, 0, left + 1]
    assert result.values[i, 0, t].item() == pytest.approx(expected.item(), abs=1e-5)


def test_clipping_bounds_each_channel(mitbih):
    result = _apply("signal_clipping", mitbih, 3.0)
    assert torch.all(result.values.amax(-1) <= mitbih.values.amax(-1))
    assert torch.all(result.values.amin(-1) >= mitbih.values.amin(-1))
    assert (result.values != mitbih.values).any()


def test_integer_counts_are_clipped_not_wrapped(mitbih):
    counts = (mitbih.values * 30000).round().clamp(-32768, 32767).to(torch.int16)
    spec = replace(mitbih.spec, unit="ADC counts")
    keys = sample_keys(0, "signal_white_noise", mitbih.sample_ids)
    generator = build_generator("signal_white_noise")
    result = generator(counts, mitbih.present, 5.0, keys, spec)
    in_float = generator(counts.to(torch.float32), mitbih.present, 5.0, keys, spec).values
    expected = in_float.round().clamp(-32768, 32767).to(torch.int16)
    assert result.values.dtype == torch.int16
    assert (in_float > 32767).any()
    assert torch.equal(result.values, expected)


def test_missing_sampling_rate_rejected(mitbih):
    spec = replace(mitbih.spec, sampling_rate=None)
    keys = sample_keys(0, "signal_powerline", mitbih.sample_ids)
    with pytest.raises(ValueError, match="needs the sampling rate of modality 'mitbih_ecg'"):
        build_generator("signal_powerline")(mitbih.values, mitbih.present, 2.0, keys, spec)


def test_wrong_shape_rejected(mitbih):
    keys = sample_keys(0, "signal_emg", mitbih.sample_ids)
    with pytest.raises(ValueError, match=r"shape \(batch, channels, time\)"):
        build_generator("signal_emg")(mitbih.values[:, 0], mitbih.present, 2.0, keys, mitbih.spec)


def test_segment_dropout_zeroes_one_span(mitbih):
    result = _apply("missing_segment", mitbih, 3.0)
    fraction = build_generator("missing_segment").ladder.value(3.0)
    width = round(fraction * mitbih.values.shape[-1])
    for i in range(len(mitbih.values)):
        changed = torch.nonzero(result.values[i, 0] != mitbih.values[i, 0]).flatten()
        start, stop = changed.min().item(), changed.max().item() + 1
        assert stop - start <= width
        assert stop - start >= 0.9 * width
        assert torch.all(result.values[i, 0, start:stop] == 0)


SIGNAL_NAMES = [
    "signal_white_noise", "signal_baseline_wander", "signal_powerline", "signal_emg", "signal_electrode_motion",
    "signal_clipping", "signal_lead_loss", "signal_lead_swap", "signal_rate_mismatch", "missing_segment",
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(SIGNAL_NAMES),
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    length=st.integers(64, 400),
    dtype=st.sampled_from([torch.float32, torch.float64, torch.int16]),
    level=st.floats(0.0, 5.0),
)
def test_shape_and_dtype_preserved(name, batch, channels, length, dtype, level):
    values = (1000 * torch.sin(torch.arange(batch * channels * length, dtype=torch.float64) / 7)).reshape(
        batch, channels, length
    )
    values = values.to(dtype)
    spec = ModalitySpec("ecg", ModalityKind.SIGNAL, (channels, length), dtype=dtype, sampling_rate=250.0)
    keys = sample_keys(0, name, [f"s{i}" for i in range(batch)])
    result = build_generator(name)(values, torch.ones(batch, dtype=torch.bool), level, keys, spec)
    assert result.values.shape == values.shape
    assert result.values.dtype == dtype
