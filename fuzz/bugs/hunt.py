"""The planted-bug catalogue and the bug-hunt results (ci/bug-hunt).

catalogue.def is the one list of planted bugs (runtime/src/core/planted_bug.hpp);
this module reads it, holds one hunt's results, and renders fuzz/BUGS.md and
the report's #bugs rows from them. No process is started here (ci/bug-hunt
runs the techniques), so all of it is unit-tested (test_hunt.py).
"""
from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "catalogue.def"

# GMPKIT_BUG(name, "class", "mirrors", "symptom") — one line each.
_ENTRY = re.compile(
    r'^GMPKIT_BUG\(\s*(?P<name>[a-z0-9_]+)\s*,\s*"(?P<cls>[^"]*)"\s*,\s*"(?P<mirrors>[^"]*)"\s*,'
    r'\s*"(?P<symptom>[^"]*)"\s*\)\s*$')

# Technique names, in the order the table shows them. ci/bug-hunt runs each.
TECHNIQUES = ("ctest", "sim-random", "sim-pct-d1", "sim-pct-d2", "sim-pct-d3", "libfuzzer", "storm")
SIM_TECHNIQUES = tuple(t for t in TECHNIQUES if t.startswith("sim-"))


@dataclass
class Bug:
    name: str
    cls: str
    mirrors: str
    symptom: str


def read_catalogue(path: Path = CATALOGUE) -> list[Bug]:
    """Every GMPKIT_BUG line of catalogue.def; a malformed one is an error."""
    bugs: list[Bug] = []
    for no, line in enumerate(path.read_text().splitlines(), 1):
        s = line.strip()
        if not s.startswith("GMPKIT_BUG("):
            continue
        m = _ENTRY.match(s)
        if not m:
            raise ValueError(f"{path}:{no}: not GMPKIT_BUG(name, \"class\", \"mirrors\", \"symptom\"): {s}")
        bugs.append(Bug(m["name"], m["cls"], m["mirrors"], m["symptom"]))
    names = [b.name for b in bugs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"{path}: duplicate bug names {sorted(dup)}")
    return bugs


@dataclass
class TechniqueResult:
    technique: str
    caught: bool
    seconds: float
    replay: str | None = None  # a command line that reproduces the catch
    detail: str = ""  # what caught it (a test name, the failure line) or why not run
    replay_verified: bool | None = None  # the replay was re-run and failed the same way
    ran: bool = True  # False: the technique was not available here (detail says why)


@dataclass
class BugResult:
    name: str
    cls: str
    mirrors: str
    symptom: str
    techniques: list[TechniqueResult] = field(default_factory=list)

    def get(self, technique: str) -> TechniqueResult | None:
        return next((t for t in self.techniques if t.technique == technique), None)


@dataclass
class Hunt:
    date: str
    commit: str
    machine: str
    budget: float
    bugs: list[BugResult] = field(default_factory=list)
    baseline: list[TechniqueResult] = field(default_factory=list)  # no bug planted: must catch nothing

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for b in d["bugs"]:
            b["class"] = b.pop("cls")
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> "Hunt":
        bugs = [BugResult(name=b["name"], cls=b["class"], mirrors=b.get("mirrors", ""),
                          symptom=b.get("symptom", ""),
                          techniques=[TechniqueResult(**t) for t in b["techniques"]]) for b in d["bugs"]]
        return Hunt(date=d.get("date", ""), commit=d.get("commit", ""), machine=d.get("machine", ""),
                    budget=float(d.get("budget", 0)), bugs=bugs,
                    baseline=[TechniqueResult(**t) for t in d.get("baseline", [])])


def caught_by(b: BugResult, techniques: tuple[str, ...]) -> TechniqueResult | None:
    """The fastest catch among these techniques, or None."""
    hits = [t for t in b.techniques if t.technique in techniques and t.caught]
    return min(hits, key=lambda t: t.seconds) if hits else None


