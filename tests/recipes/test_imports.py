import subprocess
import sys


def test_evaluator_module_imports_first():
    # A fresh interpreter, so no earlier import has already initialised robustmed.recipes.
    code = "import robustmed.evaluators.degradation\nimport robustmed.recipes\nrobustmed.recipes.load_recipe('quickstart')\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
