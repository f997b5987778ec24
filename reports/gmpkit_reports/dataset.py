"""A data tree: <dir>/<machine-id>/<UTC timestamp>-<commit>.json, every file
validated. Samples are never pooled across machines: everything downstream
indexes runs by machine first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import machine, schema
from .errors import InputError

FILE_RE = re.compile(r"^(?P<ts>[0-9]{8}T[0-9]{6}Z)-(?P<commit>[0-9a-f]{7,40})(?P<dirty>-dirty)?\.json$")


@dataclass
class Run:
    path: str
    doc: dict[str, Any]

    @property
    def machine_id(self) -> str:
        return str(self.doc["machine"]["id"])

    @property
    def commit(self) -> str:
        return str(self.doc["build"]["commit"])

    @property
    def label(self) -> str:
        return self.commit[:10] + ("-dirty" if self.doc["build"]["dirty"] else "")

    @property
    def started(self) -> str:
        return str(self.doc["started_utc"])

    def benchmarks(self, impl: str | None = None) -> dict[str, dict[str, Any]]:
        """workload -> benchmark entry (of one impl, default gmpkit)."""
        want = impl or "gmpkit"
        return {b["workload"]: b for b in self.doc["benchmarks"] if b["impl"] == want}

    def peer_benchmarks(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(b["workload"], b["impl"]): b for b in self.doc["benchmarks"] if b["impl"] != "gmpkit"}


def load_run(path: str | Path) -> Run:
    return Run(str(path), schema.load(path))


def result_path(data_dir: Path, doc: dict[str, Any]) -> Path:
    """Where a run's file goes: <data>/<machine-id>/<YYYYmmddTHHMMSSZ>-<commit>[-dirty].json"""
    ts = doc["started_utc"].replace("-", "").replace(":", "")
    dirty = "-dirty" if doc["build"]["dirty"] else ""
    return data_dir / doc["machine"]["id"] / f"{ts}-{doc['build']['commit'][:12]}{dirty}.json"


def load_tree(data_dir: str | Path) -> dict[str, list[Run]]:
    """machine id -> runs, oldest first. Raises InputError (file + field) for a
    malformed file, a file in the wrong machine folder, or a bad file name."""
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(str(root), "(directory)", "does not exist or is not a directory")
    machines: dict[str, list[Run]] = {}
    files = sorted(root.glob("*/*.json"))
    if not files:
        raise InputError(str(root), "(directory)", "holds no <machine-id>/<timestamp>-<commit>.json result files")
    for f in files:
        if not FILE_RE.match(f.name):
            raise InputError(str(f), "(file name)", "expected <YYYYmmddTHHMMSSZ>-<commit>[-dirty].json")
        run = load_run(f)
        if run.machine_id != f.parent.name:
            raise InputError(str(f), "/machine/id",
                             f"is {run.machine_id!r} but the file is in folder {f.parent.name!r} (mixed machine trees?)")
        machines.setdefault(run.machine_id, []).append(run)
    for runs in machines.values():
        runs.sort(key=lambda r: r.started)
        # One hardware hash, one hardware identity: a mismatch means a collision or a hand-edited
        # file. The topology text may differ (machine.identity says why).
        hw0 = machine.identity(runs[0].doc["machine"]["hardware"])
        for r in runs[1:]:
            if machine.identity(r.doc["machine"]["hardware"]) != hw0:
                raise InputError(r.path, "/machine/hardware", f"differs from {runs[0].path} under the same machine id")
    return machines


def auto_baseline(runs: list[Run], new: Run) -> Run | None:
    """The newest earlier run on the same machine with a different commit (or
    the same commit when only dirty differs), of the same profile if there is
    one: quick and full runs time the same workloads differently (repetitions,
    minimum time), so a quick baseline for a full run reports profile
    differences as changes."""
    earlier = [r for r in runs if r.started < new.started and r.label != new.label]
    same = [r for r in earlier if r.doc.get("profile") == new.doc.get("profile")]
    pick = same or earlier
    return pick[-1] if pick else None
