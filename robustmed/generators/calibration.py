"""Severity calibration: fidelity loss per level of every generator on real samples.

For each modality kind, each real sample batch of that kind
(:func:`robustmed.data.samples.real_samples`) and each generator that accepts the
kind, the generator runs at levels 0-5 and :func:`~robustmed.generators.fidelity.fidelity_loss`
measures the damage. The shipped ladders aim at the losses in ``TARGET_LOSS`` so
that a level means a comparable fidelity loss across kinds; the table records how
close each ladder comes and whether the loss grows with the level.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from robustmed.data.spec import ModalityKind
from robustmed.errors import RobustmedError
from robustmed.generators.base import ladder_levels
from robustmed.generators.fidelity import MEASURES, fidelity_loss
from robustmed.generators.random import sample_keys
from robustmed.generators.registry import build_generator, generator_names

logger = logging.getLogger(__name__)

TARGET_LOSS = (0.0, 0.05, 0.10, 0.20, 0.35, 0.50)
# A decrease below half the table's last printed digit (0.001) is measurement jitter, such as a
# codec's rounding at two bitrates, not a loss that falls with the level.
MONOTONE_TOLERANCE = 5e-4
# A row whose loss rises by less than this from level 1 to level 5 has levels that mean little
# on that sample: it is marked flat, and the command warns.
FLAT_RISE = 0.01


def _select_generators(kind: ModalityKind, names: Iterable[str] | None) -> list:
    chosen = []
    for name in generator_names() if names is None else names:
        generator = build_generator(name)
        if kind in generator.kinds:
            chosen.append(generator)
    return chosen


def _aggregate_measure(kind: ModalityKind, measures: np.ndarray, mean_loss: float) -> float:
    """Batch value of the fidelity measure; SNR comes from the mean noise power fraction."""
    if kind in (ModalityKind.SIGNAL, ModalityKind.AUDIO):
        if mean_loss <= 0.0:
            return math.inf
        return 10.0 * math.log10((1.0 - mean_loss) / mean_loss) if mean_loss < 1.0 else -math.inf
    finite = measures[np.isfinite(measures)]
    return float(finite.mean()) if finite.size else math.nan


def calibrate(
    kinds: Iterable[str] | None = None, generators: Iterable[str] | None = None, root_seed: int = 0
) -> pd.DataFrame:
    """Measure fidelity loss per level; one row per (kind, sample, generator, level).

    Raises
    ------
    RobustmedError
        If a requested kind or generator is unknown, or nothing matches the selection.
    """
    from robustmed.data.samples import real_samples, sample_kinds

    available = sample_kinds()
    if kinds is None:
        selected_kinds = available
    else:
        selected_kinds = []
        for kind in kinds:
            try:
                selected_kinds.append(ModalityKind(kind))
            except ValueError:
                allowed = ", ".join(k.value for k in ModalityKind)
                raise RobustmedError(f"Unknown modality kind {kind!r}; allowed kinds: {allowed}.") from None
    if generators is not None:
        unknown = sorted(set(generators) - set(generator_names()))
        if unknown:
            raise RobustmedError(
                f"Unknown generator(s) {', '.join(unknown)}; run 'robustmed list generators' for the names."
            )
    rows = []
    for kind in selected_kinds:
        chosen = _select_generators(kind, generators)
        if not chosen:
            continue
        for sample_name, values, spec, _caption in real_samples(kind):
            ids = [f"{sample_name}-{i}" for i in range(len(values))]
            present = _all_present(len(values))
            for generator in chosen:
                keys = sample_keys(root_seed, generator.name, ids)
                logger.info("calibrating %s on %s", generator.name, sample_name)
                pair_rows = []
                reason = ""
                for level in ladder_levels():
                    try:
                        result = generator(values, present, float(level), keys, spec)
                    except (ValueError, TypeError) as error:
                        # A generator may not apply to this sample (an RGB stain shift on a
                        # grayscale radiograph): record why instead of a loss.
                        reason = str(error)
                        logger.info("skipping %s on %s: %s", generator.name, sample_name, reason)
                        break
                    measures, losses = fidelity_loss(values, result.values, present, result.present, spec)
                    mean_loss = float(losses.mean())
                    pair_rows.append(
                        {
                            "kind": kind.value,
                            "sample": sample_name,
                            "generator": generator.name,
                            "level": level,
                            "parameter": generator.ladder.parameter,
                            "parameter_value": generator.ladder.value(level) if level else generator.ladder.identity,
                            "measure": MEASURES[kind],
                            "fidelity": _aggregate_measure(kind, measures, mean_loss),
                            "loss": mean_loss,
                            "target_loss": TARGET_LOSS[level],
                            "n": len(values),
                            "reason": "",
                        }
                    )
                if reason:
                    pair_rows = [
                        {
                            "kind": kind.value,
                            "sample": sample_name,
                            "generator": generator.name,
                            "level": level,
                            "parameter": generator.ladder.parameter,
                            "parameter_value": generator.ladder.value(level) if level else generator.ladder.identity,
                            "measure": MEASURES[kind],
                            "fidelity": math.nan,
                            "loss": math.nan,
                            "target_loss": TARGET_LOSS[level],
                            "n": len(values),
                            "reason": reason,
                        }
                        for level in ladder_levels()
                    ]
                rows.extend(pair_rows)
    if not rows:
        raise RobustmedError("No generator accepts the selected modality kinds; nothing to calibrate.")
    return pd.DataFrame(rows)


def _all_present(n: int):
    import torch

    return torch.ones(n, dtype=torch.bool)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Summarise the long table: one row per (kind, sample, generator) with the loss at levels 0-5,
    whether it is monotone, and the largest distance to the target losses.

    Pairs where the generator does not apply to the sample (a ``reason`` is set) are left out.
    """
    if "reason" in table:
        table = table[table["reason"].fillna("") == ""]
    wide = table.pivot_table(index=["kind", "sample", "generator"], columns="level", values="loss", sort=False)
    wide.columns = [f"loss_{int(c)}" for c in wide.columns]
    losses = wide.to_numpy()
    steps = np.diff(losses, axis=1)
    wide["monotone"] = (steps >= -MONOTONE_TOLERANCE).all(axis=1) & (losses[:, -1] > losses[:, 0])
    wide["flat"] = (losses[:, -1] - losses[:, 1]) < FLAT_RISE
    wide["max_target_error"] = np.abs(losses[:, 1:] - np.array(TARGET_LOSS[1:])).max(axis=1)
    return wide.reset_index()