def summary(h: Hunt) -> dict[str, Any]:
    """The issue's targets: share caught by ctest, by the simulator (any
    strategy) and by anything; the simulator's median time to detect."""
    n = len(h.bugs)
    sim_hits = [caught_by(b, SIM_TECHNIQUES) for b in h.bugs]
    sim_times = [t.seconds for t in sim_hits if t]
    ct = [caught_by(b, ("ctest",)) for b in h.bugs]
    anyhit = [caught_by(b, TECHNIQUES) for b in h.bugs]
    return {
        "bugs": n,
        "ctest_ran": sum(1 for b in h.bugs if any(t.technique == "ctest" and t.ran for t in b.techniques)),
        "ctest_caught": sum(1 for t in ct if t),
        "sim_caught": sum(1 for t in sim_hits if t),
        "any_caught": sum(1 for t in anyhit if t),
        "sim_median_seconds": statistics.median(sim_times) if sim_times else None,
        "missed": [b.name for b, t in zip(h.bugs, anyhit) if not t],
    }


def _cell(t: TechniqueResult | None) -> str:
    if t is None:
        return "–"
    if not t.ran:
        return "n/a"
    return f"✔ {t.seconds:.1f} s" if t.caught else "✘"


def rows(h: Hunt) -> list[dict[str, str]]:
    """The #bugs table of the report: one row a bug, one column a technique."""
    out = []
    for b in h.bugs:
        r = {"bug": b.name, "class": b.cls}
        for tech in TECHNIQUES:
            r[tech] = _cell(b.get(tech))
        out.append(r)
    return out


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100.0 * k / n:.0f} %)" if n else "0/0"


def markdown(h: Hunt, bugs: list[Bug]) -> str:
    """fuzz/BUGS.md: the catalogue, then the last hunt's table."""
    s = summary(h)
    lines = [
        "# The planted-bug catalogue and the last hunt",
        "",
        "Generated by `ci/bug-hunt` from `fuzz/bugs/catalogue.def` and its results; do not edit.",
        "How it works: `fuzz/bugs/README.md`.",
        "",
        f"Last hunt: {h.date}, commit `{h.commit or '?'}`, machine `{h.machine}`, "
        f"budget {h.budget:g} s a bug and technique.",
        "",
        "- caught by the default `ctest` run: "
        + (_pct(s["ctest_caught"], s["ctest_ran"]) if s["ctest_ran"] else "not run in this hunt"),
        f"- caught by the simulator (random walk or PCT d=1..3): {_pct(s['sim_caught'], s['bugs'])}"
        + (f", median time to detect {s['sim_median_seconds']:.2f} s" if s["sim_median_seconds"] is not None else ""),
        f"- caught by any technique: {_pct(s['any_caught'], s['bugs'])}",
        f"- caught by none: {', '.join('`' + m + '`' for m in s['missed']) or 'none'}",
        "",
        "| bug | class | " + " | ".join(TECHNIQUES) + " |",
        "|---|---|" + "---|" * len(TECHNIQUES),
    ]
    for r in rows(h):
        lines.append("| `" + r["bug"] + "` | " + r["class"] + " | " + " | ".join(r[t] for t in TECHNIQUES) + " |")
    hunted = {b.name for b in h.bugs}
    lines += ["", "## The catalogue", "", "| bug | class | mirrors | symptom | in the last hunt |", "|---|---|---|---|---|"]
    for b in bugs:
        lines.append(f"| `{b.name}` | {b.cls} | {b.mirrors} | {b.symptom} | {'yes' if b.name in hunted else 'no'} |")
    lines += ["", "## Replays of the catches", ""]
    for b in h.bugs:
        for t in b.techniques:
            if t.caught and t.replay:
                v = {True: "reproduced", False: "DID NOT reproduce", None: "not re-run"}[t.replay_verified]
                lines.append(f"- `{b.name}` / {t.technique} ({v}): `{t.replay}`")
    return "\n".join(lines) + "\n"
