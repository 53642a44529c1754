"""Signal and audio cases on real ECG recordings (MIT-BIH windows, a 12-lead ECG)."""

from dataclasses import replace
from functools import cache

import torch

from robustmed.generators.base import Ladder
from tests.generators.cases import GeneratorCase, GeneratorInput

N_WINDOWS = 6
# One second of every channel keeps the hash-based noise of the 12-lead record cheap.
MAX_SAMPLES = 1000
N_AUDIO_WINDOWS = 4
# Four seconds of audio keep the per-sample audiomentations calls fast.
AUDIO_SAMPLES = 8000


@cache
def signal_input(sample: str) -> GeneratorInput:
    from robustmed.data.samples import real_samples

    for name, values, spec, _ in real_samples("signal"):
        if name == sample:
            values = values[:N_WINDOWS, :, :MAX_SAMPLES].contiguous()
            spec = replace(spec, shape=tuple(values.shape[1:]))
            ids = [f"{name}-{i}" for i in range(len(values))]
            return GeneratorInput(values, torch.ones(len(values), dtype=torch.bool), spec, ids)
    raise KeyError(sample)


@cache
def audio_input() -> GeneratorInput:
    from robustmed.data.samples import real_samples

    name, values, spec, _ = real_samples("audio")[0]
    values = values[:N_AUDIO_WINDOWS, :, :AUDIO_SAMPLES].contiguous()
    spec = replace(spec, shape=tuple(values.shape[1:]))
    ids = [f"{name}-{i}" for i in range(len(values))]
    return GeneratorInput(values, torch.ones(len(values), dtype=torch.bool), spec, ids)


@cache
def broadband_audio_input() -> GeneratorInput:
    """The audio windows at 8 kHz, an MPEG rate, with white Gaussian noise at 10 dB SNR.

    The ECG stand-in has all but 0.003% of its power below 200 Hz, which MP3 codes
    with the same small loss at every bitrate from 8 to 64 kbps. The noise fills the
    whole band, so the bitrate limits the codec as it does for a broadband heart or
    lung sound.
    """
    from scipy.signal import resample_poly

    from robustmed.generators import build_generator, sample_keys

    data = audio_input()
    values = torch.from_numpy(resample_poly(data.values.double().numpy(), 4, 1, axis=-1)).float()
    spec = replace(data.spec, shape=tuple(values.shape[1:]), sampling_rate=4 * data.spec.sampling_rate)
    noise = build_generator("audio_gaussian_snr", Ladder("snr_db", (10.0,) * 5, identity=60.0))
    keys = sample_keys(0, "audio_gaussian_snr", data.sample_ids)
    values = noise(values, data.present, 1.0, keys, spec).values
    return GeneratorInput(values, data.present, spec, data.sample_ids)


SIGNAL_GENERATORS = (
    "signal_white_noise", "signal_baseline_wander", "signal_powerline", "signal_emg",
    "signal_electrode_motion", "signal_clipping", "signal_lead_loss", "signal_lead_swap",
    "signal_rate_mismatch", "missing_segment",
)
# The 12-lead record gives four windows of 2.5 s (two seconds each in these cases).
TWELVE_LEAD_GENERATORS = ("signal_white_noise", "signal_powerline", "signal_emg", "signal_lead_loss", "signal_lead_swap")
AUDIO_GENERATORS = (
    "audio_gaussian_snr", "audio_colour_noise", "audio_friction", "audio_bandpass", "audio_gain",
    "audio_clipping", "audio_time_mask", "audio_bit_depth", "missing_segment",
)

CASES = [
    *[GeneratorCase(g, lambda: signal_input("mitbih_ecg"), id=f"{g}-mitbih") for g in SIGNAL_GENERATORS],
    *[GeneratorCase(g, lambda: signal_input("twelve_lead_ecg"), id=f"{g}-12lead") for g in TWELVE_LEAD_GENERATORS],
    *[GeneratorCase(g, audio_input, id=f"{g}-audio") for g in AUDIO_GENERATORS],
    # MP3 coding draws no random numbers.
    GeneratorCase("audio_mp3", broadband_audio_input, id="audio_mp3-broadband", deterministic=True),
]