def to_markdown(summary: pd.DataFrame, command: str, skipped: pd.DataFrame | None = None) -> str:
    """Markdown page with the calibration summary, grouped by modality kind."""
    lines = [
        "# Severity calibration",
        "",
        "Fidelity loss of every generator at levels 0-5 on real samples of its modality kind, "
        "measured by `robustmed calibrate`. The loss is on one scale for all kinds. Images, volumes "
        "and video use 1 - SSIM, signals and audio the noise power fraction 1 / (1 + SNR), text, "
        "DNA and proteins the normalised edit distance. Tabular and omics data use the fraction of "
        "values changed by more than a quarter of the feature's training standard deviation. A sample made absent "
        "counts as loss 1. Ladders aim at "
        + ", ".join(f"{t:.2f}" for t in TARGET_LOSS[1:])
        + " at levels 1-5. *monotone* means the loss never decreases with the level (by more than "
        f"{MONOTONE_TOLERANCE:g}) and level 5 is worse than level 0; *flat* means it rises by less "
        f"than {FLAT_RISE:g} from level 1 to level 5.",
        "",
        f"Command: `{command}`",
        "",
    ]
    columns = ["generator", "sample", *[f"loss_{i}" for i in range(1, 6)], "monotone", "flat", "max_target_error"]
    headers = ["generator", "sample", "L1", "L2", "L3", "L4", "L5", "monotone", "max. target error"]
    for kind, group in summary.groupby("kind", sort=False):
        lines += [f"## {kind}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for _, row in group[columns].iterrows():
            cells = [str(row["generator"]), str(row["sample"])]
            cells += [f"{row[f'loss_{i}']:.3f}" for i in range(1, 6)]
            if not row["monotone"]:
                status = "**no**"
            elif row["flat"]:
                status = "yes, flat"
            else:
                status = "yes"
            cells += [status, f"{row['max_target_error']:.3f}"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if skipped is not None and not skipped.empty:
        lines += ["## Not applicable", "", "Generator and sample pairs that the generator rejects:", ""]
        for row in skipped.itertuples():
            lines.append(f"- {row.generator} on {row.sample} ({row.kind}): {row.reason}")
        lines.append("")
    return "\n".join(lines)


def write_calibration(table: pd.DataFrame, out: Path, command: str) -> tuple[Path, Path, pd.DataFrame]:
    """Write ``calibration.csv`` (long table) and ``calibration.md`` (summary) atomically into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(table)
    csv_path = out / "calibration.csv"
    md_path = out / "calibration.md"
    _atomic_write(csv_path, table.to_csv(index=False, float_format="%.6g"))
    skipped = table[table["reason"].fillna("") != ""].drop_duplicates(["kind", "sample", "generator"])
    _atomic_write(md_path, to_markdown(summary, command, skipped))
    return csv_path, md_path, summary


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)


def fit_ladder(
    name: str, kind: str, low: float, high: float, targets=TARGET_LOSS[1:], root_seed: int = 0, steps: int = 30
) -> list[float]:
    """Find by bisection the parameter value at which generator ``name`` reaches each target loss
    on the first real sample of ``kind``, assuming the loss is monotone in the parameter.

    ``low`` and ``high`` bound the parameter; either end may be the clean one.
    """
    from dataclasses import replace

    import torch

    from robustmed.data.samples import real_samples

    sample_name, values, spec, _ = real_samples(kind)[0]
    generator = build_generator(name)
    ids = [f"{sample_name}-{i}" for i in range(len(values))]
    keys = sample_keys(root_seed, name, ids)
    present = torch.ones(len(values), dtype=torch.bool)

    def loss_at(value: float) -> float:
        generator.ladder = replace(generator.ladder, values=(value,) * 5)
        result = generator(values, present, 5.0, keys, spec)
        return float(fidelity_loss(values, result.values, present, result.present, spec)[1].mean())

    increasing = loss_at(high) >= loss_at(low)
    fitted = []
    for target in targets:
        a, b = (low, high) if increasing else (high, low)
        for _ in range(steps):
            middle = (a + b) / 2
            if loss_at(middle) < target:
                a = middle
            else:
                b = middle
        fitted.append((a + b) / 2)
    return fitted
