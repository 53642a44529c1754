"""Model adapters, safe checkpoint loading and bundled reference models."""

from robustmed.models.adapter import CallableAdapter, LateFusionAdapter, ModelAdapter
from robustmed.models.checkpoint import load_checkpoint, sha256_file

__all__ = ["CallableAdapter", "LateFusionAdapter", "ModelAdapter", "load_checkpoint", "sha256_file"]
