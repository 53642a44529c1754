"""Figure functions of every analysis kind write files from small synthetic tidy tables."""

import itertools

import numpy as np
import pandas as pd
import pytest

from robustmed.render.figures import ablation, fairness, transfer

# SVG alone keeps the suite fast; save_figure's own tests cover PNG and PDF.
FORMATS = ["svg"]


def _grid(**columns) -> pd.DataFrame:
    """Cartesian product of the given column values, with value and interval columns."""
    names = list(columns)
    frame = pd.DataFrame(list(itertools.product(*columns.values())), columns=names)
    rng = np.random.default_rng(0)
    frame["value"] = rng.uniform(0.55, 0.95, len(frame))
    frame["ci_low"] = frame["value"] - 0.05
    frame["ci_high"] = frame["value"] + 0.05
    frame["n"] = 40
    return frame


def _groups():
    frame = _grid(
        metric=["auroc"], attribute=["sex"], subgroup=["female", "male"],
        generator=["gaussian_noise"], modality=["proteins", "csf"], level=[0.0, 2.0, 5.0],
    )
    overall = frame[frame["subgroup"] == "female"].assign(attribute="all", subgroup="all")
    return pd.concat([overall, frame], ignore_index=True)


def _reliability():
    frame = _grid(binning=["equal_width"], level=[0.0], attribute=["all", "sex"], subgroup=["f", "m"], bin=range(5))
    frame["confidence"] = 0.5 + 0.1 * frame["bin"]
    frame["accuracy"] = frame["confidence"] - 0.05
    frame["count"] = 5 + frame["bin"]
    return frame


def _domains():
    frame = _grid(metric=["auroc"], pool=["in-domain", "out-of-domain"], domain_type=["site"], subgroup=["a", "b"])
    frame["subgroup"] = frame["pool"].str[:2] + "-" + frame["subgroup"]
    return frame


def _subsets():
    frame = _grid(metric=["auroc"], policy=["zero", "mean"], subset=["none", "csf", "proteins", "proteins+csf"])
    frame["size"] = frame["subset"].map({"none": 0, "csf": 1, "proteins": 1, "proteins+csf": 2})
    return frame


def _interactions():
    return _grid(metric=["auroc"], policy=["zero", "mean"], modality_a=["csf", "proteins"], modality_b=["csf", "proteins"])


def _fewshot():
    return _grid(metric=["macro_f1"], target=["acp_tm", "acp_random"], protocol=["linear_probe", "prototype"],
                 shots=["1", "4", "16", "all"])


def _zero_shot():
    return _grid(metric=["macro_f1"], method=["head"], source=["amp_vs_tm"], target=["acp_tm"])


def _transfer_severity():
    return _grid(metric=["macro_f1"], target=["acp_tm"], protocol=["linear_probe"], shots=["4", "all"],
                 generator=["gaussian_noise"], modality=["descriptors"], level=[0.0, 3.0, 5.0])


CASES = {
    "forest_plot": (fairness.forest_plot, lambda: (_groups().query("level == 0.0"), "auroc")),
    "group_curves": (fairness.group_curves, lambda: (_groups().query("attribute != 'all'"), "auroc", "sex")),
    "disparity_curves": (
        fairness.disparity_curves,
        lambda: (_grid(metric=["auroc"], measure=["difference"], generator=["gaussian_noise"], modality=["csf"],
                       attribute=["sex", "age_band"], level=[0.0, 2.0, 5.0]), "auroc", "difference"),
    ),
    "reliability_diagrams": (fairness.reliability_diagrams, lambda: (_reliability(), "equal_width")),
    "shift_strength_curves": (
        fairness.shift_strength_curves,
        lambda: (_grid(metric=["auroc"], shift=["prevalence", "covariate"], strength=[0.1, 0.5, 0.9])
                 .assign(strength_parameter="positive fraction"), "auroc"),
    ),
    "domain_forest": (fairness.domain_forest, lambda: (_domains(), "auroc")),
    "subset_heatmap": (ablation.subset_heatmap, lambda: (_subsets(), "auroc")),
    "shapley_bars": (
        ablation.shapley_bars,
        lambda: (_grid(metric=["auroc"], policy=["zero", "mean"], modality=["csf", "proteins", "genotype"]), "auroc"),
    ),
    "interaction_heatmaps": (ablation.interaction_heatmaps, lambda: (_interactions(), "auroc")),
    "missing_fraction_curves": (
        ablation.missing_fraction_curves,
        lambda: (_grid(metric=["auroc"], modality=["csf", "proteins"], mechanism=["random", "age_band"],
                       fraction=[0.0, 0.5, 1.0]), "auroc"),
    ),
    "learning_curves": (transfer.learning_curves, lambda: (_fewshot(), "macro_f1")),
    "transfer_matrix_heatmap": (
        transfer.matrix_heatmap,
        lambda: (_grid(metric=["macro_f1"], source=["a", "b", "c"], target=["a", "b", "c"]), "macro_f1"),
    ),
    "transfer_severity_heatmap": (transfer.severity_heatmap, lambda: (_transfer_severity(), "macro_f1")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_kind_figure_writes_file(tmp_path, name):
    function, arguments = CASES[name]
    stem = tmp_path / name
    paths = function(*arguments(), stem, FORMATS)
    assert [path.name for path in paths] == [f"{name}.{fmt}" for fmt in FORMATS]
    for path in paths:
        assert path.stat().st_size > 1000, path


def test_learning_curves_with_zero_shot_lines(tmp_path):
    paths = transfer.learning_curves(_fewshot(), "macro_f1", tmp_path / "curves", ["svg"], zero_shot=_zero_shot())
    assert "zero-shot head: amp_vs_tm" in paths[0].read_text()
