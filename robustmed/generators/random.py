"""Counter-based random numbers keyed per sample, on any device.

Each sample gets a 63-bit key derived from (root seed, generator name, sample id).
Random values are a hash of (key, stream, counter), so the draw of one sample
never depends on batch size, batch order, worker or rank count, or global RNG
state, and the same key gives the same values on CPU and CUDA.

Why a hash and not ``torch.Generator``: a torch generator is one sequential
stream per device, so per-sample independence would need one generator and one
kernel launch per sample. The hash below is a handful of integer operations per
element, computed for a whole batch in one pass on the data's device.

The severity level is deliberately not part of the key: all levels of a
generator share the same underlying noise for a sample (common random numbers),
so a higher level is the same corruption made stronger, degradation curves are
smoother, and paired comparisons between levels have less variance.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
import torch

_MASK32 = 0xFFFFFFFF
# Odd multipliers below 2**31 keep every product of a 32-bit value below 2**63,
# so int64 arithmetic never overflows on any backend.
_MUL_A = 0x7FEB352D
_MUL_B = 0x5BD1E995
_GOLDEN = 0x9E3779B9


def sample_keys(root_seed: int, name: str, sample_ids: Sequence[str]) -> torch.Tensor:
    """Return one int64 key per sample id for generator ``name`` under ``root_seed``."""
    keys = []
    prefix = f"{int(root_seed)}\x1f{name}\x1f".encode()
    for sample_id in sample_ids:
        digest = hashlib.blake2b(prefix + str(sample_id).encode(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little") & 0x7FFFFFFFFFFFFFFF)
    return torch.tensor(keys, dtype=torch.int64)


def _hash32(x: torch.Tensor) -> torch.Tensor:
    """Avalanche a tensor of non-negative 32-bit integers held in int64."""
    x = x ^ (x >> 16)
    x = (x * _MUL_A) & _MASK32
    x = x ^ (x >> 15)
    x = (x * _MUL_B) & _MASK32
    return x ^ (x >> 16)


def random_bits(keys: torch.Tensor, n: int, stream: int, device: torch.device | str) -> torch.Tensor:
    """Return 32 random bits (as int64) for counters 0..n-1 of each key: shape (B, n)."""
    keys = keys.to(device=device, dtype=torch.int64)
    low = (keys & _MASK32).unsqueeze(1)
    high = ((keys >> 32) & _MASK32).unsqueeze(1)
    stream_word = _hash32(torch.tensor((stream * _GOLDEN) & _MASK32, device=device, dtype=torch.int64))
    counters = torch.arange(n, device=device, dtype=torch.int64).unsqueeze(0)
    h = _hash32(counters ^ _hash32(low ^ stream_word))
    h = _hash32(h ^ high)
    return _hash32(h ^ low)


def uniform(
    keys: torch.Tensor,
    shape: Sequence[int],
    stream: int,
    device: torch.device | str,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Uniform values in the open interval (0, 1), shape ``(B, *shape)``."""
    n = math.prod(shape)
    bits = random_bits(keys, n, stream, device) >> 8  # 24 bits: exact in float32
    values = (bits.to(dtype) + 0.5) * (1.0 / (1 << 24))
    return values.reshape(len(keys), *shape)


def normal(
    keys: torch.Tensor,
    shape: Sequence[int],
    stream: int,
    device: torch.device | str,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Standard normal values of shape ``(B, *shape)`` by the Box-Muller transform."""
    u1 = uniform(keys, shape, 2 * stream, device, torch.float32)
    u2 = uniform(keys, shape, 2 * stream + 1, device, torch.float32)
    values = torch.sqrt(-2.0 * torch.log(u1)) * torch.cos((2.0 * math.pi) * u2)
    return values.to(dtype)


def numpy_generator(key: int, stream: int = 0) -> np.random.Generator:
    """A NumPy generator for CPU-side generators (text, codecs) keyed like the tensors."""
    return np.random.Generator(np.random.Philox(key=[int(key), int(stream)]))
