"""Family tests of video: per-frame image generators, frame drop and temporal jitter."""

import math

import pytest
import torch

from robustmed.generators import build_generator, sample_keys
from tests.generators.cases.imaging import ultrasound_cine


def _run(name, values, level, ids, spec, seed=0):
    keys = sample_keys(seed, name, ids)
    return build_generator(name)(values, torch.ones(len(ids), dtype=torch.bool), level, keys, spec)


def test_frame_noise_differs_between_frames():
    data = ultrasound_cine()
    noise = _run("image_gaussian_noise", data.values, 4.0, data.sample_ids, data.spec).values.float() - data.values.float()
    assert not torch.equal(noise[0, 0], noise[0, 1])


def test_frame_output_independent_of_clip_length():
    data = ultrasound_cine()
    whole = _run("image_gaussian_noise", data.values, 3.0, data.sample_ids, data.spec).values
    first = _run("image_gaussian_noise", data.values[:, :4].contiguous(), 3.0, data.sample_ids, data.spec).values
    assert torch.equal(whole[:, :4], first)


def test_clip_shares_motion_angle():
    data = ultrasound_cine()
    result = _run("image_motion_blur", data.values, 3.0, data.sample_ids, data.spec)
    assert result.params["angle"].shape == (len(data.sample_ids),)


def test_frame_drop_repeats_earlier_frames():
    data = ultrasound_cine()
    # Level 2 drops most frames but not all (level 5 drops every frame after the first).
    result = _run("video_frame_drop", data.values, 2.0, data.sample_ids, data.spec)
    source = result.params["source_frame"]
    assert torch.equal(source[:, 0], torch.zeros(len(source), dtype=source.dtype))
    assert bool((source.diff(dim=1) >= 0).all())
    assert bool((source <= torch.arange(source.shape[1])).all())
    for clip in range(len(source)):
        for frame in range(source.shape[1]):
            assert torch.equal(result.values[clip, frame], data.values[clip, source[clip, frame]])


def test_frame_drop_rate_near_p():
    data = ultrasound_cine()
    ids = [f"clip-{i}" for i in range(60)]
    values = data.values[:1].expand(60, -1, -1, -1, -1).contiguous()
    source = _run("video_frame_drop", values, 1.0, ids, data.spec).params["source_frame"]
    p = build_generator("video_frame_drop").ladder.value(1.0)
    dropped = (source[:, 1:] != torch.arange(1, source.shape[1])).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.08)


def test_temporal_jitter_stays_within_offset_and_order():
    data = ultrasound_cine()
    result = _run("video_temporal_jitter", data.values, 5.0, data.sample_ids, data.spec)
    source = result.params["source_frame"]
    limit = math.ceil(build_generator("video_temporal_jitter").ladder.value(5.0))
    assert bool(((source - torch.arange(source.shape[1])).abs() <= limit).all())
    assert bool((source.diff(dim=1) >= 0).all())


def test_temporal_generators_reject_images():
    from dataclasses import replace

    from robustmed.data.spec import ModalityKind

    data = ultrasound_cine()
    spec = replace(data.spec, kind=ModalityKind.IMAGE)
    with pytest.raises(ValueError, match="accepts modality kinds video"):
        _run("video_frame_drop", data.values[:, 0], 2.0, data.sample_ids, spec)
