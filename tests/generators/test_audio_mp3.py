"""MP3 compression of audio: bitrates, lengths, channels, sample types and sampling rates."""

from dataclasses import replace

import fast_mp3_augment
import numpy as np
import pytest
import torch

from robustmed.generators import build_generator, sample_keys
from robustmed.generators.audio import mp3_bitrate, mpeg_sampling_rate
from robustmed.generators.base import Ladder
from tests.generators.cases.signals import audio_input, broadband_audio_input

# fast-mp3-augment 0.2.0 returns zeros for the last 529 samples of its output.
DECODER_DELAY = 529


def _mp3(data, level=3.0, bitrate=None, values=None, spec=None):
    generator = build_generator("audio_mp3")
    if bitrate is not None:
        generator = build_generator("audio_mp3", Ladder("bitrate_kbps", (bitrate,) * 5, identity=320.0))
    values = data.values if values is None else values
    keys = sample_keys(0, "audio_mp3", data.sample_ids[: len(values)])
    return generator(values, data.present[: len(values)], level, keys, spec or data.spec)


def _noise_power_fraction(clean, perturbed):
    """Per-sample fidelity loss of ``robustmed calibrate``: error power / (signal power + error power)."""
    error = (perturbed.double() - clean.double()).pow(2).mean(dim=(-2, -1))
    power = clean.double().var(dim=-1, unbiased=False).mean(dim=-1)
    return error / (power + error)


@pytest.fixture(scope="module")
def audio():
    return audio_input()


@pytest.fixture(scope="module")
def broadband():
    return broadband_audio_input()


def test_lower_bitrate_larger_error(broadband):
    losses = [_noise_power_fraction(broadband.values, _mp3(broadband, bitrate=b).values) for b in (64, 32, 16, 8)]
    for higher, lower in zip(losses, losses[1:]):
        assert torch.all(lower > higher), (higher, lower)
    # At 8 kbps the codec removes a few percent of a broadband recording's power.
    assert torch.all(losses[-1] > 0.03)


def test_matches_fast_mp3_augment_before_tail(broadband):
    result = _mp3(broadband, bitrate=24)
    n = broadband.values.shape[-1]
    for i in range(len(broadband.values)):
        samples = np.ascontiguousarray(broadband.values[i, 0].numpy())
        expected = fast_mp3_augment.compress_roundtrip(samples, 8000, 24, preserve_delay=False, quality=7)
        # On these inputs the padding changes at most the float32 rounding of a few samples.
        np.testing.assert_allclose(result.values[i, 0, : n - DECODER_DELAY].numpy(), expected[: n - DECODER_DELAY], atol=1e-7)


def test_tail_is_coded_not_zeroed(broadband):
    result = _mp3(broadband, bitrate=24)
    error = (result.values - broadband.values).double().pow(2)
    tail_error = error[..., -DECODER_DELAY:].mean(dim=-1)
    body_error = error[..., :-DECODER_DELAY].mean(dim=-1)
    tail_power = broadband.values[..., -DECODER_DELAY:].double().pow(2).mean(dim=-1)
    assert torch.all(tail_error < 0.1 * tail_power)
    assert torch.all(tail_error < 3 * body_error)


@pytest.mark.parametrize("samples", [8000, 8001, 1499, 150])
def test_output_length_equals_input(audio, samples):
    # 150 samples at 2 kHz (75 ms) is shorter than the 100 ms that fast-mp3-augment accepts.
    values = audio.values[..., :samples].contiguous()
    spec = replace(audio.spec, shape=tuple(values.shape[1:]))
    result = _mp3(audio, values=values, spec=spec)
    assert result.values.shape == values.shape
    assert not torch.equal(result.values, values)


def test_same_input_same_output(audio):
    first = _mp3(audio, level=4.0).values
    second = _mp3(audio, level=4.0).values
    assert torch.equal(first, second)


def test_ecg_band_loss_small_at_every_bitrate(audio):
    # The 2 kHz stand-in is coded at 8 kHz and resampled back. Its content below 200 Hz
    # needs fewer bits than 8 kbps gives, so 64 and 8 kbps lose about the same.
    at_64 = _noise_power_fraction(audio.values, _mp3(audio, level=1.0).values)
    at_8 = _noise_power_fraction(audio.values, _mp3(audio, level=5.0).values)
    assert torch.all(at_64 > 0.0)
    assert torch.all(at_8 < 0.02)
    assert torch.allclose(at_8, at_64, rtol=0.05)


