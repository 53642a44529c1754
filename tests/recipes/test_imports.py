import subprocess
import sys

import pytest

KINDS = ["degradation", "ablation", "fairness", "shift", "transfer"]


@pytest.mark.parametrize("kind", KINDS)
def test_evaluator_module_imports_first(kind):
    code = f"import importlib.util, sys\nif importlib.util.find_spec('robustmed.evaluators.{kind}'):\n    import robustmed.evaluators.{kind}\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
