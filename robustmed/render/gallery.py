"""The generator gallery (``robustmed preview``): every generator at levels 0-5 on a
real sample of its modality, as PNG figures and one HTML page.

Text and sequence generators also get word- or character-level diffs between the
clean sample and each level. The page is rendered by Jinja2 with autoescaping, so
sample text and captions are escaped.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import torch

from robustmed.data.spec import ModalityKind
from robustmed.errors import RobustmedError
from robustmed.generators.base import ladder_levels
from robustmed.generators.random import sample_keys
from robustmed.generators.registry import build_generator, generator_names
from robustmed.render.figures.gallery import HEATMAP_ROWS, level_panels

logger = logging.getLogger(__name__)

STRING_KINDS = (ModalityKind.TEXT, ModalityKind.DNA, ModalityKind.PROTEIN)
BATCH_KINDS = (ModalityKind.TABULAR, ModalityKind.OMICS)
FIGURES = "figures"
PREVIEW_SAMPLES = 2


@dataclass
class GalleryEntry:
    """One generator on one sample: its figure and, for strings, diffs per level."""

    generator: str
    description: str
    parameter: str
    unit: str
    values: list[str]
    figure: str = ""
    skipped: str = ""
    diffs: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)


@dataclass
class GallerySection:
    kind: str
    sample: str
    caption: str
    entries: list[GalleryEntry] = field(default_factory=list)


def diff_segments(clean: str, perturbed: str, by_word: bool) -> list[tuple[str, str]]:
    """(operation, text) pieces turning ``clean`` into ``perturbed``: 'equal', 'delete' or 'insert'."""
    a = clean.split(" ") if by_word else list(clean)
    b = perturbed.split(" ") if by_word else list(perturbed)
    joiner = " " if by_word else ""
    pieces = []
    for operation, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if operation == "equal":
            pieces.append(("equal", joiner.join(a[a0:a1])))
            continue
        if a1 > a0:
            pieces.append(("delete", joiner.join(a[a0:a1])))
        if b1 > b0:
            pieces.append(("insert", joiner.join(b[b0:b1])))
    return pieces


def _entry(generator, figure: str = "", skipped: str = "") -> GalleryEntry:
    return GalleryEntry(
        generator=generator.name,
        description=generator.description,
        parameter=generator.ladder.parameter,
        unit=generator.ladder.unit,
        values=[f"{v:g}" for v in generator.ladder.values],
        figure=figure,
        skipped=skipped,
    )


def _select(kind: ModalityKind, names: Iterable[str] | None) -> list:
    return [g for g in (build_generator(n) for n in (names or generator_names())) if kind in g.kinds]


def _levels(generator) -> list[dict]:
    ladder = generator.ladder
    return [
        {"level": level, "parameter": ladder.parameter, "value": ladder.value(level) if level else ladder.identity}
        for level in ladder_levels()
    ]


def render_gallery(
    out: Path, kinds: Iterable[str] | None = None, generators: Iterable[str] | None = None, root_seed: int = 0
) -> Path:
    """Render the gallery into ``out`` (``index.html`` and ``figures/*.png``); return the page path.

    Raises
    ------
    RobustmedError
        If a kind or generator is unknown, or no generator matches the selection.
    """
    from robustmed.data.samples import real_samples, sample_kinds

    if generators is not None:
        unknown = sorted(set(generators) - set(generator_names()))
        if unknown:
            raise RobustmedError(f"Unknown generator(s) {', '.join(unknown)}; run 'robustmed list generators' for the names.")
    selected = []
    for kind in kinds or [k.value for k in sample_kinds()]:
        try:
            selected.append(ModalityKind(kind))
        except ValueError:
            allowed = ", ".join(k.value for k in ModalityKind)
            raise RobustmedError(f"Unknown modality kind {kind!r}; allowed kinds: {allowed}.") from None
    figures = out / FIGURES
    sections = []
    for kind in selected:
        chosen = _select(kind, generators)
        if not chosen:
            continue
        sample_name, values, spec, caption = real_samples(kind)[0]
        # Outputs depend only on each sample's key, so the gallery runs on the samples it shows.
        values = values[:HEATMAP_ROWS] if kind in BATCH_KINDS else values[:PREVIEW_SAMPLES]
        section = GallerySection(kind=kind.value, sample=sample_name, caption=caption)
        ids = [f"{sample_name}-{i}" for i in range(len(values))]
        present = torch.ones(len(values), dtype=torch.bool)
        for generator in chosen:
            logger.info("rendering %s on %s", generator.name, sample_name)
            keys = sample_keys(root_seed, generator.name, ids)
            levels = _levels(generator)
            try:
                batches = [generator(values, present, float(entry["level"]), keys, spec) for entry in levels]
            except (ValueError, TypeError) as error:
                # The generator does not apply to this sample (for example RGB-only on grayscale).
                section.entries.append(_entry(generator, skipped=str(error)))
                continue
            # Batch kinds show several samples; others show the first sample that every level keeps present.
            index = 0
            if kind not in BATCH_KINDS:
                always = torch.stack([b.present for b in batches]).all(dim=0)
                index = int(torch.nonzero(always)[0]) if always.any() else 0
            outputs = [b.values if kind in BATCH_KINDS else b.values[index] for b in batches]
            stem = figures / f"{kind.value}-{generator.name}"
            level_panels(outputs, spec, levels, stem)
            entry = _entry(generator, figure=f"{FIGURES}/{stem.name}.png")
            if kind in STRING_KINDS:
                by_word = kind == ModalityKind.TEXT
                entry.diffs = [
                    (entry_level["level"], diff_segments(outputs[0], output, by_word))
                    for entry_level, output in zip(levels[1:], outputs[1:], strict=True)
                ]
            section.entries.append(entry)
        sections.append(section)
    if not sections:
        raise RobustmedError("No generator accepts the selected modality kinds; nothing to preview.")
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("robustmed.render", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    )
    page = environment.get_template("gallery.html.j2").render(sections=sections)
    path = out / "index.html"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(page)
    temporary.replace(path)
    return path
