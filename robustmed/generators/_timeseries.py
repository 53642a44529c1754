"""Shared helpers of the signal and audio generators.

Time series are tensors of shape (B, C, T) with the spec's sampling rate. Additive
artifacts are scaled to a target signal-to-noise ratio in dB, where the signal power
is the variance over time averaged over channels of each sample, so that a ladder
in dB means the same noise power fraction ``1 / (1 + SNR)`` on every recording.
"""

from __future__ import annotations

import math

import torch

from robustmed.data.spec import ModalitySpec
from robustmed.generators.base import Generator, clip_to_spec, per_sample
from robustmed.generators.random import normal, uniform


def check_time_series(x, owner: str) -> torch.Tensor:
    """Return ``x`` after checking it is a (B, C, T) tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"Generator {owner!r} needs a tensor of shape (B, C, T); got {type(x).__name__}.")
    if x.dim() != 3:
        raise ValueError(
            f"Generator {owner!r} needs a tensor of shape (batch, channels, time); got shape {tuple(x.shape)}."
        )
    return x


def sampling_rate(spec: ModalitySpec, owner: str) -> float:
    if spec.sampling_rate is None or spec.sampling_rate <= 0:
        raise ValueError(
            f"Generator {owner!r} needs the sampling rate of modality {spec.name!r}; "
            f"set ModalitySpec.sampling_rate (got {spec.sampling_rate!r})."
        )
    return float(spec.sampling_rate)


def as_work(x: torch.Tensor) -> torch.Tensor:
    """Floating-point working copy: integer samples (ADC counts) are computed in float32."""
    return x if x.is_floating_point() else x.to(torch.float32)


def restore(y: torch.Tensor, x: torch.Tensor, spec: ModalitySpec) -> torch.Tensor:
    """Clip ``y`` into the spec's range and return it in ``x``'s dtype (integers rounded, never wrapped)."""
    if not x.is_floating_point():
        y = y.round()
        info = torch.iinfo(x.dtype)
        y = y.clamp(info.min, info.max)
    return clip_to_spec(y.to(x.dtype), spec)


def time_axis(n: int, rate: float, device) -> torch.Tensor:
    return torch.arange(n, device=device, dtype=torch.float32) / rate


def signal_power(x: torch.Tensor) -> torch.Tensor:
    """Variance over time averaged over channels, shape (B, 1, 1)."""
    return x.float().var(dim=-1, unbiased=False).mean(dim=-1).reshape(-1, 1, 1)


def scale_to_snr(x: torch.Tensor, artifact: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
    """Scale ``artifact`` so that each sample's signal-to-artifact power ratio is ``snr_db``."""
    artifact_power = artifact.pow(2).mean(dim=(-2, -1), keepdim=True).clamp_min(1e-20)
    target = signal_power(x) / torch.pow(10.0, snr_db.reshape(-1, 1, 1) / 10.0)
    return artifact * torch.sqrt(target / artifact_power)


def band_limited_noise(
    keys: torch.Tensor, shape, rate: float, low_hz: float, high_hz: float, stream: int, device
) -> torch.Tensor:
    """Gaussian noise restricted to [low_hz, high_hz] by zeroing other FFT bins."""
    noise = normal(keys, shape, stream=stream, device=device)
    spectrum = torch.fft.rfft(noise, dim=-1)
    freqs = torch.fft.rfftfreq(shape[-1], d=1.0 / rate).to(device)
    high_hz = min(high_hz, 0.45 * rate)
    keep = (freqs >= low_hz) & (freqs <= high_hz)
    return torch.fft.irfft(spectrum * keep, n=shape[-1], dim=-1)


def channel_gains(keys: torch.Tensor, channels: int, stream: int, device) -> torch.Tensor:
    """Per-channel gains in [0.5, 1.5): one artifact source seen differently by each electrode."""
    return (0.5 + uniform(keys, (channels, 1), stream=stream, device=device))


class AdditiveArtifact(Generator):
    """Base class: add an artifact waveform scaled to a target SNR (parameter ``snr_db``)."""

    def sample_params(self, severity, keys, spec, x):
        return {"snr_db": per_sample(severity, keys)}

    def artifact(self, keys: torch.Tensor, shape, rate: float, device, params: dict) -> torch.Tensor:
        """Unscaled artifact of ``shape`` (B, C, T); only its shape in time and across channels matters."""
        raise NotImplementedError

    def apply(self, x, present, params, keys, spec):
        check_time_series(x, self.name)
        rate = sampling_rate(spec, self.name)
        work = as_work(x)
        artifact = self.artifact(keys, tuple(work.shape[1:]), rate, work.device, params)
        noisy = work + scale_to_snr(work, artifact, params["snr_db"].to(work.device)).to(work.dtype)
        return restore(noisy, x, spec), present


def white_artifact(keys, shape, rate, device):
    return normal(keys, shape, stream=0, device=device)


def coloured_artifact(keys, shape, rate, device, exponent: torch.Tensor) -> torch.Tensor:
    """Noise with power spectral density proportional to 1/f**exponent (per sample)."""
    noise = normal(keys, shape, stream=1, device=device)
    spectrum = torch.fft.rfft(noise, dim=-1)
    freqs = torch.fft.rfftfreq(shape[-1], d=1.0 / rate).to(device)
    # The lowest frequency bins follow the first non-zero bin, so the DC term stays finite.
    freqs = freqs.clamp_min(freqs[1].item() if len(freqs) > 1 else 1.0)
    shaping = torch.pow(freqs, -exponent.reshape(-1, 1, 1) / 2.0)
    return torch.fft.irfft(spectrum * shaping, n=shape[-1], dim=-1)


def burst_envelope(keys, n: int, rate: float, stream: int, device, rate_hz=(0.2, 1.0)) -> torch.Tensor:
    """Smooth on-off envelope in [0, 1] of shape (B, 1, n): muscle or handling activity in bursts."""
    u = uniform(keys, (2,), stream=stream, device=device)
    freq = rate_hz[0] + (rate_hz[1] - rate_hz[0]) * u[:, 0:1]
    phase = 2.0 * math.pi * u[:, 1:2]
    t = time_axis(n, rate, device).unsqueeze(0)
    return torch.sin(2.0 * math.pi * freq * t + phase).clamp_min(0.0).pow(2).unsqueeze(1)
