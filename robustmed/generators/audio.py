"""Heart and lung sound generators: noise, stethoscope response, gain, clipping, masks, bit depth, MP3.

Inputs are (B, C, T) tensors in full-scale units with the spec's sampling rate.
Where audiomentations (0.43) has the right operation it does the processing:
band-pass (``BandPassFilter``), gain (``Gain``), time masks (``TimeMask``),
bit-depth reduction (``BitCrush``) and MP3 compression (``Mp3Compression``).
Its transforms draw their parameters and noise from Python's and NumPy's global
RNGs, so robustmed never calls their ``randomize_parameters``: it draws each
sample's parameters from the sample's key, writes them into
``transform.parameters`` and calls the deterministic ``apply``.
Additive noises are written here because audiomentations draws the noise itself
from the global NumPy RNG inside ``apply``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import torch

from robustmed.data.spec import ModalityKind
from robustmed.generators._timeseries import (
    AdditiveArtifact,
    as_work,
    band_limited_noise,
    burst_envelope,
    check_time_series,
    coloured_artifact,
    restore,
    sampling_rate,
    white_artifact,
)
from robustmed.generators.base import Generator, Ladder, per_sample
from robustmed.generators.random import uniform

AUDIO = frozenset({ModalityKind.AUDIO})

def _per_sample_numpy(x: torch.Tensor, rate: float, process) -> torch.Tensor:
    """Run ``process(i, samples, rate)`` on each sample's (C, T) float32 array on the CPU."""
    work = as_work(x).detach().to("cpu", torch.float32).numpy()
    out = np.stack([process(i, np.ascontiguousarray(work[i]), rate) for i in range(len(work))])
    return torch.from_numpy(out.astype(np.float32)).to(x.device)


class GaussianSNR(AdditiveArtifact):
    """White Gaussian noise at a target SNR (audiomentations' AddGaussianSNR, with keyed noise)."""

    name = "audio_gaussian_snr"
    kinds = AUDIO
    description = "white Gaussian noise at a target SNR"

    def artifact(self, keys, shape, rate, device, params):
        return white_artifact(keys, shape, rate, device)


class ColouredNoise(AdditiveArtifact):
    """Pink (1/f) or brown (1/f²) noise, drawn per sample, at a target SNR."""

    name = "audio_colour_noise"
    kinds = AUDIO
    description = "pink or brown noise at a target SNR"

    def sample_params(self, severity, keys, spec, x):
        params = super().sample_params(severity, keys, spec, x)
        u = uniform(keys, (1,), stream=20, device=keys.device)[:, 0]
        params["spectral_exponent"] = torch.where(u < 0.5, 1.0, 2.0)
        return params

    def artifact(self, keys, shape, rate, device, params):
        return coloured_artifact(keys, shape, rate, device, params["spectral_exponent"].to(device))


class FrictionNoise(AdditiveArtifact):
    """Friction and handling noise: bursts of broadband noise above 100 Hz, as when a
    stethoscope chest piece rubs on skin, hair or clothing."""

    name = "audio_friction"
    kinds = AUDIO
    description = "stethoscope friction and handling noise bursts at a target SNR"

    def artifact(self, keys, shape, rate, device, params):
        noise = band_limited_noise(keys, shape, rate, 100.0, 0.5 * rate, stream=21, device=device)
        return noise * burst_envelope(keys, shape[-1], rate, stream=22, device=device, rate_hz=(0.3, 1.5))


class StethoscopeBandPass(Generator):
    """Band-pass frequency response of a stethoscope or sensor (audiomentations BandPassFilter).

    The ladder raises the low cut-off; the high cut-off is drawn per sample
    between 40% and 45% of the sampling rate. Butterworth, 12 dB/octave, zero phase.
    """

    name = "audio_bandpass"
    kinds = AUDIO
    description = "stethoscope band-pass response with a rising low cut-off"

    def sample_params(self, severity, keys, spec, x):
        rate = sampling_rate(spec, self.name)
        u = uniform(keys, (1,), stream=23, device=keys.device)[:, 0]
        return {"low_cut_hz": per_sample(severity, keys), "high_cut_hz": rate * (0.40 + 0.05 * u)}

    def apply(self, x, present, params, keys, spec):
        from audiomentations import BandPassFilter

        check_time_series(x, self.name)
        rate = sampling_rate(spec, self.name)
        low = params["low_cut_hz"].tolist()
        high = params["high_cut_hz"].tolist()
        transform = BandPassFilter(zero_phase=True, min_rolloff=12, max_rolloff=12, p=1.0)

        def process(i, samples, rate):
            if low[i] <= 0.0:
                return samples
            bandwidth = max(high[i] - low[i], 1.0)
            transform.parameters = {
                "should_apply": True,
                "center_freq": low[i] + bandwidth / 2,
                "bandwidth": bandwidth,
                "rolloff": 12,
            }
            return transform.apply(samples, int(rate))

        return restore(_per_sample_numpy(x, rate, process).to(as_work(x).dtype), x, spec), present


