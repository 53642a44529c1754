"""k-shot protocols on frozen embeddings: support sampling, linear probe, class prototypes.

Functional core of the transfer analysis. Every function takes its randomness
as an explicit seed and touches no global RNG state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from robustmed.metrics.multiclass import weighted_scores
from robustmed.stats.intervals import bca_jackknife, derived_interval, pooled_jackknife

ALL = "all"
PROTOCOLS = ("linear_probe", "prototype")


def stable_key(text: str) -> int:
    """Derive a 32-bit integer from ``text`` that is the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def check_shots(labels: np.ndarray, shots: int | str, class_names: Sequence[str], owner: str) -> None:
    """Raise ValueError naming the class when it has fewer than ``shots`` examples."""
    if shots == ALL:
        return
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
    for index, name in enumerate(class_names):
        if counts[index] < shots:
            raise ValueError(
                f"{owner}: k={shots} shots per class needs {shots} training examples of every class, "
                f"but class {name!r} has {counts[index]}; use k <= {counts.min()} or 'all'."
            )


def draw_support(
    labels: np.ndarray, shots: int | str, *, seed: int, repeat: int, class_names: Sequence[str], owner: str = "draw_support"
) -> np.ndarray:
    """Indices of a class-stratified k-shot support set, sorted.

    Each class gets its own random permutation, seeded by (``seed``, ``repeat``,
    class name), and the support set takes its first ``shots`` entries. A draw
    therefore depends only on those values: never on the other k values
    requested nor their order, and the k-shot set of a repeat is contained in
    its 2k-shot set. ``shots="all"`` returns every index.

    Raises
    ------
    ValueError
        If a class has fewer than ``shots`` examples (the message names the class and its count).
    """
    labels = np.asarray(labels, dtype=np.int64)
    if shots == ALL:
        return np.arange(len(labels))
    check_shots(labels, shots, class_names, owner)
    chosen = []
    for index, name in enumerate(class_names):
        members = np.flatnonzero(labels == index)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(repeat, stable_key(name))))
        chosen.append(members[rng.permutation(len(members))[:shots]])
    return np.sort(np.concatenate(chosen))


class PrototypeClassifier:
    """Nearest class mean in Euclidean distance.

    Class probabilities are the softmax of negative squared distances to the
    prototypes (the prototypical-network rule of Snell et al., 2017), so the
    arg-max is the nearest prototype. Classes absent from the support set get
    probability 0.
    """

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes

    def fit(self, x: np.ndarray, y: np.ndarray) -> PrototypeClassifier:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)
        self.classes_ = np.unique(y)
        self.prototypes_ = np.vstack([x[y == k].mean(axis=0) for k in self.classes_])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        distances = ((x[:, None, :] - self.prototypes_[None, :, :]) ** 2).sum(axis=2)
        proba = np.zeros((len(x), self.n_classes))
        proba[:, self.classes_] = softmax(-distances, axis=1)
        return proba


class LinearProbe:
    """L2-regularised logistic regression (scikit-learn, lbfgs) on frozen embeddings."""

    def __init__(self, n_classes: int, c: float = 1.0, max_iter: int = 2000) -> None:
        self.n_classes = n_classes
        self.model = LogisticRegression(C=c, max_iter=max_iter)

    def fit(self, x: np.ndarray, y: np.ndarray) -> LinearProbe:
        self.model.fit(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64))
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        proba = np.zeros((len(x), self.n_classes))
        proba[:, self.model.classes_] = self.model.predict_proba(np.asarray(x, dtype=np.float64))
        return proba


def fit_protocol(protocol: str, x: np.ndarray, y: np.ndarray, n_classes: int, probe_c: float = 1.0):
    """Fit ``protocol`` ("linear_probe" or "prototype") on a support set."""
    if protocol == "linear_probe":
        return LinearProbe(n_classes, c=probe_c).fit(x, y)
    if protocol == "prototype":
        return PrototypeClassifier(n_classes).fit(x, y)
    raise ValueError(f"fit_protocol: protocol must be one of {PROTOCOLS}; got {protocol!r}.")


