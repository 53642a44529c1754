"""Physiological signal generators (ECG, EEG, PPG): noise, artifacts, lead faults, timing.

Inputs are (B, C, T) tensors with the spec's sampling rate. Additive artifacts are
set by a signal-to-noise ratio in dB; the shapes follow the noise types of the
MIT-BIH Noise Stress Test Database (baseline wander, muscle artifact, electrode
motion) and mains interference.
"""

from __future__ import annotations

import math

import torch

from robustmed.data.spec import ModalityKind
from robustmed.generators._timeseries import (
    AdditiveArtifact,
    as_work,
    band_limited_noise,
    burst_envelope,
    channel_gains,
    check_time_series,
    restore,
    sampling_rate,
    time_axis,
    white_artifact,
)
from robustmed.generators.base import Generator, per_sample
from robustmed.generators.random import uniform

SIGNAL = frozenset({ModalityKind.SIGNAL})


class WhiteNoise(AdditiveArtifact):
    """Additive white Gaussian noise at a target SNR."""

    name = "signal_white_noise"
    kinds = SIGNAL
    description = "additive white Gaussian noise at a target SNR"

    def artifact(self, keys, shape, rate, device, params):
        return white_artifact(keys, shape, rate, device)


class BaselineWander(AdditiveArtifact):
    """Baseline wander: two slow sinusoids in 0.05-0.5 Hz (respiration, body movement)."""

    name = "signal_baseline_wander"
    kinds = SIGNAL
    description = "baseline wander below 0.5 Hz at a target SNR"

    def artifact(self, keys, shape, rate, device, params):
        channels, n = shape
        u = uniform(keys, (2, 2), stream=2, device=device)
        freq = 0.05 + 0.45 * u[:, :, 0:1]
        phase = 2.0 * math.pi * u[:, :, 1:2]
        t = time_axis(n, rate, device).reshape(1, 1, n)
        wave = torch.sin(2.0 * math.pi * freq * t + phase).sum(dim=1, keepdim=True)
        return wave * channel_gains(keys, channels, stream=3, device=device)


class PowerlineInterference(AdditiveArtifact):
    """Mains interference at 50 or 60 Hz (drawn per sample) with its 2nd and 3rd harmonics.

    Harmonics at or above the Nyquist frequency are left out.
    """

    name = "signal_powerline"
    kinds = SIGNAL
    description = "50/60 Hz mains interference with harmonics at a target SNR"
    harmonic_amplitudes = (1.0, 0.3, 0.1)

    def sample_params(self, severity, keys, spec, x):
        params = super().sample_params(severity, keys, spec, x)
        u = uniform(keys, (1,), stream=4, device=keys.device)[:, 0]
        params["mains_hz"] = torch.where(u < 0.5, 50.0, 60.0)
        return params

    def artifact(self, keys, shape, rate, device, params):
        channels, n = shape
        mains = params["mains_hz"].to(device).reshape(-1, 1, 1)
        phase = 2.0 * math.pi * uniform(keys, (len(self.harmonic_amplitudes), 1), stream=5, device=device)
        t = time_axis(n, rate, device).reshape(1, 1, n)
        wave = torch.zeros(len(keys), 1, n, device=device)
        for k, amplitude in enumerate(self.harmonic_amplitudes, start=1):
            below_nyquist = (k * mains < rate / 2).to(torch.float32)
            wave = wave + below_nyquist * amplitude * torch.sin(
                2.0 * math.pi * k * mains * t + phase[:, k - 1 : k]
            )
        return wave * channel_gains(keys, channels, stream=6, device=device)


class MuscleArtifact(AdditiveArtifact):
    """EMG (muscle) artifact: 20-150 Hz band-limited noise in bursts, independent per channel."""

    name = "signal_emg"
    kinds = SIGNAL
    description = "EMG muscle artifact, 20-150 Hz bursts, at a target SNR"

    def artifact(self, keys, shape, rate, device, params):
        noise = band_limited_noise(keys, shape, rate, 20.0, 150.0, stream=7, device=device)
        return noise * (0.2 + burst_envelope(keys, shape[-1], rate, stream=8, device=device))


class ElectrodeMotion(AdditiveArtifact):
    """Electrode motion: steps that decay exponentially (time constant 0.05-0.3 s), one per 3 s."""

    name = "signal_electrode_motion"
    kinds = SIGNAL
    description = "electrode motion transients at a target SNR"

    def artifact(self, keys, shape, rate, device, params):
        channels, n = shape
        n_events = max(1, round(n / rate / 3.0))
        u = uniform(keys, (n_events, 4), stream=9, device=device)
        onset = u[:, :, 0:1] * (n / rate)
        tau = 0.05 + 0.25 * u[:, :, 1:2]
        sign = torch.where(u[:, :, 2:3] < 0.5, -1.0, 1.0)
        amplitude = 0.5 + 0.5 * u[:, :, 3:4]
        t = time_axis(n, rate, device).reshape(1, 1, n)
        since = t - onset
        events = sign * amplitude * torch.exp(-since.clamp_min(0.0) / tau) * (since >= 0)
        return events.sum(dim=1, keepdim=True) * channel_gains(keys, channels, stream=10, device=device)


