"""Metric registry lookups."""

import pytest

from robustmed.metrics.registry import get_metric


def test_unknown_metric_is_value_and_key_error():
    for category in (KeyError, ValueError):
        with pytest.raises(category, match="^Unknown metric 'aucroc'; registered metrics: "):
            get_metric("aucroc")
