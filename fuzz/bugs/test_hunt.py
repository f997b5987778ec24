"""Unit tests of fuzz/bugs/hunt.py (ctest fuzz_bugs_py)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bugs.hunt import (CATALOGUE, TECHNIQUES, BugResult, Hunt, TechniqueResult, markdown, read_catalogue, rows,
                       summary)

RUNTIME = Path(__file__).resolve().parents[2] / "runtime" / "src"


def test_catalogue_parses_and_every_bug_has_exactly_one_site():
    bugs = read_catalogue()
    assert len(bugs) >= 24
    sites: dict[str, int] = {}
    for f in RUNTIME.rglob("*.[ch]pp"):
        for name in re.findall(r"GMPKIT_PLANTED_BUG\((\w+)\)", f.read_text()):
            sites[name] = sites.get(name, 0) + 1
    sites.pop("name", None)  # the macro's own definition
    assert {b.name for b in bugs} == set(sites), "catalogue and sites differ"
    assert all(n == 1 for n in sites.values()), {k: v for k, v in sites.items() if v != 1}
    assert all(b.cls and b.symptom for b in bugs)


def test_malformed_line_is_an_error(tmp_path):
    p = tmp_path / "c.def"
    p.write_text('GMPKIT_BUG(ok, "c", "m", "s")\nGMPKIT_BUG(bad, c, "m", "s")\n')
    with pytest.raises(ValueError, match="c.def:2"):
        read_catalogue(p)


def _hunt() -> Hunt:
    h = Hunt(date="2026-12-07", commit="abc", machine="vm", budget=60)
    h.bugs = [
        BugResult("a", "missing wakep", "", "slow", [TechniqueResult("ctest", False, 90.0),
                                                    TechniqueResult("sim-pct-d2", True, 4.0, "R", replay_verified=True)]),
        BugResult("b", "channels", "", "lost value", [TechniqueResult("ctest", True, 12.0, "C"),
                                                     TechniqueResult("sim-random", True, 8.0, "R2")]),
        BugResult("c", "fairness", "", "starves", [TechniqueResult("ctest", False, 90.0),
                                                  TechniqueResult("libfuzzer", False, 0.0, ran=False)]),
    ]
    return h


def test_summary_counts_and_median():
    s = summary(_hunt())
    assert (s["bugs"], s["ctest_caught"], s["sim_caught"], s["any_caught"]) == (3, 1, 2, 2)
    assert s["sim_median_seconds"] == 6.0
    assert s["missed"] == ["c"]


def test_json_round_trip_and_rows():
    h = _hunt()
    d = json.loads(json.dumps(h.to_json()))
    assert d["bugs"][0]["class"] == "missing wakep" and "techniques" in d["bugs"][0]
    t = d["bugs"][0]["techniques"][1]
    assert {"technique", "caught", "seconds", "replay"} <= set(t)
    r = rows(Hunt.from_json(d))
    assert [x["bug"] for x in r] == ["a", "b", "c"]
    assert set(TECHNIQUES) <= set(r[0])
    assert r[0]["sim-pct-d2"].startswith("✔") and r[0]["ctest"] == "✘" and r[2]["libfuzzer"] == "n/a"


def test_markdown_has_the_table_catalogue_and_replays():
    md = markdown(_hunt(), read_catalogue(CATALOGUE))
    assert "| bug | class | ctest |" in md
    assert "caught by none: `c`" in md
    assert "`a` / sim-pct-d2 (reproduced): `R`" in md
    assert "## The catalogue" in md
