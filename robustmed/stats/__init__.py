"""Bootstrap intervals (stratified, clustered) and related statistics."""

from robustmed.stats.bootstrap import BootstrapConfig, percentile_interval, resampling_weights

__all__ = ["BootstrapConfig", "percentile_interval", "resampling_weights"]
