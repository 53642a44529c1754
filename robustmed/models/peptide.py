"""The peptide reference model: a multitask sequence CNN with a descriptor branch.

It is trained on the two antimicrobial tasks only (``amp_vs_tm`` and
``amp_vs_uniprot``), so the two anticancer tasks are genuine transfer targets.
The model never saw an anticancer label, and every sequence of the anticancer
datasets is removed from its training data. Retrain and rewrite the shipped
weights with::

    python -m robustmed.models.registry peptide_cnn
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from robustmed.data.batch import Batch
from robustmed.data.datasets.base import TaskSpec
from robustmed.models.adapter import ModelAdapter, to_probabilities
from robustmed.models.registry import ReferenceModel

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
PADDING = 0
UNKNOWN = len(AMINO_ACIDS) + 1
_TOKEN = {letter: index + 1 for index, letter in enumerate(AMINO_ACIDS)}


def tokenize(sequences: list[str], device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Encode sequences as padded token ids and a mask of real residues.

    Letters outside the 20 standard amino acids (X, B, Z, U, O, gaps) map to one
    unknown token. An empty sequence becomes one unknown token, so pooling
    always has a position to read.
    """
    width = max([1, *(len(s) for s in sequences)])
    tokens = torch.full((len(sequences), width), PADDING, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids = [_TOKEN.get(letter, UNKNOWN) for letter in sequence.upper()] or [UNKNOWN]
        tokens[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return tokens.to(device), (tokens != PADDING).to(device)


class PeptideNet(nn.Module):
    """Late fusion of a 1D CNN over residues and an MLP over physico-chemical descriptors.

    The sequence branch embeds residues, applies two convolutions (window 5)
    and concatenates masked max and mean pooling. The descriptor branch
    standardises with training statistics. A missing modality is replaced by a
    learned token. The fused trunk output is the embedding used for transfer.

    Parameters
    ----------
    descriptor_dim : int
        Number of descriptor features.
    tasks : dict of str to list of str
        Class names per binary task, in label order.
    channels : int, default=48
    embedding_dim : int, default=32
    """

    def __init__(self, descriptor_dim: int, tasks: dict[str, list[str]], channels: int = 48, embedding_dim: int = 32) -> None:
        super().__init__()
        self.config = {
            "descriptor_dim": descriptor_dim,
            "tasks": {task: list(classes) for task, classes in tasks.items()},
            "channels": channels,
            "embedding_dim": embedding_dim,
        }
        self.residues = nn.Embedding(UNKNOWN + 1, 16, padding_idx=PADDING)
        self.convolutions = nn.ModuleList(
            [nn.Conv1d(16, channels, 5, padding=2), nn.Conv1d(channels, channels, 5, padding=2)]
        )
        self.sequence_head = nn.Linear(2 * channels, embedding_dim)
        self.descriptor_encoder = nn.Sequential(
            nn.Linear(descriptor_dim, embedding_dim), nn.GELU(), nn.Linear(embedding_dim, embedding_dim // 2)
        )
        self.missing_sequence = nn.Parameter(torch.zeros(embedding_dim))
        self.missing_descriptors = nn.Parameter(torch.zeros(embedding_dim // 2))
        self.trunk = nn.Sequential(nn.Linear(embedding_dim + embedding_dim // 2, embedding_dim), nn.GELU())
        self.heads = nn.ModuleDict({task: nn.Linear(embedding_dim, 1) for task in tasks})
        self.register_buffer("descriptor_mean", torch.zeros(descriptor_dim))
        self.register_buffer("descriptor_std", torch.ones(descriptor_dim))

    def initialise(self, generator: torch.Generator) -> None:
        """Draw every weight from ``generator`` (PyTorch's default schemes, no global RNG)."""
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear | nn.Conv1d):
                    fan_in = module.weight[0].numel()
                    bound = 1.0 / math.sqrt(fan_in)
                    module.weight.uniform_(-bound, bound, generator=generator)
                    module.bias.uniform_(-bound, bound, generator=generator)
            self.residues.weight.normal_(0.0, 1.0, generator=generator)
            self.residues.weight[PADDING].zero_()
            self.missing_sequence.normal_(0.0, 0.1, generator=generator)
            self.missing_descriptors.normal_(0.0, 0.1, generator=generator)

    def encode_sequence(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.residues(tokens).transpose(1, 2)
        for convolution in self.convolutions:
            hidden = torch.relu(convolution(hidden)) * mask.unsqueeze(1)
        maximum = hidden.masked_fill(~mask.unsqueeze(1), float("-inf")).amax(dim=2)
        mean = hidden.sum(dim=2) / mask.sum(dim=1, keepdim=True).clamp_min(1)
        return self.sequence_head(torch.cat([maximum, mean], dim=1))

    def encode_descriptors(self, values: torch.Tensor) -> torch.Tensor:
        z = torch.nan_to_num((values - self.descriptor_mean) / self.descriptor_std, nan=0.0)
        return self.descriptor_encoder(z)

    def embed(self, tokens, mask, descriptors, present: dict[str, torch.Tensor]) -> torch.Tensor:
        """Fused embedding, shape (B, embedding_dim)."""
        sequence = torch.where(present["sequence"].unsqueeze(1), self.encode_sequence(tokens, mask), self.missing_sequence)
        described = torch.where(
            present["descriptors"].unsqueeze(1), self.encode_descriptors(descriptors), self.missing_descriptors
        )
        return self.trunk(torch.cat([sequence, described], dim=1))

    def forward(self, tokens, mask, descriptors, present: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        embedding = self.embed(tokens, mask, descriptors, present)
        return {task: head(embedding) for task, head in self.heads.items()}


class PeptideAdapter(ModelAdapter):
    """Adapter for :class:`PeptideNet`: ``predict`` per-task probabilities and ``embed`` for transfer."""

    modalities = ("sequence", "descriptors")
    missing_policies = ("learned_token",)

    def __init__(self, model: PeptideNet) -> None:
        self.model = model.eval()
        self.tasks = {
            task: TaskSpec(task, "binary", tuple(classes)) for task, classes in model.config["tasks"].items()
        }
        self.device = torch.device("cpu")

    def to(self, device: torch.device | str) -> PeptideAdapter:
        self.model.to(device)
        self.device = torch.device(device)
        return self

    def _inputs(self, batch: Batch):
        tokens, mask = tokenize(list(batch.modalities["sequence"]), self.device)
        descriptors = batch.modalities["descriptors"].to(self.device)
        present = {name: batch.present[name].to(self.device) for name in self.modalities}
        return tokens, mask, descriptors, present

    @torch.inference_mode()
    def predict(self, batch: Batch) -> dict[str, torch.Tensor]:
        logits = self.model(*self._inputs(batch))
        return {task: to_probabilities(logits[task], spec).float() for task, spec in self.tasks.items()}

    @torch.inference_mode()
    def embed(self, batch: Batch) -> torch.Tensor:
        return self.model.embed(*self._inputs(batch)).float()


@dataclass(frozen=True)
class PeptideTrainingConfig:
    datasets: tuple[str, ...] = ("peptides_amp_tm", "peptides_amp_uniprot")
    held_out: tuple[str, ...] = ("peptides_acp_tm", "peptides_acp_random")
    seed: int = 20261204
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-2
    modality_dropout: float = 0.2


def _training_batches(config: PeptideTrainingConfig):
    """Train splits of the source datasets, without any sequence of a held-out dataset."""
    from robustmed.data.datasets import load_dataset

    held_out = {sid for name in config.held_out for sid in load_dataset(name).batch.sample_ids}
    batches, tasks = {}, {}
    for name in config.datasets:
        dataset = load_dataset(name)
        train = dataset.split("train")
        keep = [i for i, sid in enumerate(train.sample_ids) if sid not in held_out]
        (task,) = dataset.tasks
        batches[task] = train.select(keep)
        tasks[task] = list(dataset.tasks[task].classes)
    return batches, tasks


def train_peptide_model(config: PeptideTrainingConfig) -> PeptideNet:
    """Train :class:`PeptideNet` on the source tasks, on CPU, with one seeded ``torch.Generator``.

    Each step takes one minibatch of every task (cycling the smaller task) and
    sums their binary cross-entropies. Initialisation, shuffling and modality
    dropout all draw from the same generator; no global RNG is used.
    """
    batches, tasks = _training_batches(config)
    descriptors = torch.cat([b.modalities["descriptors"] for b in batches.values()])
    model = PeptideNet(descriptors.shape[1], tasks)
    generator = torch.Generator().manual_seed(config.seed)
    model.initialise(generator)
    model.descriptor_mean.copy_(descriptors.mean(0))
    model.descriptor_std.copy_(descriptors.std(0).clamp_min(1e-6))

    steps = max(math.ceil(len(b) / config.batch_size) for b in batches.values())
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(config.epochs):
        orders = {task: torch.randperm(len(b), generator=generator) for task, b in batches.items()}
        for step in range(steps):
            optimiser.zero_grad()
            loss = torch.zeros(())
            for task, batch in batches.items():
                order = orders[task]
                start = (step * config.batch_size) % len(order)
                index = order[start : start + config.batch_size]
                part = batch.select(index)
                tokens, mask = tokenize(list(part.modalities["sequence"]))
                present = {
                    name: torch.rand(len(part), generator=generator) >= config.modality_dropout
                    for name in PeptideAdapter.modalities
                }
                logits = model(tokens, mask, part.modalities["descriptors"], present)[task]
                loss = loss + loss_fn(logits[:, 0], part.targets[task].float())
            loss.backward()
            optimiser.step()
    return model.eval()


def checkpoint(model: PeptideNet, config: PeptideTrainingConfig) -> dict:
    return {"config": model.config, "training": asdict(config), "state_dict": model.state_dict()}


def model_from_checkpoint(stored: dict) -> PeptideNet:
    config = stored["config"]
    model = PeptideNet(config["descriptor_dim"], config["tasks"], config["channels"], config["embedding_dim"])
    model.load_state_dict(stored["state_dict"])
    return model.eval()


PEPTIDE_CONFIG = PeptideTrainingConfig()

REFERENCE_MODELS = (
    ReferenceModel(
        name="peptide_cnn",
        dataset="peptides_amp_tm",
        description=(
            "multitask CNN over peptide sequences with a descriptor branch, trained on the two "
            "antimicrobial tasks only; the anticancer tasks are held out for transfer"
        ),
        build=lambda stored: PeptideAdapter(model_from_checkpoint(stored)),
        train=lambda: checkpoint(train_peptide_model(PEPTIDE_CONFIG), PEPTIDE_CONFIG),
    ),
)
