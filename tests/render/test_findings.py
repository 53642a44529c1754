"""Summary findings: labelled findings, headline prefixes and table fallbacks."""

import numpy as np
import pandas as pd

from robustmed.render.findings import worst_group
from robustmed.render.html import WORST_GENERATOR, WORST_GROUP, Finding, ReportPart, Section, write_table
from robustmed.render.report import summarise


def _groups(higher=True):
    rows = []
    for attribute, subgroup, value in (
        ("all", "all", 0.84), ("sex", "female", 0.83), ("sex", "male", 0.85),
        ("age_band", "younger", 0.69), ("age_band", "older", np.nan),
    ):
        rows.append(
            {"task": "impaired", "generator": "none", "level": 0.0, "attribute": attribute, "subgroup": subgroup,
             "metric": "auroc", "value": value, "ci_low": value - 0.1, "ci_high": value + 0.1, "n": 40,
             "higher_is_better": higher}
        )
    return pd.DataFrame(rows)


def test_worst_group_skips_nan_groups(tmp_path):
    write_table(tmp_path, "fairness_groups", _groups())
    finding, anchor = worst_group(tmp_path)
    assert anchor == "fairness"
    assert finding.label == WORST_GROUP
    assert finding.text.startswith("age_band = younger: AUROC 0.690 [0.590, 0.790] vs 0.840")
    assert "1 smaller group(s) left out" in finding.text


def test_worst_group_follows_direction(tmp_path):
    write_table(tmp_path, "fairness_groups", _groups(higher=False))
    finding, _ = worst_group(tmp_path)
    assert finding.text.startswith("sex = male:")


def test_worst_group_absent_without_table(tmp_path):
    assert worst_group(tmp_path) is None


def test_summarise_prefers_higher_priority():
    proxy = ReportPart(Section("degradation", "D"), [], [Finding(WORST_GROUP, "proxy", priority=-1)])
    labelled = ReportPart(
        Section("fairness", "F"), ["Worst generator: from a headline", "Another result."],
        [Finding(WORST_GROUP, "dedicated")],
    )
    fallback = (Finding(WORST_GROUP, "from table", priority=-2), "fairness")
    missing_anchor = (Finding("Other", "no section"), "transfer")
    findings, headlines = summarise([proxy, labelled], [fallback, missing_anchor])
    assert [(f.label, f.text, f.anchor) for f in findings] == [
        (WORST_GENERATOR, "from a headline", "fairness"),
        (WORST_GROUP, "dedicated", "fairness"),
    ]
    assert headlines == [("Another result.", "fairness")]
