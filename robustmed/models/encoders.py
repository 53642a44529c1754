"""Small per-modality encoders for the benchmark reference models, one per modality kind.

Each encoder maps one modality of a batch to a (B, embedding_dim) tensor, so a
late-fusion model can combine any mix of kinds and the engine can cache the
embeddings of modalities a cell does not change. Text and DNA arrive as lists of
strings and are turned into tensors inside the encoder.
"""

from __future__ import annotations

import math
import zlib

import torch
from torch import nn

NUCLEOTIDES = "ACGT"


class FeatureEncoder(nn.Module):
    """Tabular or omics features: standardise with training statistics, then a two-layer MLP.

    NaN (a missing value) becomes the training mean, that is 0 after standardising.
    """

    def __init__(self, n_features: int, hidden: int, embedding_dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.mlp = nn.Sequential(nn.Linear(n_features, hidden), nn.GELU(), nn.Linear(hidden, embedding_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.nan_to_num((x - self.mean) / self.std, nan=0.0)
        return self.mlp(z)


class ImageEncoder(nn.Module):
    """2D images (B, C, H, W): two convolution blocks and global average pooling."""

    def __init__(self, channels: int, embedding_dim: int, width: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width // 2, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),
            nn.Conv2d(width // 2, width, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, embedding_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float())


class VolumeEncoder(nn.Module):
    """3D volumes (B, C, D, H, W): two 3D convolution blocks and global average pooling."""

    def __init__(self, channels: int, embedding_dim: int, width: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(channels, width // 2, 3, padding=1), nn.GELU(), nn.MaxPool3d(2),
            nn.Conv3d(width // 2, width, 3, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(width, embedding_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float())


class BeatSpectrumEncoder(nn.Module):
    """ECG (B, C, T): beat-rate features of the QRS energy envelope, then an MLP.

    The squared first difference of the ECG peaks at every QRS complex (the
    energy step of Pan-Tompkins detectors). Its envelope, smoothed over 0.1 s and
    zero-padded to four times its length, has a magnitude spectrum between
    ``low_hz`` and ``high_hz`` that peaks at the beat rate. The features are the
    spectrum's soft-argmax frequency (in beats per minute, centred on 100) and
    the spectrum pooled into ``n_bands`` bands, normalised to sum 1 per sample so
    that they do not depend on the signal's amplitude. The front end has no
    weights; only the MLP is trained.
    """

    def __init__(self, sampling_rate: float, n_samples: int, hidden: int, embedding_dim: int,
                 low_hz: float = 0.6, high_hz: float = 3.5, n_bands: int = 12, sharpness: float = 2000.0) -> None:
        super().__init__()
        self.smoothing = max(1, round(0.1 * sampling_rate))
        self.n_fft = 4 * n_samples
        self.n_bands = n_bands
        self.sharpness = sharpness
        frequencies = torch.fft.rfftfreq(self.n_fft, d=1.0 / sampling_rate)
        band = (frequencies >= low_hz) & (frequencies <= high_hz)
        self.register_buffer("band", band)
        self.register_buffer("band_frequencies", frequencies[band].float())
        self.mlp = nn.Sequential(nn.Linear(n_bands + 1, hidden), nn.GELU(), nn.Linear(hidden, embedding_dim))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.nan_to_num(x.float(), nan=0.0)
        energy = torch.diff(x, dim=-1).pow(2).mean(dim=1, keepdim=True)
        envelope = nn.functional.avg_pool1d(energy, self.smoothing, stride=1, padding=self.smoothing // 2).squeeze(1)
        envelope = envelope - envelope.mean(dim=-1, keepdim=True)
        spectrum = torch.fft.rfft(envelope, n=self.n_fft).abs()[:, self.band]
        spectrum = spectrum / spectrum.sum(dim=-1, keepdim=True).clamp_min(1e-12)
        weights = torch.softmax(self.sharpness * spectrum, dim=-1)
        peak_bpm = 60.0 * (weights * self.band_frequencies).sum(dim=-1, keepdim=True)
        bands = nn.functional.adaptive_avg_pool1d(spectrum.unsqueeze(1), self.n_bands).squeeze(1) * self.n_bands
        return torch.cat([(peak_bpm - 100.0) / 20.0, bands], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.features(x))


class HashedTextEncoder(nn.Module):
    """Text (list of str): hashed word unigram and bigram counts, log-scaled, then a linear map.

    Tokens are lower-case runs of letters and digits; each unigram and bigram is
    hashed with CRC-32 (stable across processes, unlike ``hash``) into
    ``n_buckets`` counts. The embedding is the linear map of log(1 + count).
    """

    def __init__(self, n_buckets: int, embedding_dim: int) -> None:
        super().__init__()
        self.n_buckets = n_buckets
        self.linear = nn.Linear(n_buckets, embedding_dim)

    def featurise(self, texts: list[str]) -> torch.Tensor:
        import re

        counts = torch.zeros(len(texts), self.n_buckets)
        for row, text in enumerate(texts):
            tokens = re.findall(r"[a-z0-9]+", text.lower())
            grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            for gram in grams:
                counts[row, zlib.crc32(gram.encode()) % self.n_buckets] += 1.0
        return torch.log1p(counts)

    def forward(self, texts: list[str]) -> torch.Tensor:
        features = self.featurise(list(texts)).to(self.linear.weight.device)
        return self.linear(features)


class CodonConvEncoder(nn.Module):
    """DNA (list of str): one-hot bases, a codon-stride convolution and masked mean pooling.

    The first convolution has kernel 3 and stride 3, so it reads codons in the
    frame the window starts in; that is what lets it tell in-frame windows from
    shifted ones. Bases other than A, C, G, T are all-zero columns. Sequences of
    different lengths (after insertions or deletions) are padded and masked.
    """

    def __init__(self, embedding_dim: int, width: int = 32) -> None:
        super().__init__()
        self.codons = nn.Conv1d(4, width, 3, stride=3)
        self.mix = nn.Conv1d(width, width, 1)
        self.linear = nn.Linear(width, embedding_dim)
        table = torch.full((256,), -1, dtype=torch.long)
        for index, base in enumerate(NUCLEOTIDES):
            table[ord(base)] = index
            table[ord(base.lower())] = index
        self.register_buffer("lookup", table, persistent=False)

    def one_hot(self, sequences: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        length = max(3, max((len(s) for s in sequences), default=3))
        codes = torch.full((len(sequences), length), -1, dtype=torch.long)
        for row, sequence in enumerate(sequences):
            raw = torch.frombuffer(bytearray(sequence.encode("ascii", "replace")), dtype=torch.uint8).long()
            codes[row, : len(raw)] = self.lookup.cpu()[raw]
        valid = codes >= 0
        one_hot = torch.zeros(len(sequences), 4, length)
        one_hot.scatter_(1, codes.clamp_min(0).unsqueeze(1), valid.unsqueeze(1).float())
        return one_hot, valid

    def forward(self, sequences: list[str]) -> torch.Tensor:
        return self.forward_one_hot(*self.one_hot(list(sequences)))

    def forward_one_hot(self, one_hot: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Embed sequences already one-hot encoded by :meth:`one_hot`."""
        device = self.linear.weight.device
        hidden = nn.functional.gelu(self.mix(nn.functional.gelu(self.codons(one_hot.to(device)))))
        positions = hidden.shape[-1]
        codon_valid = valid[:, : positions * 3].reshape(len(valid), positions, 3).all(dim=2).to(device)
        weights = codon_valid.float() / codon_valid.float().sum(dim=1, keepdim=True).clamp_min(1.0)
        return self.linear((hidden * weights.unsqueeze(1)).sum(dim=-1))


def initialise_module(module: nn.Module, generator: torch.Generator) -> None:
    """Draw every linear and convolution weight from ``generator`` (uniform ±1/sqrt(fan-in)).

    This is PyTorch's default bound for biases and close to its default for
    weights, drawn from an explicit generator so no global RNG state is used.
    """
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d):
                fan_in = layer.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                layer.weight.uniform_(-bound, bound, generator=generator)
                if layer.bias is not None:
                    layer.bias.uniform_(-bound, bound, generator=generator)
