"""Bootstrap intervals (stratified, clustered), DeLong's method and multiple-testing control."""

from robustmed.stats.bootstrap import (
    BootstrapConfig,
    Resampler,
    bca_interval,
    bootstrap_replicates,
    jackknife_groups,
    jackknife_values,
    percentile_interval,
    resampling_weights,
)
from robustmed.stats.delong import delong_covariance, delong_interval, delong_test
from robustmed.stats.replicates import PairedDifference, auroc_jackknife, metric_replicates, paired_difference
from robustmed.stats.testing import adjust_p_values, summarize_seeds

__all__ = [
    "BootstrapConfig",
    "PairedDifference",
    "Resampler",
    "adjust_p_values",
    "auroc_jackknife",
    "bca_interval",
    "bootstrap_replicates",
    "delong_covariance",
    "delong_interval",
    "delong_test",
    "jackknife_groups",
    "jackknife_values",
    "metric_replicates",
    "paired_difference",
    "percentile_interval",
    "resampling_weights",
    "summarize_seeds",
]
