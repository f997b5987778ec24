"""compare's exit codes, collect's merging, render's outputs and its refusal to
write a partial report."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from conftest import FIXTURE_DATA, cli, script

ANCHORS = ("summary", "preemption", "stw", "runq", "scheduling", "syscalls", "peers", "machines", "history", "bugs")


def test_compare_no_regression_exits_0(bare: list[Path]) -> None:
    r = script("compare", str(bare[1]), str(bare[0]), "--fail-on-regression", "10%")
    assert r.returncode == 0, r.stderr
    assert "skynet" in r.stdout


def test_compare_regression_beyond_threshold_exits_1(bare: list[Path]) -> None:
    r = cli("compare", str(bare[2]), str(bare[1]), "--fail-on-regression", "10%")
    assert r.returncode == 1
    assert "REGRESSION: skynet" in r.stderr
    assert "runq/put_get" not in r.stderr  # faster is not a regression


def test_compare_regression_below_threshold_exits_0(bare: list[Path]) -> None:
    assert cli("compare", str(bare[2]), str(bare[1]), "--fail-on-regression", "30%").returncode == 0
    assert cli("compare", str(bare[2]), str(bare[1])).returncode == 0  # no gate without the flag


def test_compare_refuses_cross_machine_and_bad_input(runs: dict[str, list[Path]], tmp_path: Path) -> None:
    a, b = (files[-1] for files in runs.values())
    r = cli("compare", str(a), str(b))
    assert r.returncode == 2 and "/machine/id" in r.stderr
    bad = tmp_path / "bad.json"
    doc = json.loads(a.read_text())
    del doc["benchmarks"][0]["samples"]
    bad.write_text(json.dumps(doc))
    r = cli("compare", str(bad), str(a))
    assert r.returncode == 2 and str(bad) in r.stderr and "/benchmarks/0" in r.stderr
    assert cli("compare", str(a), str(a), "--fail-on-regression", "ten").returncode == 2


def test_render_writes_report_and_sidecars(tmp_path: Path) -> None:
    out = tmp_path / "r" / "report.html"
    r = cli("render", "--data", str(FIXTURE_DATA), "--out", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    for a in ANCHORS:
        assert f'id="{a}"' in html
    assert "<script src=" not in html  # plotly.js is embedded, nothing is fetched
    model = json.loads(out.with_suffix(".json").read_text())
    assert model["focus"]["commit"].startswith("3333333") and model["focus"]["baseline_commit"].startswith("2222222")
    verdicts = {b["workload"]: b["comparison"]["verdict"] for b in model["benchmarks"]}
    assert verdicts["skynet"] == "slower" and verdicts["runq/put_get"] == "faster"
    assert verdicts["chan_pingpong/procs:1"] == "~"
    cps = {(h["workload"], c["commit"][:7]) for h in model["history"] for c in h["change_points"]}
    assert ("skynet", "3333333") in cps
    peers = {(p["workload"], p["peer"]) for p in model["peers"] if p["machine_id"] == model["focus"]["machine_id"]}
    assert ("skynet", "go") in peers and ("skynet", "tbb") in peers and ("skynet", "boost_fiber") in peers
    assert len(model["heatmap"]["machines"]) == 2
    rows = list(csv.DictReader(out.with_suffix(".csv").open()))
    tables = {r["table"] for r in rows}
    assert {"benchmark", "sample", "vs_baseline", "peer_ratio", "peer_geomean", "latency", "history",
            "change_point", "heatmap"} <= tables


def test_render_explicit_baseline(bare: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert cli("render", "--data", str(FIXTURE_DATA), "--baseline", str(bare[0]), "--out", str(out)).returncode == 0
    assert json.loads(out.with_suffix(".json").read_text())["focus"]["baseline_commit"].startswith("1111111")


def test_render_malformed_input_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    victim = sorted(data.glob("*/*.json"))[1]
    doc = json.loads(victim.read_text())
    doc["benchmarks"][2]["section"] = "gc"
    victim.write_text(json.dumps(doc))
    out = tmp_path / "out" / "report.html"
    r = cli("render", "--data", str(data), "--out", str(out))
    assert r.returncode == 2
    assert str(victim) in r.stderr and "/benchmarks/2/section" in r.stderr
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_collect_merges_trees_and_rejects_conflicts(tmp_path: Path, runs: dict[str, list[Path]]) -> None:
    (a_id, a), (b_id, b) = runs.items()
    src1, src2 = tmp_path / "art1" / "deep", tmp_path / "art2"
    src1.mkdir(parents=True)
    src2.mkdir()
    for f in a:
        shutil.copy(f, src1 / f.name)  # artifact layout differs: collect re-derives the path
    for f in b[:2]:
        shutil.copy(f, src2 / f.name)
    shutil.copy(a[0], src2 / "dup.json")  # the same run twice is fine
    out = tmp_path / "merged"
    r = cli("collect", "--out", str(out), str(tmp_path / "art1"), str(src2))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (out / a_id).iterdir()) == sorted(f.name for f in a)
    assert len(list((out / b_id).iterdir())) == 2
    doc = json.loads(a[0].read_text())
    doc["benchmarks"][0]["samples"][0] += 1.0
    (src2 / "conflict.json").write_text(json.dumps(doc))
    r = cli("collect", "--out", str(tmp_path / "m2"), str(src1), str(src2))
    assert r.returncode == 2 and "conflict.json" in r.stderr
    assert not (tmp_path / "m2").exists()


def test_render_keeps_peer_counters_in_the_sidecar(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    for f in data.glob("*/*.json"):  # every run: whichever is the focus has them
        doc = json.loads(f.read_text())
        for b in doc["benchmarks"]:
            if b["impl"] == "go" and b["workload"] == "skynet":
                b["counters"] = {"serial_ns_per_op": [float(2 + i % 3) for i in range(len(b["samples"]))]}
        f.write_text(json.dumps(doc))
    out = tmp_path / "report.html"
    r = cli("render", "--data", str(data), "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = [r for r in csv.DictReader(out.with_suffix(".csv").open())
            if r["table"] == "peer_counter" and r["workload"] == "skynet"]
    assert rows and {(r["impl"], r["field"]) for r in rows} == {("go", "serial_ns_per_op")}  # per machine
    assert all(float(r["value"]) == 3.0 for r in rows)  # the median of 2, 3, 4, 2, 3, ...


def test_topology_text_may_differ_under_one_machine_id(tmp_path: Path, bare: list[Path]) -> None:
    # The same VM's hwloc text changed its memory sizes between two runs
    # ("16GB total" -> "22GB total"): still one machine. A changed identity
    # field under the same id is a hand-edited file or a collision: refused.
    from gmpkit_reports import dataset

    tree = tmp_path / "data" / bare[0].parent.name
    tree.mkdir(parents=True)
    for f in bare:
        shutil.copy(f, tree / f.name)
    last = tree / bare[-1].name
    doc = json.loads(last.read_text())
    doc["machine"]["hardware"]["topology"] += "\n(memory sizes reported differently)"
    last.write_text(json.dumps(doc))
    assert len(dataset.load_tree(tmp_path / "data")[bare[0].parent.name]) == len(bare)

    doc["machine"]["hardware"]["cores"] += 1
    last.write_text(json.dumps(doc))
    try:
        dataset.load_tree(tmp_path / "data")
    except Exception as e:  # InputError names the file and the field
        assert "/machine/hardware" in str(e) and last.name in str(e)
    else:
        raise AssertionError("a changed hardware identity under one machine id was accepted")


def test_high_load_is_judged_by_the_load_before_the_run(bare: list[Path]) -> None:
    # The end-of-run load average includes the suite's own benchmarks: a quiet
    # machine that the suite kept busy is not "high load"; a busy one is.
    from gmpkit_reports import dataset, model

    run = dataset.load_run(bare[0])
    threads = run.doc["machine"]["hardware"]["threads"]
    run.doc["machine"]["load_avg_start"] = [0.1, 0.1, 0.1]
    run.doc["machine"]["load_avg_end"] = [float(threads), 1.0, 1.0]
    assert not [w for w in model.run_warnings(run) if "high load" in w]
    run.doc["machine"]["load_avg_start"] = [float(threads), 1.0, 1.0]
    assert [w for w in model.run_warnings(run) if "high load" in w]


def test_auto_baseline_prefers_the_same_profile(bare: list[Path]) -> None:
    # A full run's baseline is the previous full run, not a newer quick one;
    # with no earlier run of its profile, the newest earlier run of any.
    from gmpkit_reports import dataset

    runs = [dataset.load_run(f) for f in bare]
    assert len(runs) >= 3
    for r, prof in zip(runs, ["full", "quick", "full"]):
        r.doc["profile"] = prof
    assert dataset.auto_baseline(runs[:3], runs[2]) is runs[0]
    runs[0].doc["profile"] = "quick"
    assert dataset.auto_baseline(runs[:3], runs[2]) is runs[1]


def test_render_shows_a_bug_hunt_under_bugs(tmp_path: Path) -> None:
    hunt = {"date": "2026-12-07", "commit": "abc", "machine": "vm", "budget": 60, "baseline": [],
            "bugs": [{"name": "newproc_no_wakep", "class": "missing wakep", "mirrors": "", "symptom": "slow",
                      "techniques": [{"technique": "ctest", "caught": False, "seconds": 90.0, "replay": None},
                                     {"technique": "sim-pct-d2", "caught": True, "seconds": 4.5,
                                      "replay": "GMPKIT_SIM_REPLAY=v1:pct:d2:seed=0x3 sim_hunt --program ops:3"}]}]}
    bugs = tmp_path / "hunt.json"
    bugs.write_text(json.dumps(hunt))
    out = tmp_path / "r" / "report.html"
    r = cli("render", "--data", str(FIXTURE_DATA), "--out", str(out), "--bugs", str(bugs))
    assert r.returncode == 0, r.stderr
    section = out.read_text().split('id="bugs"')[1].split("</section>")[0]
    assert "newproc_no_wakep" in section and "sim-pct-d2" in section and "✔ 4.5 s" in section
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bugs": [{"name": "x"}]}))
    r = cli("render", "--data", str(FIXTURE_DATA), "--out", str(tmp_path / "b.html"), "--bugs", str(bad))
    assert r.returncode != 0 and "bug-hunt" in r.stderr
