"""Shared machinery of the text, DNA and protein generators (lists of strings).

String generators run on the CPU, one sample at a time, with a NumPy generator
keyed by the sample (:func:`~robustmed.generators.random.numpy_generator`), so the
output depends only on (root seed, generator, sample id). Every draw is made
whatever the severity (for example one uniform per position, compared with the
rate), so the edits at a lower level are a subset of those at a higher level.
"""

from __future__ import annotations

import numpy as np

from robustmed.generators.base import Generator, per_sample
from robustmed.generators.random import numpy_generator


def check_strings(x, owner: str) -> list[str]:
    if not isinstance(x, list) or not all(isinstance(item, str) for item in x):
        raise TypeError(f"Generator {owner!r} needs a list of strings; got {type(x).__name__}.")
    return x


class StringGenerator(Generator):
    """Base class: ``corrupt(text, severity, rng)`` applied to each sample."""

    def sample_params(self, severity, keys, spec, x):
        check_strings(x, self.name)
        return {self.ladder.parameter: per_sample(severity, keys)}

    def corrupt(self, text: str, severity: float, rng: np.random.Generator) -> str:
        raise NotImplementedError

    def apply(self, x, present, params, keys, spec):
        check_strings(x, self.name)
        severities = params[self.ladder.parameter].tolist()
        out = [
            self.corrupt(text, severity, numpy_generator(int(key)))
            for text, severity, key in zip(x, severities, keys.tolist(), strict=True)
        ]
        return out, present


def substitute(sequence: str, rate: float, alphabet: str, rng: np.random.Generator, weights=None) -> str:
    """Replace each symbol with probability ``rate`` by another symbol of ``alphabet``.

    ``weights`` maps a symbol to the probabilities of its replacements (ordered as
    ``alphabet``); without it the replacement is uniform over the other symbols.
    Symbols outside ``alphabet`` are never replaced.
    """
    n = len(sequence)
    hit = rng.random(n) < rate
    pick = rng.random(n)
    out = list(sequence)
    for i in np.flatnonzero(hit):
        symbol = sequence[i]
        if symbol not in alphabet:
            continue
        if weights is not None and symbol in weights:
            probabilities = weights[symbol]
        else:
            probabilities = np.array([0.0 if a == symbol else 1.0 for a in alphabet])
            probabilities /= probabilities.sum()
        index = min(int(np.searchsorted(np.cumsum(probabilities), pick[i], side="right")), len(alphabet) - 1)
        out[i] = alphabet[index]
    return "".join(out)


def insert_delete(sequence: str, rate: float, alphabet: str, rng: np.random.Generator, rates=None) -> str:
    """Insert a random symbol after, or delete, each position with probability ``rate`` (half each).

    ``rates``, if given, is a per-position array of probabilities used instead of ``rate``.
    """
    n = len(sequence)
    u = rng.random(n)
    insertion = rng.random(n) < 0.5
    inserted = rng.integers(len(alphabet), size=n)
    threshold = rate if rates is None else rates
    hit = u < threshold
    out = []
    for i, symbol in enumerate(sequence):
        if not hit[i]:
            out.append(symbol)
        elif insertion[i]:
            out.append(symbol + alphabet[inserted[i]])
    return "".join(out)


def mask_runs(sequence: str, fraction: float, mask: str, rng: np.random.Generator, run_length=(5, 30)) -> str:
    """Mask runs of ``mask`` symbols: the sequence is cut into windows of a per-sample
    length, and each window is masked with probability ``fraction``."""
    length = int(rng.integers(run_length[0], run_length[1] + 1))
    offset = int(rng.integers(length))
    n_windows = (len(sequence) + offset) // length + 1
    masked = rng.random(n_windows) < fraction
    out = list(sequence)
    for i in range(len(sequence)):
        if masked[(i + offset) // length]:
            out[i] = mask
    return "".join(out)


def truncation_length(n: int, fraction: float, rng: np.random.Generator) -> int:
    """Length kept after removing ``fraction`` (±50% per sample) of ``n`` symbols from the end."""
    removed = min(1.0, fraction * (0.5 + rng.random()))
    return n - int(round(removed * n))


def missing_span(n: int, fraction: float, rng: np.random.Generator) -> tuple[int, int]:
    """Start and stop of one contiguous span covering ``fraction`` of ``n`` items."""
    width = int(round(min(max(fraction, 0.0), 1.0) * n))
    # One draw places the span, so spans of different widths overlap across levels.
    start = int(rng.random() * (n - width))
    return start, start + width