class GainChange(Generator):
    """Gain up or down by ``gain_db`` (sign drawn per sample), audiomentations Gain; then clipped to range."""

    name = "audio_gain"
    kinds = AUDIO
    description = "gain change of ±gain_db decibels"

    def sample_params(self, severity, keys, spec, x):
        u = uniform(keys, (1,), stream=24, device=keys.device)[:, 0]
        return {"gain_db": torch.where(u < 0.5, -1.0, 1.0) * severity}

    def apply(self, x, present, params, keys, spec):
        from audiomentations import Gain

        check_time_series(x, self.name)
        gains = params["gain_db"].tolist()
        transform = Gain(p=1.0)

        def process(i, samples, rate):
            transform.parameters = {"should_apply": True, "amplitude_ratio": 10.0 ** (gains[i] / 20.0)}
            return transform.apply(samples, int(rate))

        rate = spec.sampling_rate or 1.0
        return restore(_per_sample_numpy(x, rate, process).to(as_work(x).dtype), x, spec), present


class ClippingDistortion(Generator):
    """Clipping distortion: the given percentage of samples (half at each end) is clipped.

    Same operation as audiomentations' ClippingDistortion, written here because it
    truncates the threshold to whole percent, which makes the ladder a staircase.
    The percentage varies by ±20% per sample.
    """

    name = "audio_clipping"
    kinds = AUDIO
    description = "clipping of a percentage of the samples"

    def sample_params(self, severity, keys, spec, x):
        jitter = 0.8 + 0.4 * uniform(keys, (1,), stream=25, device=keys.device)[:, 0]
        return {"percent_clipped": (per_sample(severity, keys) * jitter).clamp(0.0, 100.0)}

    def apply(self, x, present, params, keys, spec):
        check_time_series(x, self.name)
        work = as_work(x)
        flat = work.reshape(len(work), -1).float()
        half = (params["percent_clipped"].to(work.device).float() / 200.0).reshape(-1, 1)
        lows, highs = [], []
        for i in range(len(flat)):
            q = half[i].clamp(0.0, 0.5)
            lows.append(torch.quantile(flat[i], q))
            highs.append(torch.quantile(flat[i], 1.0 - q))
        low = torch.stack(lows).reshape(-1, 1, 1).to(work.dtype)
        high = torch.stack(highs).reshape(-1, 1, 1).to(work.dtype)
        return restore(torch.minimum(torch.maximum(work, low), high), x, spec), present


class TimeMask(Generator):
    """A silent span covering the given fraction of the recording, with 5 ms fades
    (audiomentations TimeMask); the start is drawn per sample."""

    name = "audio_time_mask"
    kinds = AUDIO
    description = "silent span covering a fraction of the recording"

    def sample_params(self, severity, keys, spec, x):
        u = uniform(keys, (1,), stream=26, device=keys.device)[:, 0]
        return {"fraction": per_sample(severity, keys), "start": u}

    def apply(self, x, present, params, keys, spec):
        from audiomentations import TimeMask as AudiomentationsTimeMask

        check_time_series(x, self.name)
        n = x.shape[-1]
        fractions = params["fraction"].tolist()
        starts = params["start"].tolist()
        transform = AudiomentationsTimeMask(fade_duration=0.005, p=1.0)

        def process(i, samples, rate):
            width = int(round(min(fractions[i], 1.0) * n))
            if width == 0:
                return samples
            transform.parameters = {"should_apply": True, "t": width, "t0": int(starts[i] * (n - width))}
            return transform.apply(samples, int(rate))

        rate = spec.sampling_rate or 1.0
        return restore(_per_sample_numpy(x, rate, process).to(as_work(x).dtype), x, spec), present


class BitDepthReduction(Generator):
    """Bit-depth reduction (audiomentations BitCrush) after triangular (TPDF) dither of ±1 step.

    Dither is what a converter or codec applies when it lowers the bit depth; it
    also makes the quantisation error independent of the signal. Fractional bit
    depths between ladder points are allowed.
    """

    name = "audio_bit_depth"
    kinds = AUDIO
    description = "bit-depth reduction with TPDF dither"

    def sample_params(self, severity, keys, spec, x):
        return {"bit_depth": per_sample(severity, keys)}

    def apply(self, x, present, params, keys, spec):
        from audiomentations import BitCrush

        check_time_series(x, self.name)
        depths = params["bit_depth"].tolist()
        u = uniform(keys, (2, *x.shape[1:]), stream=27, device="cpu").numpy()
        transform = BitCrush(min_bit_depth=1, max_bit_depth=32, p=1.0)

        def process(i, samples, rate):
            steps = 2.0 ** depths[i] / 2.0 + 1.0
            dithered = samples + ((u[i, 0] - u[i, 1]) / steps).astype(np.float32)
            transform.parameters = {"should_apply": True, "bit_depth": depths[i]}
            return transform.apply(dithered, int(rate))

        rate = spec.sampling_rate or 1.0
        return restore(_per_sample_numpy(x, rate, process).to(as_work(x).dtype), x, spec), present


