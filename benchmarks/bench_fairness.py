"""Cost of bootstrap intervals for subgroup metrics: vectorised replicates against a per-replicate loop.

Run on demand (never in the test suite)::

    python benchmarks/bench_fairness.py [--resamples 1000] [--repeats 3]

On the ad_data test split (134 patients) with the reference model, both paths
compute every sex × age-band subgroup's AUROC, Brier score and sensitivity at
a fixed threshold for every bootstrap replicate. The vectorised path is what
the fairness analysis runs: one weighted call per group over all replicates.
The loop expands each replicate into repeated samples and calls scikit-learn,
as a per-replicate bootstrap would. The script checks that both agree and
prints the best-of-``--repeats`` wall times side by side with their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import brier_score_loss, recall_score, roc_auc_score

import robustmed.recipes  # noqa: F401  (imports the evaluator registry before an evaluator module)
from robustmed.data import load_dataset
from robustmed.evaluators import grouping
from robustmed.metrics import fairness as fm
from robustmed.models.registry import load_reference_adapter
from robustmed.stats.bootstrap import resampling_weights

THRESHOLD = 0.5


def vectorised(groups, y, p, weights):
    results = {}
    for g in groups:
        values = grouping.group_values(g, y, p, weights, 0.95, metrics=["auroc", "brier"], threshold=THRESHOLD)
        results[g.subgroup] = {m: values.values[m].replicates for m in ("auroc", "brier", "sensitivity")}
    return results


def looped(groups, y, p, weights):
    results = {}
    for g in groups:
        rows = {"auroc": [], "brier": [], "sensitivity": []}
        for replicate in weights[:, g.index]:
            drawn = np.repeat(g.index, replicate.astype(np.int64))
            y_r, p_r = y[drawn], p[drawn]
            has_both = len(np.unique(y_r)) == 2
            rows["auroc"].append(roc_auc_score(y_r, p_r) if has_both else np.nan)
            rows["brier"].append(2 * brier_score_loss(y_r, p_r) if len(drawn) else np.nan)
            positives = y_r == 1
            rows["sensitivity"].append(recall_score(y_r, p_r >= THRESHOLD, zero_division=np.nan) if positives.any() else np.nan)
        results[g.subgroup] = {m: np.array(v) for m, v in rows.items()}
    return results


def best_time(function, repeats: int) -> tuple[float, dict]:
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    dataset = load_dataset("ad_data")
    batch = dataset.split("test")
    y = batch.targets["impaired"].numpy().astype(np.int64)
    p = load_reference_adapter("ad_late_fusion").predict(batch)["impaired"].double().numpy()
    weights = resampling_weights(args.resamples, y, clusters=batch.patient_ids, seed=0)
    labels = fm.attribute_labels(batch.metadata, ["sex", "age_band"])
    groups = grouping.build_groups(labels, batch.patient_ids, "sex & age_band", min_group_size=1)

    fast_time, fast = best_time(lambda: vectorised(groups, y, p, weights), args.repeats)
    slow_time, slow = best_time(lambda: looped(groups, y, p, weights), args.repeats)
    for subgroup in fast:
        for metric in fast[subgroup]:
            np.testing.assert_allclose(fast[subgroup][metric], slow[subgroup][metric], atol=1e-12, err_msg=subgroup)

    print(f"{len(groups)} subgroups, {args.resamples} replicates, 3 measures each; both paths agree to 1e-12")
    print(f"vectorised: {fast_time:8.3f} s")
    print(f"loop:       {slow_time:8.3f} s")
    print(f"loop / vectorised: {slow_time / fast_time:.1f}x")


if __name__ == "__main__":
    main()
