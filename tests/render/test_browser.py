"""The report opened in headless Chromium: the summary renders and is in the DOM.

Chromium comes from the Debian packages ``chromium`` and ``chromium-driver``
(``apt-get install -y chromium chromium-driver fonts-liberation``); CI installs them. Outside CI the
tests skip when Chromium is absent; under CI (``CI=true``) they fail instead.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib import image

WIDTH, HEIGHT = 1280, 1000
# The summary panel's background colour (#f3f7fb in the report's CSS).
SUMMARY_BACKGROUND = np.array([0xF3, 0xF7, 0xFB]) / 255.0


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium binary, found before the run fixture spends time."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    message = "Chromium is not installed (apt-get install -y chromium chromium-driver fonts-liberation)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must install it before the tests.")
    pytest.skip(message)


def _run_chromium(chromium: str, tmp_path, url: str, *arguments: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
        *arguments, url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_screenshot_shows_summary(chromium, small_run, tmp_path):
    screenshot = tmp_path / "report.png"
    _run_chromium(
        chromium, tmp_path, (small_run / "report.html").resolve().as_uri(),
        f"--screenshot={screenshot}", f"--window-size={WIDTH},{HEIGHT}",
    )
    pixels = image.imread(screenshot)[..., :3]
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    assert pixels.std() > 0.05, "screenshot is blank"
    summary = np.all(np.abs(pixels - SUMMARY_BACKGROUND) < 1.5 / 255, axis=-1)
    rows = np.flatnonzero(summary.mean(axis=1) > 0.3)
    assert rows.size > 40, "the summary panel is not visible in the first screen"
    dark_text = (pixels[rows].mean(axis=-1) < 0.3).sum()
    assert dark_text > 500, "the summary panel holds no text"


def test_dom_has_summary_heading(chromium, small_run, tmp_path):
    result = _run_chromium(chromium, tmp_path, (small_run / "report.html").resolve().as_uri(), "--dump-dom")
    dom = result.stdout
    assert '<section id="summary" class="summary">' in dom
    assert "<h2>Summary</h2>" in dom
    assert "Clean performance" in dom
    assert "<script" not in dom