@dataclass(frozen=True)
class RepeatedScore:
    """One metric of R repeated draws on one evaluation set.

    ``value`` is the mean over repeats, ``std`` their sample standard deviation
    (ddof = 1; NaN for one repeat), ``low``/``high`` the percentile or BCa
    interval and ``per_repeat`` the value of each repeat.
    """

    metric: str
    value: float
    std: float
    low: float
    high: float
    per_repeat: np.ndarray
    reason: str = ""


def repeat_choices(n_resamples: int, n_repeats: int, seed: int) -> np.ndarray:
    """(n_resamples, n_repeats) indices of repeats drawn with replacement, one row per bootstrap replicate."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stable_key("support-draws"), n_repeats)))
    return rng.integers(0, n_repeats, size=(n_resamples, n_repeats))


def score_repeats(
    y: np.ndarray,
    probabilities: Sequence[np.ndarray],
    weights: np.ndarray,
    metrics: Sequence[str],
    confidence: float,
    seed: int,
    *,
    method: str = "percentile",
    clusters: np.ndarray | None = None,
) -> list[RepeatedScore]:
    """Score R repeated predictions on one evaluation set, with a two-level bootstrap interval.

    Replicate b reweights the evaluation samples by row b of ``weights`` and,
    when there are several repeats, resamples the repeats with replacement, so
    the interval covers both test-set sampling and the choice of support set.
    With one repeat only the test samples are resampled.

    ``method`` is the interval method. For "bca" the statistic (the mean over
    repeats) is jackknifed over both resampled samples: once deleting one
    test patient of ``clusters`` at a time with every repeat kept, and once
    deleting one repeat at a time with every patient kept. The acceleration
    pools the two (:func:`robustmed.stats.intervals.pooled_jackknife`), and
    the bias correction uses the two-level replicates.
    """
    y = np.asarray(y, dtype=np.int64)
    n_repeats = len(probabilities)
    choices = repeat_choices(len(weights), n_repeats, seed) if n_repeats > 1 else None
    # Row 0 weighs every sample once, so it gives the point value. The weighted
    # forms equal scikit-learn's metrics (the tests check this) and share one pass.
    stacked = np.vstack([np.ones((1, len(y))), weights])
    computed = [weighted_scores(y, p, stacked, metrics) for p in probabilities]

    def mean_over_repeats(w: np.ndarray) -> np.ndarray:
        """Average every metric over the repeats for each of k weight vectors, giving shape (k, len(metrics))."""
        per_repeat = [weighted_scores(y, p, w, metrics) for p in probabilities]
        return np.column_stack([np.mean([values[m] for values in per_repeat], axis=0) for m in metrics])

    patient_jackknife = bca_jackknife(mean_over_repeats, len(y), method=method, clusters=clusters)
    scores = []
    for column, metric in enumerate(metrics):
        if metric == "macro_auroc" and len(np.unique(y)) < 2:
            nan = float("nan")
            scores.append(RepeatedScore(metric, nan, nan, nan, nan, np.full(n_repeats, nan), "only one class present"))
            continue
        matrix = np.column_stack([values[metric] for values in computed])
        per_repeat, replicate_matrix = matrix[0], matrix[1:]
        if choices is None:
            replicates = replicate_matrix[:, 0]
        else:
            replicates = np.take_along_axis(replicate_matrix, choices, axis=1).mean(axis=1)
        value = float(per_repeat.mean())
        jackknife = None
        if patient_jackknife is not None:
            # Deleting repeat r leaves the mean of the other R - 1 repeats.
            repeat_jackknife = (per_repeat.sum() - per_repeat) / (n_repeats - 1) if n_repeats > 1 else np.empty(0)
            jackknife = pooled_jackknife(patient_jackknife[:, column], repeat_jackknife)
        low, high = derived_interval(value, replicates, confidence, method=method, jackknife=jackknife)
        std = float(np.std(per_repeat, ddof=1)) if n_repeats > 1 else float("nan")
        reason = "" if n_repeats > 1 else "one draw, so no spread over repeats"
        scores.append(RepeatedScore(metric, value, std, low, high, per_repeat, reason))
    return scores
