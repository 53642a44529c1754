"""Benchmark: bootstrap intervals of AUROC on 10^6 predictions, robustmed vs scipy over scikit-learn.

robustmed draws 1,000 stratified replicates and computes each AUROC from one
sort of the scores with compiled counter-based kernels (see
``robustmed.stats.replicates`` and ``robustmed.stats._kernels``). The first
call compiles or loads the kernels; that time is reported apart. The reference is
``scipy.stats.bootstrap`` calling ``sklearn.metrics.roc_auc_score`` once per
replicate. Running the reference for all replicates takes about ten minutes at
n = 10^6, so by default it runs ``--reference-replicates`` replicates and its
time is extrapolated linearly (each replicate does the same work); pass
``--full-reference`` to run all of them and compare the two intervals directly.

Both sides run in this process, one after the other, on the same data. CPU
time (``time.process_time``) is reported beside wall time because it is less
disturbed by other work on a shared machine::

    python benchmarks/bench_bootstrap.py
    python benchmarks/bench_bootstrap.py --full-reference   # about 10 min more
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score

from robustmed.metrics.classification import auroc_weighted
from robustmed.stats import Resampler, delong_interval, percentile_interval
from robustmed.stats.replicates import metric_replicates


def simulate(n: int, prevalence: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Binormal scores with AUROC near 0.76, as float32 probabilities (which produce ties)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(np.int64)
    logit = rng.normal(size=n) + 1.0 * y - 1.0
    return y, (1.0 / (1.0 + np.exp(-logit))).astype(np.float32).astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of predictions")
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--reference-replicates", type=int, default=20, help="scipy replicates timed when not --full-reference")
    parser.add_argument("--full-reference", action="store_true", help="run scipy for all replicates")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    y, p = simulate(args.n, 0.3, args.seed)
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"data: n = {args.n:,}, {int(y.sum()):,} positives, {len(np.unique(p)):,} distinct scores")

    started = time.process_time()
    metric_replicates("auroc", y[:1000], p[:1000], Resampler(y[:1000], seed=args.seed), 2)
    print(f"kernel compilation or cache load: {time.process_time() - started:.2f} s CPU (once per process)")

    started, started_cpu = time.perf_counter(), time.process_time()
    resampler = Resampler(y, seed=args.seed)
    ours = metric_replicates("auroc", y, p, resampler, args.replicates)
    ours_seconds, ours_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    ours_interval = percentile_interval(ours, 0.95)
    print(f"robustmed: {args.replicates} stratified replicates in {ours_seconds:.2f} s wall, {ours_cpu:.2f} s CPU "
          f"({1e3 * ours_cpu / args.replicates:.2f} ms CPU each); 95% interval "
          f"[{ours_interval[0]:.5f}, {ours_interval[1]:.5f}]")

    started = time.perf_counter()
    threaded = metric_replicates("auroc", y, p, resampler, args.replicates, n_jobs=2)
    threaded_seconds = time.perf_counter() - started
    print(f"robustmed with n_jobs=2 threads: {threaded_seconds:.2f} s wall; same replicates: "
          f"{np.array_equal(threaded, ours)}")

    # Exactness: the first replicates against scikit-learn with the same draw counts as sample weights.
    weights = resampler.weights(0, 3)
    sklearn_values = [roc_auc_score(y, p, sample_weight=w) for w in weights]
    print(f"replicates 0-2 vs sklearn roc_auc_score(sample_weight=counts): max |difference| = "
          f"{np.max(np.abs(ours[:3] - sklearn_values)):.1e}")

    started = time.process_time()
    matrix_path = auroc_weighted(y, p, resampler.weights(0, 10))
    matrix_seconds = (time.process_time() - started) / 10
    print(f"robustmed weight-matrix path (metrics without a kernel): {1e3 * matrix_seconds:.1f} ms CPU per "
          f"replicate (10 timed); equal to the kernel: {np.allclose(matrix_path, ours[:10], atol=1e-12)}")

    reference_replicates = args.replicates if args.full_reference else args.reference_replicates
    started, started_cpu = time.perf_counter(), time.process_time()
    reference = stats.bootstrap(
        (y, p), roc_auc_score, paired=True, vectorized=False, n_resamples=reference_replicates,
        batch=10, confidence_level=0.95, method="percentile", rng=np.random.default_rng(args.seed),
    )
    scale = args.replicates / reference_replicates
    reference_seconds = (time.perf_counter() - started) * scale
    reference_cpu = (time.process_time() - started_cpu) * scale
    kind = "measured" if args.full_reference else f"extrapolated from {reference_replicates} replicates"
    print(f"scipy.stats.bootstrap over sklearn roc_auc_score (not stratified): {args.replicates} replicates "
          f"{reference_seconds:.0f} s wall, {reference_cpu:.0f} s CPU ({kind})")
    print(f"speed-up: {reference_cpu / ours_cpu:.0f}x in CPU time, {reference_seconds / ours_seconds:.0f}x in wall time; "
          f"{reference_seconds / threaded_seconds:.0f}x in wall time with 2 threads")

    low, high = reference.confidence_interval
    if args.full_reference:
        print(f"scipy interval [{low:.5f}, {high:.5f}]; |difference| low {abs(low - ours_interval[0]):.1e}, "
              f"high {abs(high - ours_interval[1]):.1e}")
    else:
        print(f"scipy interval from {reference_replicates} replicates only [{low:.5f}, {high:.5f}] "
              "(too few replicates to compare; use --full-reference)")
    auroc, delong_low, delong_high = delong_interval(y, p, 0.95)
    print(f"DeLong interval [{delong_low:.5f}, {delong_high:.5f}] around AUROC {auroc:.5f}; |difference| from "
          f"robustmed low {abs(delong_low - ours_interval[0]):.1e}, high {abs(delong_high - ours_interval[1]):.1e}")


if __name__ == "__main__":
    main()
