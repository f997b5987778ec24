"""What the report shows, as plain data (also written as the JSON sidecar).
Built from a loaded data tree; all numbers come from stats / histogram."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict
from typing import Any

from . import histogram, stats
from .dataset import Run, auto_baseline

SECTIONS = ("preemption", "stw", "runq", "scheduling", "syscalls")
PEERS = ("go", "tbb", "boost_fiber", "std_thread")
PEER_NAMES = {"gmpkit": "gmpkit", "go": "Go", "tbb": "oneTBB", "boost_fiber": "Boost.Fiber", "std_thread": "std::thread"}
HIGH_LOAD_FRACTION = 0.25  # load average above this fraction of hardware threads: warn


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def run_warnings(run: Run) -> list[str]:
    d = run.doc
    m, b = d["machine"], d["build"]
    out: list[str] = []
    threads = m["hardware"]["threads"]
    if b["build_type"] not in ("Release",):
        out.append(f"{run.path}: build type {b['build_type']} (benchmarks need Release)")
    if b.get("checked"):
        out.append(f"{run.path}: GMPKIT_CHECKED=ON build (transition checks cost time)")
    if b["dirty"]:
        out.append(f"{run.path}: built from a dirty tree at {b['commit'][:10]}")
    if m["hypervisor"]:
        out.append(f"{run.path}: virtual machine ({m['hardware']['hypervisor_vendor']}): steal time and timer jitter")
    if m.get("governor") not in (None, "performance"):
        out.append(f"{run.path}: CPU frequency governor {m['governor']!r} (not 'performance')")
    # Judged at the start only: by the end the suite's own benchmarks (up to
    # every hardware thread busy) are part of the 1-min load average.
    if m["load_avg_start"][0] > HIGH_LOAD_FRACTION * threads:
        out.append(f"{run.path}: high load: 1-min load average {m['load_avg_start'][0]} at start "
                   f"({m['load_avg_end'][0]} at end, the suite's own included) on {threads} hardware threads")
    few = sorted({len(x['samples']) for x in d["benchmarks"] if len(x['samples']) < stats.MIN_REPS})
    if few:
        out.append(f"{run.path}: benchmarks with only {', '.join(map(str, few))} repetitions (< {stats.MIN_REPS})")
    return out


def _summary(samples: list[float]) -> dict[str, Any]:
    s = stats.summarize(samples)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(s).items()}


def _cmp_dict(c: stats.Comparison) -> dict[str, Any]:
    d = asdict(c)
    return {k: _num(v) if isinstance(v, float) else v for k, v in d.items()}


def benchmark_rows(run: Run, base: Run | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    comps: dict[str, list[stats.Comparison]] = {}
    base_b = base.benchmarks() if base else {}
    for wl, b in sorted(run.benchmarks().items(), key=lambda kv: (SECTIONS.index(kv[1]["section"]), kv[0])):
        row: dict[str, Any] = {"section": b["section"], "workload": wl, "metric": b["metric"],
                               "source": b.get("source"), "samples": b["samples"], "summary": _summary(b["samples"]),
                               "counters": {k: stats.summarize(v).median for k, v in b.get("counters", {}).items()},
                               "comparison": None, "base_median": None}
        if wl in base_b:
            c = stats.compare(b["samples"], base_b[wl]["samples"])
            comps.setdefault(b["section"], []).append(c)
            row["_cmp"] = c
            row["base_median"] = stats.summarize(base_b[wl]["samples"]).median
        rows.append(row)
    for group in comps.values():  # Benjamini-Hochberg per suite (section)
        stats.adjust(group)
    for row in rows:
        c = row.pop("_cmp", None)
        if c is not None:
            row["comparison"] = _cmp_dict(c)
    return rows


def peer_rows(machine_id: str, run: Run) -> list[dict[str, Any]]:
    """gmpkit / peer ratio of medians per workload (< 1: gmpkit is faster)."""
    rows = []
    mine = run.benchmarks()
    for (wl, impl), pb in sorted(run.peer_benchmarks().items()):
        if wl not in mine:
            continue
        r, lo, hi = stats.ratio_of_medians(mine[wl]["samples"], pb["samples"])
        rows.append({"machine_id": machine_id, "commit": run.label, "section": pb["section"], "workload": wl,
                     "peer": impl, "ratio": r, "low": lo, "high": hi,
                     "gmpkit_median": stats.summarize(mine[wl]["samples"]).median,
                     "peer_median": stats.summarize(pb["samples"]).median,
                     "n_gmpkit": len(mine[wl]["samples"]), "n_peer": len(pb["samples"]),
                     "peer_counters": {k: stats.summarize(v).median for k, v in pb.get("counters", {}).items()}})
    return rows


def peer_geomeans(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["machine_id"], r["peer"], r["section"]), []).append(r["ratio"])
        groups.setdefault((r["machine_id"], r["peer"], "all"), []).append(r["ratio"])
    out = []
    for (mid, peer, section), ratios in sorted(groups.items()):
        g, lo, hi = stats.geomean_ci(ratios)
        out.append({"machine_id": mid, "peer": peer, "section": section, "geomean": g,
                    "low": _num(lo), "high": _num(hi), "n": len(ratios)})
    return out


def histogram_rows(run: Run) -> list[dict[str, Any]]:
    out = []
    for b in run.doc["benchmarks"]:
        for name, hists in sorted(b.get("histograms", {}).items()):
            if not hists:
                continue
            h = histogram.merge(hists)
            if h.count == 0:
                continue
            out.append({"section": b["section"], "workload": b["workload"], "impl": b["impl"], "name": name,
                        "count": h.count, "marks": histogram.marks(h),
                        "upper_ns": h.upper_ns.tolist(), "counts": h.counts.tolist(), "repetitions": len(hists)})
    out.sort(key=lambda r: (r["section"], r["workload"], r["name"], r["impl"] != "gmpkit", r["impl"]))
    return out


def machine_row(runs: list[Run]) -> dict[str, Any]:
    last = runs[-1].doc["machine"]
    hw = last["hardware"]
    return {"id": last["id"], "name": last.get("name"), "cpu_model": hw["cpu_model"], "arch": hw["arch"],
            "sockets": hw["sockets"], "numa_nodes": hw["numa_nodes"], "cores": hw["cores"], "threads": hw["threads"],
            "smt": hw["smt"], "caches": hw["caches"], "memory_gib": round(hw["memory_bytes"] / 2**30, 1),
            "hypervisor": hw["hypervisor_vendor"], "kernel": last["kernel"], "governor": last.get("governor"),
            "turbo": last.get("turbo"), "topology": hw["topology"], "runs": len(runs),
            "commits": [r.label for r in runs],
            "load": [[r.doc["machine"]["load_avg_start"][0], r.doc["machine"]["load_avg_end"][0]] for r in runs]}


def heatmap(machines: dict[str, list[Run]]) -> dict[str, Any]:
    """Workload x machine: the newest run's median over its own machine's
    baseline (the previous commit there). NaN when a machine has one run."""
    workloads = sorted({wl for runs in machines.values() for wl in runs[-1].benchmarks()})
    mids = sorted(machines)
    z: list[list[float | None]] = []
    for wl in workloads:
        row: list[float | None] = []
        for mid in mids:
            runs = machines[mid]
            base = auto_baseline(runs, runs[-1])
            new_b, base_b = runs[-1].benchmarks().get(wl), base.benchmarks().get(wl) if base else None
            row.append(stats.ratio_of_medians(new_b["samples"], base_b["samples"])[0] if new_b and base_b else None)
        z.append(row)
    return {"workloads": workloads, "machines": mids, "ratio": z}


def history(machines: dict[str, list[Run]]) -> list[dict[str, Any]]:
    out, serieses = [], []
    for mid, runs in sorted(machines.items()):
        workloads = sorted({wl for r in runs for wl in r.benchmarks()})
        for wl in workloads:
            pts, series = [], []
            for r in runs:
                b = r.benchmarks().get(wl)
                if b is None:
                    continue
                s = stats.summarize(b["samples"])
                pts.append({"commit": r.label, "started_utc": r.started, "median": s.median,
                            "low": s.ci_low, "high": s.ci_high, "n": s.n})
                series.append(b["samples"])
            serieses.append(series)
            out.append({"machine_id": mid, "workload": wl, "section": runs[-1].benchmarks().get(wl, {}).get("section"),
                        "points": pts})
    # One Benjamini-Hochberg family: every adjacent pair of every series.
    for h, cps in zip(out, stats.change_points_many(serieses)):
        h["change_points"] = [{"index": c.index, "commit": h["points"][c.index]["commit"], "ratio": c.ratio, "q": c.q}
                              for c in cps]
    return out


def build(machines: dict[str, list[Run]], new: Run, base: Run | None,
          bugs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    warnings = run_warnings(new) + (run_warnings(base) if base else [])
    if base is None:
        warnings.append(f"no baseline: {new.path} is the only commit on machine {new.machine_id}")
    elif base.machine_id != new.machine_id:
        raise ValueError("baseline must come from the same machine")  # callers check; samples are never pooled
    rows = benchmark_rows(new, base)
    peers = [r for mid, runs in sorted(machines.items()) for r in peer_rows(mid, runs[-1])]
    return {
        "generated_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "focus": {"machine_id": new.machine_id, "machine_name": new.doc["machine"].get("name"),
                  "commit": new.label, "subject": new.doc["build"].get("subject"), "path": new.path,
                  "profile": new.doc["profile"], "started_utc": new.started,
                  "baseline_commit": base.label if base else None, "baseline_path": base.path if base else None,
                  "config": new.doc["config"], "peers": new.doc["peers"], "build": new.doc["build"]},
        "method": {"confidence": stats.CONFIDENCE, "alpha": stats.ALPHA, "noise_floor": stats.NOISE_FLOOR,
                   "min_reps": stats.MIN_REPS},
        "warnings": warnings,
        "benchmarks": rows,
        "peers": peers,
        "peer_geomeans": peer_geomeans(peers),
        "histograms": histogram_rows(new),
        "machines": [machine_row(runs) for _, runs in sorted(machines.items())],
        "heatmap": heatmap(machines),
        "history": history(machines),
        "bugs": bugs,
    }
