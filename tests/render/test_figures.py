"""Figure functions on small synthetic tidy tables."""

import numpy as np
import pandas as pd
import pytest

from robustmed.render.figures.degradation import degradation_curves, select_curves, severity_heatmap

FORMATS = ["png", "pdf", "svg"]


def _metrics(subgroups=("all",), seeds=(0,)):
    rows = []
    for generator in ("gaussian_noise", "mcar_missing"):
        for modality in ("proteins", "csf"):
            for subgroup in subgroups:
                for seed in seeds:
                    for level in (0.0, 1.0, 2.5, 5.0):
                        for metric, higher, clean in (("auroc", True, 0.85), ("brier", False, 0.15)):
                            change = 0.02 * level * (1 if modality == "proteins" else 0.5)
                            value = clean - change if higher else clean + change
                            rows.append(
                                {
                                    "task": "impaired", "generator": generator, "modality": modality,
                                    "seed": seed, "level": level, "subgroup": subgroup, "metric": metric,
                                    "value": value, "ci_low": value - 0.05, "ci_high": value + 0.05,
                                    "interval_method": "bootstrap percentile", "n": 40, "n_patients": 40,
                                    "higher_is_better": higher, "reason": "",
                                }
                            )
    return pd.DataFrame(rows)


def _assert_files(paths, stem):
    assert [p.suffix for p in paths] == [".png", ".pdf", ".svg"]
    for path in paths:
        assert path.parent == stem.parent
        assert path.stat().st_size > 1000, path


def test_degradation_curves_writes_every_format(tmp_path):
    stem = tmp_path / "curves"
    _assert_files(degradation_curves(_metrics(), "auroc", stem, FORMATS), stem)


def test_degradation_curves_per_group(tmp_path):
    metrics = _metrics(subgroups=("all", "female", "male"))
    stem = tmp_path / "groups"
    paths = degradation_curves(
        metrics, "auroc", stem, FORMATS, panel="generator", hue="subgroup", select={"modality": "csf"}
    )
    _assert_files(paths, stem)


def test_degradation_curves_per_generator_panels(tmp_path):
    stem = tmp_path / "by_generator"
    paths = degradation_curves(_metrics(), "brier", stem, ["png"], panel="generator", hue="modality")
    assert paths == [tmp_path / "by_generator.png"]


def test_curves_reject_unfixed_facet(tmp_path):
    metrics = _metrics(subgroups=("all", "female", "male"))
    with pytest.raises(ValueError, match=r"vary in \['generator'\]"):
        degradation_curves(metrics, "auroc", tmp_path / "x", ["png"], panel="modality", hue="subgroup")


def test_curves_reject_unknown_facet(tmp_path):
    with pytest.raises(ValueError, match="Invalid panel 'site'"):
        degradation_curves(_metrics(), "auroc", tmp_path / "x", ["png"], panel="site")


def test_select_curves_averages_seeds():
    frame = select_curves(_metrics(seeds=(0, 1)), "auroc", keep=("generator", "modality"))
    assert len(frame) == 2 * 2 * 4
    clean = frame[frame["level"] == 0.0]["value"]
    assert np.allclose(clean, 0.85)


@pytest.mark.parametrize("relative", [True, False])
def test_severity_heatmap_writes_every_format(tmp_path, relative):
    stem = tmp_path / f"heatmap_{relative}"
    _assert_files(severity_heatmap(_metrics(), "brier", stem, FORMATS, relative=relative), stem)


def test_severity_heatmap_keeps_nan_cells(tmp_path):
    metrics = _metrics()
    metrics.loc[(metrics["level"] == 5.0) & (metrics["modality"] == "csf"), ["value", "ci_low", "ci_high"]] = np.nan
    paths = severity_heatmap(metrics, "auroc", tmp_path / "nan", ["svg"])
    assert "NaN" in paths[0].read_text()


def test_unknown_format_rejected(tmp_path):
    with pytest.raises(ValueError, match="allowed formats are png, pdf, svg"):
        degradation_curves(_metrics(), "auroc", tmp_path / "x", ["jpeg"])


def _subsets(modalities=("csf", "genotype", "proteins"), higher=True):
    from itertools import combinations

    rows = []
    for size in range(len(modalities) + 1):
        for members in combinations(modalities, size):
            value = 0.5 + 0.1 * size
            rows.append(
                {"task": "impaired", "policy": "zero", "metric": "auroc", "subset": "+".join(members) or "none",
                 "size": size, "subgroup": "all", "value": value, "ci_low": value - 0.05, "ci_high": value + 0.05,
                 "higher_is_better": higher}
            )
    return pd.DataFrame(rows)


def test_subset_lattice_writes_every_format(tmp_path):
    from robustmed.render.figures.lattice import subset_lattice

    stem = tmp_path / "lattice"
    _assert_files(subset_lattice(_subsets(), "auroc", stem, FORMATS), stem)


def test_subset_lattice_marks_nan_subset(tmp_path):
    from robustmed.render.figures.lattice import subset_lattice

    subsets = _subsets()
    subsets.loc[subsets["subset"] == "csf+genotype", ["value", "ci_low", "ci_high"]] = np.nan
    svg = subset_lattice(subsets, "auroc", tmp_path / "nan", ["svg"])[0].read_text()
    assert "NaN" in svg
    assert "csf+genotype" in svg


def test_subset_lattice_rejects_many_modalities(tmp_path):
    from robustmed.render.figures.lattice import subset_lattice

    subsets = _subsets(modalities=tuple(f"m{i}" for i in range(7)))
    with pytest.raises(ValueError, match="at most 6 are drawn"):
        subset_lattice(subsets, "auroc", tmp_path / "x", ["svg"])


def test_subset_lattice_unknown_policy(tmp_path):
    from robustmed.render.figures.lattice import subset_lattice

    with pytest.raises(ValueError, match="policy 'mean'"):
        subset_lattice(_subsets(), "auroc", tmp_path / "x", ["svg"], policy="mean")
