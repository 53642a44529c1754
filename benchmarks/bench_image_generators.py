"""Throughput of robustmed's image generators against albumentations on the CPU.

Both sides corrupt the same 256×256 uint8 RGB crops of real images (histology,
fundus and ultrasound from skimage.data and pydicom-data) with the same corruption
at the same strength: robustmed on a batch tensor (B, 3, H, W) including the
per-sample key derivation, albumentations 2.0.8 one image at a time in a Python
loop, as a data loader applies it. Run on demand:

    NO_ALBUMENTATIONS_UPDATE=1 python benchmarks/bench_image_generators.py [--images 128] [--repeats 5] [--threads 1]

It prints images per second for both, in wall time and in CPU time of this
process, and their ratios (robustmed / albumentations).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from robustmed.data.samples.imaging import fundus, immunohistochemistry, ultrasound_frame  # noqa: E402
from robustmed.generators import build_generator, sample_keys, standard_ladder  # noqa: E402
from robustmed.generators.image_blur import gaussian_kernel_size  # noqa: E402

SIZE = 256


def real_crops(count: int) -> torch.Tensor:
    """``count`` distinct 256×256 uint8 RGB crops of real images, shape (count, 3, 256, 256)."""
    images = [sample[1][0] for sample in (immunohistochemistry(), fundus(), ultrasound_frame())]
    crops = []
    for i in range(count):
        image = images[i % len(images)]
        height, width = image.shape[-2:]
        step = i // len(images)
        row = (step * 37) % (height - SIZE)
        col = (step * 53) % (width - SIZE)
        crops.append(image[:, row : row + SIZE, col : col + SIZE])
    return torch.stack(crops).contiguous()


def corruptions(level: float) -> list[tuple[str, str, A.BasicTransform]]:
    """(label, robustmed generator, equivalent albumentations transform) at ``level``."""
    noise = standard_ladder("image_gaussian_noise").value(level)
    sigma = standard_ladder("image_gaussian_blur").value(level)
    size = gaussian_kernel_size(sigma)
    quality = int(round(standard_ladder("image_jpeg").value(level)))
    stain = standard_ladder("image_stain_shift").value(level)
    return [
        (f"Gaussian noise (sigma {noise:.3f})", "image_gaussian_noise", A.GaussNoise(std_range=(noise, noise), p=1.0)),
        (
            f"Gaussian blur (sigma {sigma:.2f}, {size}x{size})",
            "image_gaussian_blur",
            A.GaussianBlur(blur_limit=(size, size), sigma_limit=(sigma, sigma), p=1.0),
        ),
        (f"JPEG (quality {quality})", "image_jpeg", A.ImageCompression(quality_range=(quality, quality), p=1.0)),
        (
            f"H&E stain shift (sigma {stain:.3f})",
            "image_stain_shift",
            A.HEStain(
                method="preset",
                preset="ruifrok",
                intensity_scale_range=(1.0 - stain, 1.0 + stain),
                intensity_shift_range=(-stain, stain),
                augment_background=True,
                p=1.0,
            ),
        ),
    ]


def best_rate(run, count: int, repeats: int) -> float:
    """Images per second of wall time, the fastest of ``repeats`` runs (after one warm-up run)."""
    return best_rates([run], count, repeats)[0][0]


def best_rates(runs, count: int, repeats: int) -> list[tuple[float, float]]:
    """(wall, CPU) images per second of each run, the fastest of ``repeats`` rounds.

    The runs alternate within each round, so a change of machine load between
    rounds hits both sides alike. CPU time (``time.process_time``, all threads of
    this process) is the fairer measure on a machine shared with other jobs.
    """
    for run in runs:
        run()
    wall = [float("inf")] * len(runs)
    cpu = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[i] = min(wall[i], time.perf_counter() - start_wall)
            cpu[i] = min(cpu[i], time.process_time() - start_cpu)
    return [(count / w, count / c) for w, c in zip(wall, cpu, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=128, help="images per run (one batch for robustmed)")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds, both sides alternating; the fastest counts")
    parser.add_argument("--level", type=float, default=3.0, help="severity level (0-5) of both sides")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads; 1 as in a DataLoader worker, where CPU-side corruption runs",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    batch = real_crops(args.images)
    images_hwc = [np.ascontiguousarray(image.permute(1, 2, 0).numpy()) for image in batch]
    ids = [f"bench-{i}" for i in range(args.images)]
    present = torch.ones(args.images, dtype=torch.bool)
    from robustmed.data.spec import ModalityKind, ModalitySpec

    spec = ModalitySpec("image", ModalityKind.IMAGE, tuple(batch.shape[1:]), torch.uint8, "", (0, 255))
    print(f"{args.images} real 256x256 uint8 RGB images, level {args.level}, torch threads {torch.get_num_threads()}")
    print(f"{'':42s} {'wall time: images/s':>26s} {'CPU time: images/s':>26s}")
    print(f"{'corruption':42s} {'ours':>9s} {'album.':>9s} {'ratio':>6s} {'ours':>9s} {'album.':>9s} {'ratio':>6s}")
    for label, name, transform in corruptions(args.level):
        generator = build_generator(name)

        def ours(generator=generator, name=name):
            keys = sample_keys(0, name, ids)
            return generator(batch, present, args.level, keys, spec)

        def theirs(transform=transform):
            for image in images_hwc:
                transform(image=image)

        (ours_wall, ours_cpu), (theirs_wall, theirs_cpu) = best_rates([ours, theirs], args.images, args.repeats)
        print(
            f"{label:42s} {ours_wall:9.0f} {theirs_wall:9.0f} {ours_wall / theirs_wall:6.2f}"
            f" {ours_cpu:9.0f} {theirs_cpu:9.0f} {ours_cpu / theirs_cpu:6.2f}"
        )


if __name__ == "__main__":
    main()
