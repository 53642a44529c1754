"""Evaluators: degradation, modality ablation, transfer, fairness and shift."""
