"""Missing-segment cases on image, volume and video crops (the other kinds are in
the sequence, signal and feature case modules)."""

from dataclasses import replace
from functools import cache

import torch

from tests.generators.cases import GeneratorCase, GeneratorInput

CROP = 64


@cache
def crop_input(kind: str) -> GeneratorInput:
    from robustmed.data.samples import real_samples

    name, values, spec, _ = real_samples(kind)[0]
    if kind == "video":
        values = values[:, :8]
    crops = [
        values[0, ..., y : y + CROP, x : x + CROP]
        for y, x in ((0, 0), (0, CROP), (CROP, 0), (CROP, CROP))
        if values.shape[-2] >= y + CROP and values.shape[-1] >= x + CROP
    ]
    batch = torch.stack(crops).contiguous()
    spec = replace(spec, shape=tuple(batch.shape[1:]))
    ids = [f"{name}-{i}" for i in range(len(crops))]
    return GeneratorInput(batch, torch.ones(len(crops), dtype=torch.bool), spec, ids)


CASES = [GeneratorCase("missing_segment", lambda k=kind: crop_input(k), id=f"missing_segment-{kind}") for kind in ("image", "volume", "video")]
