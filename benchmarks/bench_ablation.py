"""Cost of a modality-subset sweep with the embedding cache against the naive sweep.

Run on demand (never in the test suite)::

    python benchmarks/bench_ablation.py [--repeats 3] [--naive-subsets 16] [--threads N]

Every time is the best of ``--repeats`` runs (ten times as many for the small
reference model), in wall time and in CPU time, and is reported as a multiple
of one clean forward pass over the same samples. The cached sweep includes its
encoder pass, the fill statistics and one fusion pass per block of subsets. The
naive sweep runs a full forward pass per subset. For the 10-modality model the
naive sweep is timed on ``--naive-subsets`` random subsets and scaled to all
1024. Every naive pass costs the same, so this is an estimate of the full
sweep, marked as such in the output.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from robustmed.data.batch import Batch
from robustmed.data.datasets import load_dataset
from robustmed.data.datasets.base import TaskSpec
from robustmed.engine.ablation import SubsetPredictor
from robustmed.models.adapter import LateFusionAdapter
from robustmed.models.registry import load_reference_adapter


class SyntheticLateFusion(nn.Module):
    """Ten feature-vector encoders (3-layer MLPs) and a small fusion head with learned missing tokens.

    The encoder-to-head cost ratio mirrors real late-fusion models, where each
    encoder is a large network and the fusion head a small MLP.
    """

    def __init__(self, n_modalities: int, features: int, hidden: int, embedding: int, generator: torch.Generator):
        super().__init__()
        self.modalities = [f"m{k}" for k in range(n_modalities)]
        self.encoders = nn.ModuleDict(
            {
                name: nn.Sequential(
                    nn.Linear(features, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, embedding)
                )
                for name in self.modalities
            }
        )
        self.missing_tokens = nn.ParameterDict({name: nn.Parameter(torch.zeros(embedding)) for name in self.modalities})
        self.head = nn.Sequential(nn.Linear(embedding * n_modalities, 32), nn.GELU(), nn.Linear(32, 1))
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)

    def encode(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return self.encoders[name](x)

    def fuse(self, embeddings, present):
        parts = [
            torch.where(present[n].unsqueeze(1), embeddings[n], self.missing_tokens[n]) for n in self.modalities
        ]
        return {"label": self.head(torch.cat(parts, dim=1))}


def synthetic_case(n_modalities: int = 10, n_samples: int = 512, features: int = 1024) -> tuple[LateFusionAdapter, Batch]:
    generator = torch.Generator().manual_seed(0)
    model = SyntheticLateFusion(n_modalities, features, hidden=1024, embedding=32, generator=generator)
    names = tuple(model.modalities)
    batch = Batch(
        modalities={n: torch.randn(n_samples, features, generator=generator) for n in names},
        present={n: torch.ones(n_samples, dtype=torch.bool) for n in names},
        sample_ids=[f"s{i:05d}" for i in range(n_samples)],
        metadata=pd.DataFrame(index=range(n_samples)),
        targets={"label": torch.randint(0, 2, (n_samples,), generator=generator)},
    )
    tasks = {"label": TaskSpec("label", "binary", ("negative", "positive"))}
    return LateFusionAdapter(model, tasks, names), batch


def best_time(fn, repeats: int) -> tuple[float, float]:
    """Minimum wall time and minimum CPU time (``time.process_time``) over ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def keep_of(mask: int, names: tuple[str, ...]) -> dict[str, bool]:
    return {name: bool(mask >> i & 1) for i, name in enumerate(names)}


def measure(label: str, adapter, batch: Batch, repeats: int, naive_subsets: int | None, policies: tuple[str, ...]) -> None:
    names = tuple(adapter.modalities)
    masks = list(range(2 ** len(names)))

    def clean_pass():
        for chunk in batch.iter_batches(256):
            adapter.predict(chunk)

    def cached_sweep(sweep_policies):
        def run():
            predictor = SubsetPredictor(adapter, batch)
            for policy in sweep_policies:
                predictor.predict_many([(keep_of(mask, names), policy) for mask in masks])
        return run

    sampled = masks
    if naive_subsets is not None and naive_subsets < len(masks):
        sampled = sorted(np.random.default_rng(0).choice(masks, naive_subsets, replace=False).tolist())

    def naive_sweep():
        predictor = SubsetPredictor(adapter, batch, use_cache=False)
        for mask in sampled:
            predictor.predict(keep_of(mask, names), "native")

    with torch.inference_mode():
        timings = {
            "one clean pass": best_time(clean_pass, repeats),
            "cached sweep, native": best_time(cached_sweep(("native",)), repeats),
            f"cached sweep, {len(policies)} policies": best_time(cached_sweep(policies), repeats),
        }
        # A sampled naive sweep is already many passes long, so one run of it is enough.
        wall, cpu = best_time(naive_sweep, 1 if len(sampled) < len(masks) else repeats)
        scale = len(masks) / len(sampled)
        estimated = f" (estimated from {len(sampled)} subsets)" if len(sampled) < len(masks) else ""
        timings[f"naive sweep, native{estimated}"] = (wall * scale, cpu * scale)
    clean_wall, clean_cpu = timings["one clean pass"]
    print(f"\n{label}: M = {len(names)}, {len(masks)} subsets, n = {len(batch)}, torch threads = {torch.get_num_threads()}")
    print(f"  {'':48s} {'wall ms':>10s} {'ratio':>8s} {'CPU ms':>10s} {'ratio':>8s}")
    for name, (wall, cpu) in timings.items():
        print(f"  {name:48s} {wall * 1e3:10.1f} {wall / clean_wall:7.2f}x {cpu * 1e3:10.1f} {cpu / clean_cpu:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-subsets", type=int, default=16, help="subsets timed for the naive M = 10 sweep")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    sys.stdout.reconfigure(line_buffering=True)
    policies = ("native", "zero", "mean", "marginal")

    dataset = load_dataset("ad_data")
    # The reference model runs in about a millisecond, so it gets more repeats against timer noise.
    adapter = load_reference_adapter("ad_late_fusion")
    measure("ad_late_fusion on ad_data (all 333 samples)", adapter, dataset.split("all"), 10 * args.repeats, None, policies)
    adapter, batch = synthetic_case()
    measure("synthetic 10-modality late fusion", adapter, batch, args.repeats, args.naive_subsets, policies)


if __name__ == "__main__":
    main()
