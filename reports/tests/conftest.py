"""Shared fixtures: the committed sample data (make_fixtures.py) and helpers."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPORTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPORTS))

FIXTURE_DATA = REPORTS / "tests" / "fixtures" / "data"


def fixture_runs() -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for f in sorted(FIXTURE_DATA.glob("*/*.json")):
        out.setdefault(f.parent.name, []).append(f)
    return out


@pytest.fixture
def runs() -> dict[str, list[Path]]:
    return fixture_runs()


@pytest.fixture
def bare(runs: dict[str, list[Path]]) -> list[Path]:
    """The fixture machine whose third commit regresses skynet by 25 %."""
    for files in runs.values():
        if json.loads(files[0].read_text())["machine"]["name"] == "fixture-bare":
            return files
    raise AssertionError("fixture-bare missing")


@pytest.fixture
def doc(bare: list[Path]) -> dict[str, Any]:
    return json.loads(bare[-1].read_text())


def cli(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs reports/<name>'s main(args) in this process (importing scipy once,
    not per call); the result looks like subprocess.run's."""
    module = importlib.import_module(f"gmpkit_reports.{name}")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = module.main(list(args))
        except SystemExit as e:  # argparse errors
            rc = e.code if isinstance(e.code, int) else 2
    return subprocess.CompletedProcess([name, *args], rc, out.getvalue(), err.getvalue())


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the reports/<name> launcher itself (shebang /usr/bin/python3)."""
    return subprocess.run([str(REPORTS / name), *args], capture_output=True, text=True, timeout=300)
