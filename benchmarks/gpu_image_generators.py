"""Throughput of robustmed's image generators on CUDA against albumentations on the host CPU.

robustmed corrupts batches of 256 real 256×256 uint8 RGB crops already on the GPU;
albumentations 2.0.8 corrupts the same images one at a time on the CPU, as a data
loader does. The target is a ratio of at least 20. JPEG runs through libjpeg on
the CPU on both sides, so its ratio measures only the transfer overhead. Run on a
machine with a CUDA GPU (it finishes in well under 5 minutes):

    NO_ALBUMENTATIONS_UPDATE=1 python benchmarks/gpu_image_generators.py [--batch 256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_image_generators import best_rate, corruptions, real_crops  # noqa: E402

from robustmed.data.spec import ModalityKind, ModalitySpec  # noqa: E402
from robustmed.generators import build_generator, sample_keys  # noqa: E402


def cuda_rate(run, count: int, repeats: int) -> float:
    """Images per second of the fastest of ``repeats`` runs, synchronising the device."""
    run()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256, help="images per batch on the GPU")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per side; the fastest counts")
    parser.add_argument("--level", type=float, default=3.0, help="severity level (0-5) of both sides")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("No CUDA device: this benchmark needs a GPU (see bench_image_generators.py for the CPU).")

    host = real_crops(args.batch)
    device_batch = host.cuda()
    images_hwc = [np.ascontiguousarray(image.permute(1, 2, 0).numpy()) for image in host]
    ids = [f"bench-{i}" for i in range(args.batch)]
    present = torch.ones(args.batch, dtype=torch.bool, device="cuda")
    spec = ModalitySpec("image", ModalityKind.IMAGE, tuple(host.shape[1:]), torch.uint8, "", (0, 255))
    print(f"{torch.cuda.get_device_name()}: batch {args.batch} of 256x256 uint8 RGB, level {args.level}")
    print(f"{'corruption':42s} {'robustmed CUDA img/s':>21s} {'albumentations CPU img/s':>25s} {'ratio':>7s}")
    for label, name, transform in corruptions(args.level):
        generator = build_generator(name)
        keys = sample_keys(0, name, ids)

        def ours(generator=generator, keys=keys):
            return generator(device_batch, present, args.level, keys, spec)

        def theirs(transform=transform):
            for image in images_hwc:
                transform(image=image)

        ours_rate = cuda_rate(ours, args.batch, args.repeats)
        theirs_rate = best_rate(theirs, args.batch, max(1, args.repeats // 2))
        print(f"{label:42s} {ours_rate:21.0f} {theirs_rate:25.0f} {ours_rate / theirs_rate:7.1f}")


if __name__ == "__main__":
    main()