class Saturation(Generator):
    """Amplitude clipping (amplifier or ADC saturation).

    Each channel is clipped to ``median ± (1 - c)`` times its excursion from the
    median, where ``c`` is the clip fraction, varied by ±20% per sample because
    saturation levels differ between devices.
    """

    name = "signal_clipping"
    kinds = SIGNAL
    description = "amplitude clipping at a fraction of the signal's excursion"

    def sample_params(self, severity, keys, spec, x):
        jitter = 0.8 + 0.4 * uniform(keys, (1,), stream=11, device=keys.device)[:, 0]
        return {"clip_fraction": (per_sample(severity, keys) * jitter).clamp(0.0, 1.0)}

    def apply(self, x, present, params, keys, spec):
        check_time_series(x, self.name)
        work = as_work(x)
        keep = (1.0 - params["clip_fraction"].to(work.device)).reshape(-1, 1, 1).to(work.dtype)
        median = work.median(dim=-1, keepdim=True).values
        high = median + keep * (work.amax(dim=-1, keepdim=True) - median)
        low = median - keep * (median - work.amin(dim=-1, keepdim=True))
        return restore(torch.minimum(torch.maximum(work, low), high), x, spec), present


class LeadLoss(Generator):
    """Lead or channel loss: each channel becomes a flat line (zero) with probability p."""

    name = "signal_lead_loss"
    kinds = SIGNAL
    description = "channels lost to a flat line with probability p"

    def sample_params(self, severity, keys, spec, x):
        channels = x.shape[1]
        u = uniform(keys, (channels,), stream=12, device=keys.device)
        return {"p": per_sample(severity, keys), "lost": u < severity}

    def apply(self, x, present, params, keys, spec):
        check_time_series(x, self.name)
        lost = params["lost"].to(x.device).unsqueeze(-1)
        return restore(torch.where(lost, torch.zeros_like(x), x), x, spec), present


class LeadSwap(Generator):
    """Lead swap (electrode reversal): with probability p two channels exchange places.

    A single-channel recording has its polarity inverted instead, which is what
    reversing the two electrodes of one bipolar lead does.
    """

    name = "signal_lead_swap"
    kinds = SIGNAL
    description = "two channels swapped (single channel: inverted) with probability p"

    def sample_params(self, severity, keys, spec, x):
        channels = x.shape[1]
        u = uniform(keys, (3,), stream=13, device=keys.device)
        first = (u[:, 1] * channels).long().clamp_max(channels - 1)
        # The second channel is drawn from the other C - 1 channels.
        offset = 1 + (u[:, 2] * max(channels - 1, 1)).long().clamp_max(max(channels - 2, 0))
        return {
            "p": per_sample(severity, keys),
            "swapped": u[:, 0] < severity,
            "first": first,
            "second": (first + offset) % channels,
        }

    def apply(self, x, present, params, keys, spec):
        check_time_series(x, self.name)
        channels = x.shape[1]
        swapped = params["swapped"].to(x.device)
        if channels == 1:
            sign = torch.where(swapped, -1.0, 1.0).reshape(-1, 1, 1)
            return restore(as_work(x) * sign, x, spec), present
        order = torch.arange(channels, device=x.device).repeat(len(x), 1)
        rows = torch.arange(len(x), device=x.device)
        first, second = params["first"].to(x.device), params["second"].to(x.device)
        order[rows, first] = torch.where(swapped, second, first)
        order[rows, second] = torch.where(swapped, first, second)
        out = torch.gather(x, 1, order.unsqueeze(-1).expand_as(x))
        return restore(out, x, spec), present


class SamplingRateMismatch(Generator):
    """The signal was recorded at ``rate * (1 + d)`` but is read at the nominal rate.

    The relative error ``d`` has a random sign per sample; samples are resampled
    by linear interpolation and the last value is held past the end of the record.
    """

    name = "signal_rate_mismatch"
    kinds = SIGNAL
    description = "sampling-rate mismatch by a relative error d (time stretch)"

    def sample_params(self, severity, keys, spec, x):
        u = uniform(keys, (1,), stream=14, device=keys.device)[:, 0]
        return {"relative_error": torch.where(u < 0.5, -1.0, 1.0) * severity}

    def apply(self, x, present, params, keys, spec):
        check_time_series(x, self.name)
        sampling_rate(spec, self.name)
        work = as_work(x)
        n = work.shape[-1]
        factor = (1.0 + params["relative_error"].to(work.device, torch.float64)).reshape(-1, 1)
        position = (torch.arange(n, device=work.device, dtype=torch.float64).unsqueeze(0) * factor).clamp(0, n - 1)
        left = position.floor().long().clamp_max(n - 1)
        right = (left + 1).clamp_max(n - 1)
        weight = (position - left).to(work.dtype).unsqueeze(1)
        index_left = left.unsqueeze(1).expand(-1, work.shape[1], -1)
        index_right = right.unsqueeze(1).expand(-1, work.shape[1], -1)
        out = torch.gather(work, 2, index_left) * (1 - weight) + torch.gather(work, 2, index_right) * weight
        return restore(out, x, spec), present


GENERATORS = (
    WhiteNoise,
    BaselineWander,
    PowerlineInterference,
    MuscleArtifact,
    ElectrodeMotion,
    Saturation,
    LeadLoss,
    LeadSwap,
    SamplingRateMismatch,
)