# Layer III bitrates in kbps that the LAME encoder of fast-mp3-augment 0.2.0 codes at each
# MPEG sampling rate (ISO/IEC 11172-3 and 13818-3). LAME codes MPEG-2.5 at 64 kbps at most:
# a higher setting gives the same output.
_MPEG1_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG25_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64)
MP3_BITRATES_KBPS: dict[int, tuple[int, ...]] = {
    8000: _MPEG25_BITRATES,
    11025: _MPEG25_BITRATES,
    12000: _MPEG25_BITRATES,
    16000: _MPEG2_BITRATES,
    22050: _MPEG2_BITRATES,
    24000: _MPEG2_BITRATES,
    32000: _MPEG1_BITRATES,
    44100: _MPEG1_BITRATES,
    48000: _MPEG1_BITRATES,
}
MIN_BITRATE_KBPS = 8
MAX_BITRATE_KBPS = 320
# fast-mp3-augment 0.2.0 with preserve_delay=False returns zeros for the last 529 samples,
# the MP3 decoder delay (measured at 8, 16 and 44.1 kHz). Zeros appended before encoding, as
# an encoder pads the last frame itself, take that loss, and the output is cut back to length.
_TAIL_PADDING = 1152
# fast-mp3-augment rejects inputs shorter than 100 ms; shorter recordings are padded up to it.
_MIN_CODEC_SECONDS = 0.1


def mpeg_sampling_rate(rate: float) -> int:
    """Return the MPEG audio sampling rate that a recording at ``rate`` Hz is coded at.

    That is the lowest MPEG rate at or above ``rate``, or 48 kHz above 48 kHz.
    """
    higher = [mpeg_rate for mpeg_rate in MP3_BITRATES_KBPS if mpeg_rate >= rate]
    return min(higher) if higher else max(MP3_BITRATES_KBPS)


def mp3_bitrate(requested_kbps: float, mpeg_rate: int) -> int:
    """Return the Layer III bitrate coded at ``mpeg_rate`` Hz that is nearest to ``requested_kbps``.

    A request outside the rate's bitrates is clamped to its lowest or highest bitrate;
    a tie between two bitrates goes to the higher one.
    """
    allowed = MP3_BITRATES_KBPS[mpeg_rate]
    return min(allowed, key=lambda bitrate: (abs(bitrate - requested_kbps), -bitrate))


def _resampling_factors(rate: float, mpeg_rate: int) -> tuple[int, int]:
    """Up and down factors of ``resample_poly`` from ``rate`` to ``mpeg_rate``.

    The ratio is rounded to the nearest fraction with a denominator of at most 1000,
    so that the polyphase filter stays short. It is exact for the usual rates: 2 kHz
    gives 4/1 and 360 Hz gives 200/9. For other rates up to 48 kHz, the rate that the
    codec assumes is off by less than 0.1%.
    """
    ratio = (Fraction(mpeg_rate) / Fraction(rate)).limit_denominator(1000)
    return ratio.numerator, ratio.denominator


def _full_scale(dtype: torch.dtype) -> float:
    """Full-scale value of a sample type: 2**(bits - 1) for signed integer PCM, else 1."""
    if dtype.is_floating_point or not dtype.is_signed:
        return 1.0
    return float(-torch.iinfo(dtype).min)


def _mp3_round_trip(transform, samples: np.ndarray, mpeg_rate: int) -> np.ndarray:
    """Encode and decode one mono float32 channel with ``transform``; same length as ``samples``."""
    n = len(samples)
    padded = np.zeros(max(n + _TAIL_PADDING, math.ceil(_MIN_CODEC_SECONDS * mpeg_rate)), dtype=np.float32)
    padded[:n] = samples
    decoded = transform.apply(padded, mpeg_rate)
    if decoded.shape != padded.shape:
        raise RuntimeError(
            f"fast-mp3-augment returned {decoded.shape[-1]} samples for an input of {len(padded)}; "
            "the MP3 generator needs an output as long as its input (preserve_delay=False)."
        )
    return decoded[:n]


