"""Heart and lung sound generators: noise, stethoscope response, gain, clipping, masks, bit depth.

Inputs are (B, C, T) tensors in full-scale units with the spec's sampling rate.
Where audiomentations (0.43) has the right operation it does the processing:
band-pass (``BandPassFilter``), gain (``Gain``), time masks (``TimeMask``) and
bit-depth reduction (``BitCrush``). Its transforms draw their parameters and noise
from Python's and NumPy's global RNGs, so robustmed never calls their
``randomize_parameters``: it draws each sample's parameters from the sample's key,
writes them into ``transform.parameters`` and calls the deterministic ``apply``.
Additive noises are written here because audiomentations draws the noise itself
from the global NumPy RNG inside ``apply``.
"""

from __future__ import annotations

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
from robustmed.generators.base import Generator, per_sample
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


GENERATORS = (
    GaussianSNR,
    ColouredNoise,
    FrictionNoise,
    StethoscopeBandPass,
    GainChange,
    ClippingDistortion,
    TimeMask,
    BitDepthReduction,
)