def test_channels_coded_independently(broadband):
    values = torch.cat([broadband.values, broadband.values.flip(-1), 0.5 * broadband.values], dim=1)
    spec = replace(broadband.spec, shape=tuple(values.shape[1:]))
    result = _mp3(broadband, values=values, spec=spec)
    assert result.values.shape == values.shape
    for c in range(values.shape[1]):
        alone = _mp3(broadband, values=values[:, c : c + 1].contiguous(), spec=replace(spec, shape=(1, values.shape[-1])))
        assert torch.equal(result.values[:, c : c + 1], alone.values)


def test_float64_keeps_dtype_and_matches_float32(audio):
    result32 = _mp3(audio)
    result64 = _mp3(audio, values=audio.values.double())
    assert result64.values.dtype == torch.float64
    error32 = result32.values.double() - audio.values.double()
    error64 = result64.values - audio.values.double()
    # The codec runs on float32 samples, so only float32 rounding separates the two.
    assert torch.allclose(error64, error32, atol=1e-6)
    assert error64.abs().max() > 1e-3


def test_int16_pcm_stays_int16_in_full_scale(audio):
    pcm = (audio.values * 32767).round().to(torch.int16)
    spec = replace(audio.spec, value_range=None, unit="counts")
    result = _mp3(audio, values=pcm, spec=spec)
    assert result.values.dtype == torch.int16
    as_float = _mp3(audio, values=pcm.double() / 32768, spec=replace(spec, value_range=(-1.0, 1.0)))
    assert torch.allclose(result.values.double(), (as_float.values * 32768).round(), atol=1.0)


def test_rate_above_48khz_is_coded_at_48khz(audio):
    values = audio.values[:2, :, :4800].contiguous()
    spec = replace(audio.spec, sampling_rate=96000.0, shape=(1, 4800))
    result = _mp3(audio, values=values, spec=spec, bitrate=64)
    assert result.values.shape == values.shape
    assert result.params["bitrate_kbps"].tolist() == [64.0, 64.0]


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(2000.0, 8000), (4000.0, 8000), (8000.0, 8000), (11025.0, 11025), (12001.0, 16000), (44100.0, 44100), (96000.0, 48000)],
)
def test_mpeg_sampling_rate(rate, expected):
    assert mpeg_sampling_rate(rate) == expected


@pytest.mark.parametrize(
    ("requested", "mpeg_rate", "expected"),
    [
        (320.0, 8000, 64),  # MPEG-2.5: at most 64 kbps
        (8.0, 44100, 32),  # MPEG-1: at least 32 kbps
        (200.0, 16000, 160),  # MPEG-2: at most 160 kbps
        (150.0, 44100, 160),  # MPEG-1 has no 144 kbps
        (20.0, 8000, 24),  # tie between 16 and 24 goes to the higher bitrate
        (27.0, 22050, 24),
    ],
)
def test_bitrate_clamped_and_rounded(requested, mpeg_rate, expected):
    assert mp3_bitrate(requested, mpeg_rate) == expected


def test_applied_bitrate_recorded_after_clamp(audio):
    spec = replace(audio.spec, sampling_rate=44100.0)
    values = audio.values[:2].contiguous()
    result = _mp3(audio, values=values, spec=spec, bitrate=8)
    assert result.params["bitrate_kbps"].tolist() == [32.0, 32.0]


def test_fractional_level_uses_nearest_bitrate(audio):
    # Level 3.5 lies halfway between 24 and 16 kbps: 20 kbps, a tie that goes to 24.
    result = _mp3(audio, level=3.5)
    assert result.params["bitrate_kbps"].tolist() == [24.0] * len(audio.values)


@pytest.mark.parametrize("value", [4.0, 400.0, float("nan")])
def test_bitrate_outside_mp3_range_rejected(value):
    with pytest.raises(ValueError, match=r"bitrate_kbps must lie in \[8, 320\] kbps"):
        build_generator("audio_mp3", Ladder("bitrate_kbps", (64.0, 32.0, 24.0, 16.0, value), identity=320.0))


def test_identity_outside_mp3_range_rejected():
    with pytest.raises(ValueError, match="Set the ladder's levels and identity"):
        build_generator("audio_mp3", Ladder("bitrate_kbps", (64.0, 32.0, 24.0, 16.0, 8.0), identity=1000.0))