class Mp3Compression(Generator):
    """MP3 (MPEG-1/2/2.5 Layer III) compression at a constant bitrate in kbps.

    Each channel is coded as its own mono stream by audiomentations' ``Mp3Compression``
    with the fast-mp3-augment backend (LAME encoder, minimp3 decoder, in memory), so the
    bitrate is per channel and a channel's result does not depend on the others.
    The encoder runs at LAME quality 7, audiomentations' default. No parameter is
    random: the output depends on the input and the bitrate only.

    MPEG audio has nine sampling rates (8, 11.025, 12, 16, 22.05, 24, 32, 44.1 and
    48 kHz). A recording at another rate is resampled (``scipy.signal.resample_poly``)
    to the lowest of them at or above its rate, or down to 48 kHz above 48 kHz, and
    the codec's error is resampled back. Only that error (decoded minus encoded) is
    added to the input, so float64 audio keeps its precision apart from the codec
    loss, and the resampler's own small error is not added.

    The bitrates that LAME codes depend on the MPEG rate: 8-64 kbps for MPEG-2.5
    (8-12 kHz), 8-160 kbps for MPEG-2 (16-24 kHz) and 32-320 kbps for MPEG-1
    (32-48 kHz). A ladder bitrate outside the rate's range is clamped to it, and a
    bitrate between two standard bitrates (a fractional level) is rounded to the
    nearest one. The parameter ``bitrate_kbps`` records the bitrate that was applied.
    NOTE: at 32-48 kHz the standard ladder's levels 2-5 (32 kbps and below) all code at 32 kbps.
    Signed integer PCM is divided by its full scale (32768 for int16) before coding.

    Raises
    ------
    ValueError
        If a ladder value lies outside 8-320 kbps, the range of MP3 bitrates.
    """

    name = "audio_mp3"
    kinds = AUDIO
    description = "MP3 compression (bitrate in kbps)"

    def __init__(self, ladder: Ladder) -> None:
        super().__init__(ladder)
        for value in (ladder.identity, *ladder.values):
            if not MIN_BITRATE_KBPS <= value <= MAX_BITRATE_KBPS:
                raise ValueError(
                    f"Generator {self.name!r}: every ladder value of {ladder.parameter} must lie in "
                    f"[{MIN_BITRATE_KBPS}, {MAX_BITRATE_KBPS}] kbps, the range of MP3 bitrates; got {value!r}. "
                    "Set the ladder's levels and identity to bitrates in that range."
                )

    def sample_params(self, severity, keys, spec, x):
        mpeg_rate = mpeg_sampling_rate(sampling_rate(spec, self.name))
        return {"bitrate_kbps": per_sample(mp3_bitrate(severity, mpeg_rate), keys)}

    def apply(self, x, present, params, keys, spec):
        from audiomentations import Mp3Compression as AudiomentationsMp3Compression
        from scipy.signal import resample_poly

        check_time_series(x, self.name)
        rate = sampling_rate(spec, self.name)
        mpeg_rate = mpeg_sampling_rate(rate)
        up, down = _resampling_factors(rate, mpeg_rate)
        full_scale = _full_scale(x.dtype)
        clean = as_work(x).detach().to("cpu", torch.float64).numpy() / full_scale
        encoded = clean if up == down else resample_poly(clean, up, down, axis=-1)
        encoded = encoded.astype(np.float32)

        errors = np.empty(encoded.shape, dtype=np.float64)
        transforms = {}
        for i, bitrate in enumerate(int(b) for b in params["bitrate_kbps"].tolist()):
            if bitrate not in transforms:
                # min = max bitrate and p=1 fix the transform; the parameters are set here and
                # randomize_parameters is never called, so the global RNGs stay untouched.
                transforms[bitrate] = AudiomentationsMp3Compression(
                    min_bitrate=bitrate, max_bitrate=bitrate, backend="fast-mp3-augment", preserve_delay=False, p=1.0
                )
            transform = transforms[bitrate]
            transform.parameters = {"should_apply": True, "bitrate": bitrate}
            for c in range(encoded.shape[1]):
                errors[i, c] = _mp3_round_trip(transform, encoded[i, c], mpeg_rate) - encoded[i, c]

        if up != down:
            errors = resample_poly(errors, down, up, axis=-1)[..., : x.shape[-1]]
        decoded = torch.from_numpy((clean + errors) * full_scale)
        return restore(decoded.to(device=x.device, dtype=as_work(x).dtype), x, spec), present


GENERATORS = (
    GaussianSNR,
    ColouredNoise,
    FrictionNoise,
    StethoscopeBandPass,
    GainChange,
    ClippingDistortion,
    TimeMask,
    BitDepthReduction,
    Mp3Compression,
)
