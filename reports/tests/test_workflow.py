"""Structure of .github/workflows/nightly.yml: a matrix of runner types running
ci/report --full and uploading reports/data/**, the fuzz nightly and the stress
nightly; every script it calls exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conftest import REPORTS

WORKFLOW = REPORTS.parent / ".github" / "workflows" / "nightly.yml"


def load() -> dict[Any, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(doc, dict)
    return doc


def runs(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job["steps"])


def uploads(job: dict[str, Any]) -> list[str]:
    return [s["with"]["path"] for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]


def test_triggers() -> None:
    doc = load()
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "schedule" in on and on["schedule"][0]["cron"]
    assert "workflow_dispatch" in on


def test_report_matrix_runs_ci_report_full_and_uploads_data() -> None:
    job = load()["jobs"]["report"]
    runners = job["strategy"]["matrix"]["runner"]
    assert isinstance(runners, list) and len(runners) >= 2
    assert job["runs-on"] == "${{ matrix.runner }}"
    assert "ci/report --full" in runs(job)
    assert any("reports/data/**" in p for p in uploads(job))
    assert any(str(s.get("uses", "")).startswith("actions/checkout@") for s in job["steps"])
    assert (REPORTS.parent / "ci" / "report").exists()


def test_fuzz_and_stress_jobs() -> None:
    jobs = load()["jobs"]
    assert "ci/fuzz-nightly" in runs(jobs["fuzz"]) and uploads(jobs["fuzz"])
    stress = jobs["stress"]
    assert set(stress["strategy"]["matrix"]["preset"]) >= {"default", "asan", "tsan"}
    assert "-L 'stress|nightly'" in runs(stress) and uploads(stress)


def test_every_job_is_well_formed() -> None:
    for name, job in load()["jobs"].items():
        assert "runs-on" in job and job["steps"], name
        assert job.get("timeout-minutes", 0) > 0, f"{name}: no timeout"
        for s in job["steps"]:
            assert ("run" in s) != ("uses" in s), f"{name}: a step needs exactly one of run/uses: {s}"
