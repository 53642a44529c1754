import os

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ad_dataset():
    from robustmed.data import load_dataset

    return load_dataset("ad_data")


@pytest.fixture(scope="session")
def ad_adapter():
    from robustmed.models.registry import load_reference_adapter

    return load_reference_adapter("ad_late_fusion")
