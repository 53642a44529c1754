"""Behaviour specific to the audio generators, on ECG resampled to an audio rate."""

import random
from dataclasses import replace

import numpy as np
import pytest
import torch

from robustmed.generators import build_generator, sample_keys
from tests.generators.cases.signals import audio_input


@pytest.fixture(scope="module")
def audio():
    return audio_input()


def _apply(name, data, level, seed=0):
    keys = sample_keys(seed, name, data.sample_ids)
    return build_generator(name)(data.values, data.present, level, keys, data.spec)


AUDIOMENTATIONS_BACKED = ["audio_bandpass", "audio_gain", "audio_time_mask", "audio_bit_depth", "audio_mp3"]


@pytest.mark.parametrize("name", AUDIOMENTATIONS_BACKED)
def test_global_random_state_untouched(audio, name):
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    _apply(name, audio, 3.0)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0]
    assert np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]


@pytest.mark.parametrize("name", AUDIOMENTATIONS_BACKED)
def test_independent_of_global_seed(audio, name):
    random.seed(1)
    np.random.seed(1)
    first = _apply(name, audio, 3.0).values
    random.seed(2)
    np.random.seed(2)
    second = _apply(name, audio, 3.0).values
    assert torch.equal(first, second)


@pytest.mark.parametrize("name", ["audio_gaussian_snr", "audio_colour_noise", "audio_friction"])
def test_noise_reaches_target_snr(audio, name):
    result = _apply(name, audio, 2.0)
    target_db = build_generator(name).ladder.value(2.0)
    signal_power = audio.values.double().var(dim=-1, unbiased=False).mean(dim=-1)
    noise_power = (result.values - audio.values).double().pow(2).mean(dim=(-2, -1))
    measured = 10 * torch.log10(signal_power / noise_power)
    # Clipping to full scale may only remove noise power.
    assert torch.all(measured >= target_db - 0.05)
    assert torch.all(measured <= target_db + 0.5)


def test_colour_noise_is_low_frequency_heavy(audio):
    result = _apply("audio_colour_noise", audio, 5.0)
    noise = (result.values - audio.values).double()[:, 0]
    power = torch.fft.rfft(noise, dim=-1).abs().pow(2)
    half = power.shape[-1] // 2
    assert torch.all(power[:, :half].sum(-1) > 3 * power[:, half:].sum(-1))


def test_gain_multiplies_by_ladder_decibels(audio):
    result = _apply("audio_gain", audio, 2.0)
    gain_db = result.params["gain_db"]
    assert torch.allclose(gain_db.abs(), torch.full_like(gain_db, build_generator("audio_gain").ladder.value(2.0)))
    expected = (audio.values * (10 ** (gain_db / 20)).reshape(-1, 1, 1)).clamp(-1, 1)
    assert torch.allclose(result.values, expected, atol=1e-6)


def test_time_mask_silences_requested_fraction(audio):
    result = _apply("audio_time_mask", audio, 3.0)
    fraction = build_generator("audio_time_mask").ladder.value(3.0)
    silent = (result.values == 0) & (audio.values != 0)
    n = audio.values.shape[-1]
    # The 5 ms fades at both ends of the mask are attenuated but not silent.
    fade = round(0.005 * audio.spec.sampling_rate)
    for i in range(len(audio.values)):
        assert silent[i].sum().item() == pytest.approx(fraction * n - 2 * fade, abs=3 + 0.01 * n)


def test_bit_depth_limits_quantisation_levels(audio):
    generator = build_generator("audio_bit_depth")
    generator.ladder = replace(generator.ladder, values=(4.0,) * 5)
    keys = sample_keys(0, "audio_bit_depth", audio.sample_ids)
    result = generator(audio.values, audio.present, 5.0, keys, audio.spec)
    steps = 2**4 / 2 + 1
    assert torch.allclose(result.values * steps, (result.values * steps).round(), atol=1e-4)
    assert torch.unique(result.values).numel() <= 2 * steps + 1


def test_clipping_clips_requested_percentage(audio):
    result = _apply("audio_clipping", audio, 3.0)
    percent = result.params["percent_clipped"]
    for i in range(len(audio.values)):
        clipped = (result.values[i] != audio.values[i]).double().mean().item() * 100
        assert clipped == pytest.approx(percent[i].item(), abs=1.0)


def test_bandpass_removes_low_frequencies(audio):
    result = _apply("audio_bandpass", audio, 5.0)
    cut = build_generator("audio_bandpass").ladder.value(5.0)
    freqs = torch.fft.rfftfreq(audio.values.shape[-1], d=1 / audio.spec.sampling_rate)
    low = freqs < cut / 4
    before = torch.fft.rfft(audio.values.double(), dim=-1).abs().pow(2)[..., low].sum()
    after = torch.fft.rfft(result.values.double(), dim=-1).abs().pow(2)[..., low].sum()
    assert after < 1e-3 * before


def test_audio_generator_rejects_signal_kind(audio):
    from robustmed.data.spec import ModalityKind

    spec = replace(audio.spec, kind=ModalityKind.SIGNAL)
    keys = sample_keys(0, "audio_gain", audio.sample_ids)
    with pytest.raises(ValueError, match="accepts modality kinds audio"):
        build_generator("audio_gain")(audio.values, audio.present, 1.0, keys, spec)
