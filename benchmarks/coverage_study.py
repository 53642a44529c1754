"""Coverage study: how often robustmed's 95% intervals contain the true AUROC or accuracy.

Datasets are simulated from a binormal model whose AUROC and accuracy are known
in closed form. Negatives score u + e and positives d + u + e, where e is
per-sample noise and u a per-patient effect (0 when samples are independent).
With total variance s² = var(u) + var(e), AUROC = Φ(d / (s·sqrt 2)) for pairs of
samples from different patients; labels are per patient, so every
positive-negative pair is such a pair. A sample is predicted positive when its
score is at least t, so accuracy = π·(1 − Φ((t − d)/s)) + (1 − π)·Φ(t/s).

For each scenario and interval method the script prints the share of
simulated datasets whose interval contains the true value (target 93–97% for
95% intervals) with its Monte-Carlo standard error::

    python benchmarks/coverage_study.py --simulations 1000 --replicates 1000
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from robustmed.metrics.classification import accuracy, accuracy_weighted, auroc, auroc_weighted
from robustmed.stats import Resampler, bca_interval, delong_interval, jackknife_values, percentile_interval
from robustmed.stats.replicates import metric_replicates

CONFIDENCE = 0.95
SEPARATION = 1.2
THRESHOLD = 0.6
PREVALENCE = 0.3


@dataclass(frozen=True)
class Scenario:
    name: str
    n_patients: int
    samples_per_patient: int
    patient_sd: float
    noise_sd: float

    @property
    def total_sd(self) -> float:
        return float(np.hypot(self.patient_sd, self.noise_sd))

    def true_auroc(self) -> float:
        return float(norm.cdf(SEPARATION / (self.total_sd * np.sqrt(2.0))))

    def true_accuracy(self) -> float:
        s = self.total_sd
        return float(PREVALENCE * norm.sf((THRESHOLD - SEPARATION) / s) + (1 - PREVALENCE) * norm.cdf(THRESHOLD / s))

    def simulate(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels, probabilities (score shifted by the threshold, through the logistic) and patient ids."""
        patient_label = (rng.random(self.n_patients) < PREVALENCE).astype(np.int64)
        # Keep at least two patients per class so every metric is defined.
        patient_label[:2], patient_label[2:4] = 1, 0
        patients = np.repeat(np.arange(self.n_patients), self.samples_per_patient)
        y = patient_label[patients]
        effect = rng.normal(scale=self.patient_sd, size=self.n_patients)[patients] if self.patient_sd else 0.0
        score = SEPARATION * y + effect + rng.normal(scale=self.noise_sd, size=len(y))
        return y, expit(score - THRESHOLD), patients


SCENARIOS = (
    Scenario("independent samples, n = 200", 200, 1, 0.0, 1.0),
    Scenario("4 samples per patient, 60 patients (n = 240)", 60, 4, 0.8, 0.6),
    Scenario("4 samples per patient, 200 patients (n = 800)", 200, 4, 0.8, 0.6),
)


def run(simulations: int, replicates: int, seed: int) -> list[dict]:
    rows = []
    for scenario in SCENARIOS:
        clustered = scenario.samples_per_patient > 1
        truths = {"auroc": scenario.true_auroc(), "accuracy": scenario.true_accuracy()}
        metric_functions = {"auroc": (auroc, auroc_weighted), "accuracy": (accuracy, accuracy_weighted)}
        methods = ["bootstrap percentile", "bootstrap BCa"]
        if clustered:
            methods.append("bootstrap percentile, patients ignored")
        hits = {(m, k): [] for k in truths for m in [*methods, "DeLong"]}
        widths = {key: [] for key in hits}
        for simulation in range(simulations):
            rng = np.random.default_rng([seed, simulation, scenario.n_patients])
            y, p, patients = scenario.simulate(rng)
            clusters = patients if clustered else None
            resampler = Resampler(y, clusters=clusters, seed=simulation)
            naive = Resampler(y, seed=simulation) if clustered else None
            for metric, (value_function, weighted_function) in metric_functions.items():
                value = value_function(y, p)
                reps = metric_replicates(metric, y, p, resampler, replicates)
                intervals = {
                    "bootstrap percentile": percentile_interval(reps, CONFIDENCE),
                    "bootstrap BCa": bca_interval(
                        reps, value,
                        jackknife_values(lambda w, f=weighted_function: f(y, p, w), len(y), clusters=clusters),
                        CONFIDENCE,
                    ),
                }
                if clustered:
                    intervals["bootstrap percentile, patients ignored"] = percentile_interval(
                        metric_replicates(metric, y, p, naive, replicates), CONFIDENCE
                    )
                if metric == "auroc":
                    intervals["DeLong"] = delong_interval(y, p, CONFIDENCE)[1:]
                for method, (low, high) in intervals.items():
                    hits[(method, metric)].append(low <= truths[metric] <= high)
                    widths[(method, metric)].append(high - low)
        for (method, metric), values in hits.items():
            if not values:
                continue
            coverage = float(np.mean(values))
            rows.append(
                {
                    "scenario": scenario.name,
                    "metric": metric,
                    "true value": truths[metric],
                    "method": method + (" (samples independent)" if method == "DeLong" and clustered else ""),
                    "coverage": coverage,
                    "mc_se": float(np.sqrt(coverage * (1 - coverage) / len(values))),
                    "mean width": float(np.mean(widths[(method, metric)])),
                }
            )
    return rows


def to_markdown(rows: list[dict]) -> str:
    lines = [
        "| scenario | metric | true value | method | coverage | MC s.e. | mean width |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['scenario']} | {row['metric']} | {row['true value']:.4f} | {row['method']} | "
            f"{100 * row['coverage']:.1f}% | {100 * row['mc_se']:.1f} | {row['mean width']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=1000, help="simulated datasets per scenario")
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates per dataset")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = run(args.simulations, args.replicates, args.seed)
    print(to_markdown(rows))
    print(
        f"\n{args.simulations} datasets per scenario, {args.replicates} stratified bootstrap replicates each, "
        f"95% intervals; {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
