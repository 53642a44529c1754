"""A small late-fusion network: one encoder per modality, a learned missing token, a fusion head."""

from __future__ import annotations

import math

import torch
from torch import nn


class LateFusionNet(nn.Module):
    """Late-fusion classifier over feature-vector modalities.

    Each modality is standardised with training statistics (NaN values become the
    training mean), encoded by a two-layer MLP, and replaced by a learned token
    when the sample's ``present`` flag is False. The concatenated embeddings feed
    one output head per task.

    Parameters
    ----------
    input_dims : dict of str to int
        Number of features per modality, in a fixed order.
    task_outputs : dict of str to int
        Number of output logits per task (1 for a binary task).
    hidden : int, default=32
    embedding_dim : int, default=16
    """

    def __init__(
        self,
        input_dims: dict[str, int],
        task_outputs: dict[str, int],
        hidden: int = 32,
        embedding_dim: int = 16,
    ) -> None:
        super().__init__()
        self.modalities = list(input_dims)
        self.config = {
            "input_dims": dict(input_dims),
            "task_outputs": dict(task_outputs),
            "hidden": hidden,
            "embedding_dim": embedding_dim,
        }
        self.encoders = nn.ModuleDict(
            {
                name: nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, embedding_dim))
                for name, dim in input_dims.items()
            }
        )
        self.missing_tokens = nn.ParameterDict(
            {name: nn.Parameter(torch.zeros(embedding_dim)) for name in input_dims}
        )
        fused = embedding_dim * len(input_dims)
        self.trunk = nn.Sequential(nn.Linear(fused, hidden), nn.GELU())
        self.heads = nn.ModuleDict({task: nn.Linear(hidden, n) for task, n in task_outputs.items()})
        for name, dim in input_dims.items():
            self.register_buffer(f"mean_{name}", torch.zeros(dim))
            self.register_buffer(f"std_{name}", torch.ones(dim))

    def initialise(self, generator: torch.Generator) -> None:
        """Draw all weights from ``generator`` (PyTorch's default Linear scheme, no global RNG)."""
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    bound = 1.0 / math.sqrt(module.in_features)
                    module.weight.uniform_(-bound, bound, generator=generator)
                    module.bias.uniform_(-bound, bound, generator=generator)
            for token in self.missing_tokens.values():
                token.normal_(0.0, 0.1, generator=generator)

    def set_normalisation(self, name: str, mean: torch.Tensor, std: torch.Tensor) -> None:
        getattr(self, f"mean_{name}").copy_(mean)
        getattr(self, f"std_{name}").copy_(std)

    def encode(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """Embed one modality (missing values are imputed with the training mean)."""
        z = (x - getattr(self, f"mean_{name}")) / getattr(self, f"std_{name}")
        z = torch.nan_to_num(z, nan=0.0)
        return self.encoders[name](z)

    def fuse(self, embeddings: dict[str, torch.Tensor], present: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Combine per-modality embeddings into per-task logits."""
        parts = []
        for name in self.modalities:
            mask = present[name].unsqueeze(1)
            parts.append(torch.where(mask, embeddings[name], self.missing_tokens[name].to(embeddings[name].dtype)))
        hidden = self.trunk(torch.cat(parts, dim=1))
        return {task: head(hidden) for task, head in self.heads.items()}

    def embed(self, embeddings: dict[str, torch.Tensor], present: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = [
            torch.where(present[n].unsqueeze(1), embeddings[n], self.missing_tokens[n]) for n in self.modalities
        ]
        return self.trunk(torch.cat(parts, dim=1))

    def forward(self, inputs: dict[str, torch.Tensor], present: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        embeddings = {name: self.encode(name, inputs[name]) for name in self.modalities}
        return self.fuse(embeddings, present)
