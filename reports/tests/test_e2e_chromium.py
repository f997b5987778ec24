"""End to end: render the fixture data, load the HTML from file:// in headless
Chromium, check every section and chart rendered and no JS error was raised."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import FIXTURE_DATA, script

ANCHORS = ("summary", "preemption", "stw", "runq", "scheduling", "syscalls", "peers", "machines", "history", "bugs")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium not installed (ci/test installs it: apt-get install chromium)")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                               "--virtual-time-budget=20000", *args],
                              capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "report.html"
    r = script("render", "--data", str(FIXTURE_DATA), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_every_section_and_chart_renders_without_js_error(report: Path) -> None:
    r = chromium("--dump-dom", report.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, "no <body> in the dumped DOM"
    assert 'data-ready="1"' in body.group(1), "the load handler did not run"
    assert 'data-js-errors="0"' in body.group(1), re.search(r'id="js-errors"[^>]*>([^<]*)', dom)
    for a in ANCHORS:
        assert re.search(rf'<section id="{a}"', dom), f"section #{a} missing"
    charts = re.split(r'class="gmpkit-chart"', dom)[1:]
    declared = int(re.search(r'data-charts="(\d+)"', body.group(1)).group(1))
    assert len(charts) == declared >= 20
    for chunk in charts:
        name = re.search(r'data-chart="([^"]+)"', chunk).group(1)
        assert "main-svg" in chunk, f"chart {name} was not drawn"
    # Every section with data has its chart (the fixture has data for all of them).
    names = {re.search(r'data-chart="([^"]+)"', c).group(1) for c in charts}
    for sec in ("preemption", "stw", "runq", "scheduling", "syscalls"):
        assert f"chart-{sec}-samples" in names
    assert {"chart-heatmap", "chart-runq-medians", "chart-peers-scheduling"} <= names
    assert any(n.startswith("chart-hist-") for n in names) and any(n.startswith("chart-history-") for n in names)


def test_screenshot(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    r = chromium(f"--screenshot={png}", "--window-size=1400,3000", report.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a blank page compresses to a few kB
