"""The ablation section draws one game per task of a multitask model."""

import numpy as np
import pandas as pd

from robustmed.render.html import write_table
from robustmed.render.sections.ablation import ablation_section

MODALITIES = ["a", "b"]
SUBSETS = ["a", "b", "a+b"]


def _tables(tasks):
    rows = {name: [] for name in ["subsets", "shapley", "interactions", "summary", "novel", "missing"]}
    for task in tasks:
        for subset in SUBSETS:
            rows["subsets"].append(
                {"task": task, "policy": "native", "metric": "auroc", "subset": subset, "size": subset.count("+") + 1,
                 "subgroup": "all", "value": 0.7, "ci_low": 0.6, "ci_high": 0.8, "interval_method": "x", "n": 50, "n_patients": 50}
            )
        for modality in MODALITIES:
            rows["shapley"].append(
                {"task": task, "policy": "native", "metric": "auroc", "modality": modality, "value": 0.1,
                 "ci_low": 0.0, "ci_high": 0.2, "interval_method": "x", "reason": "", "estimator": "exact",
                 "mc_standard_error": np.nan, "n": 50}
            )
            for other in MODALITIES:
                rows["interactions"].append(
                    {"task": task, "policy": "native", "metric": "auroc", "modality_a": modality, "modality_b": other,
                     "effect": "main" if modality == other else "interaction", "value": 0.05, "ci_low": 0.0,
                     "ci_high": 0.1, "interval_method": "x", "reason": "", "n": 50}
                )
            for fraction in [0.0, 1.0]:
                rows["missing"].append(
                    {"task": task, "policy": "native", "modality": modality, "mechanism": "random", "fraction": fraction,
                     "seed": 0, "subgroup": "all", "metric": "auroc", "value": 0.7 - 0.2 * fraction, "ci_low": 0.5,
                     "ci_high": 0.8, "interval_method": "x", "n": 50, "n_patients": 50}
                )
        for measure in ["inter_shap", "shape_cross_modal"]:
            rows["summary"].append(
                {"task": task, "policy": "native", "metric": "auroc", "measure": measure, "value": 0.3, "ci_low": 0.2,
                 "ci_high": 0.4, "interval_method": "x", "reason": "", "n": 50, "n_patients": 50, "higher_is_better": True}
            )
        rows["novel"].append(
            {"task": task, "policy": "native", "metric": "auroc", "subset": "a", "size": 1, "reference": "full model",
             "reference_subset": "a+b", "value": 0.7, "reference_value": 0.7, "difference": 0.0, "ci_low": -0.1,
             "ci_high": 0.1, "interval_excludes_zero": False, "beats_reference": False}
        )
    return {f"ablation_{name}": pd.DataFrame(frame) for name, frame in rows.items()}


def test_multitask_tables_render_per_task(tmp_path):
    for name, frame in _tables(["first", "second"]).items():
        write_table(tmp_path, name, frame)
    write_table(tmp_path, "ablation_policies", pd.DataFrame({"policy": ["native"], "supported": [True], "reason": [""]}))
    part = ablation_section(tmp_path, ["png"])
    stems = {p.stem for p in (tmp_path / "figures").glob("*.png")}
    assert "ablation_shapley_auroc_first" in stems
    assert "ablation_shapley_auroc_second" in stems
    assert len(part.section.tables) == 4
    assert any("task second" in item for item in part.headline)
