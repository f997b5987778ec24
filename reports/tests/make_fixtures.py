#!/usr/bin/python3
"""Writes the fixed sample data the tests use (reports/tests/fixtures/data):
two machines, three commits each, peers (Go, oneTBB, Boost.Fiber), latency
histograms. Deterministic (seeded); the third commit on machine A makes
`skynet` 25 % slower and `runq/put_get` 20 % faster, so the report has a known
regression, improvement and change point. Re-run after a schema change:
    /usr/bin/python3 reports/tests/make_fixtures.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gmpkit_reports import machine, schema  # noqa: E402
from gmpkit_reports.dataset import result_path  # noqa: E402

OUT = Path(__file__).resolve().parent / "fixtures" / "data"
COMMITS = [("1111111aaaa", "2026-11-01T10:00:00Z"), ("2222222bbbb", "2026-11-02T10:00:00Z"),
           ("3333333cccc", "2026-11-03T10:00:00Z")]
# workload, section, metric, base ns, peers {impl: factor}, histogram?
WORKLOADS: list[tuple[str, str, str, float, dict[str, float], bool]] = [
    ("preempt_latency/async", "preemption", "p50 request->switch", 9000, {}, True),
    ("hog_timer_lateness/procs:2", "preemption", "p50 lateness of a 1 ms sleep", 60000, {"go": 1.4}, True),
    ("stw/procs:2/hog:1", "stw", "p50 pause", 12000, {"go": 0.8}, True),
    ("runq/put_get", "runq", "ns per op", 4.0, {}, False),
    ("runq/steal_half", "runq", "ns per op", 90.0, {}, False),
    ("spawn_join/procs:1", "scheduling", "time per goroutine", 150.0, {"go": 1.6, "tbb": 0.5}, False),
    ("skynet", "scheduling", "time per goroutine", 250.0, {"go": 1.3, "tbb": 0.4, "boost_fiber": 0.9}, False),
    ("yield/procs:1", "scheduling", "time per yield", 60.0, {"go": 1.5, "boost_fiber": 0.7}, False),
    ("chan_pingpong/procs:1", "scheduling", "round trip", 200.0, {"go": 1.2, "boost_fiber": 0.8}, False),
    ("syscall/fast_path", "syscalls", "ns per call", 30.0, {}, False),
]


def hist(rng: np.random.Generator, median_ns: float, n: int) -> dict[str, Any]:
    samples = rng.lognormal(np.log(median_ns), 0.5, n)
    upper = [float(2 ** (e + s / 8)) for e in range(6, 26) for s in range(1, 9)]
    idx = np.searchsorted(upper, samples)
    counts = np.bincount(idx, minlength=len(upper))[: len(upper)]
    return {"upper_ns": upper, "counts": [int(c) for c in counts], "count": int(counts.sum()),
            "min_ns": float(samples.min()), "max_ns": float(samples.max())}


def hardware(name: str, threads: int) -> dict[str, Any]:
    return {"arch": "x86_64", "cpu_model": f"Fixture CPU {name}", "cpu_flags": ["avx2", "sse4_2"], "sockets": 1,
            "numa_nodes": 1, "cores": threads // 2 or 1, "threads": threads, "smt": threads > 1,
            "caches": {"L1d": "32K", "L2": "1M", "L3": "32M"}, "topology": f"Machine (fixture {name})\n  Package L#0",
            "hypervisor_vendor": None if name == "bare" else "KVM", "memory_bytes": 16 * 2**30}


def run_doc(rng: np.random.Generator, mname: str, threads: int, ci: int, speed: float) -> dict[str, Any]:
    hw = hardware(mname, threads)
    commit, started = COMMITS[ci]
    if mname == "vm":  # the vm ran an hour earlier: the bare machine's newest run is the report's focus
        started = started.replace("T10:", "T09:")
    reps = 8
    benches = []
    for wl, sec, metric, base, peers, has_hist in WORKLOADS:
        level = base * speed
        if mname == "bare" and ci == 2 and wl == "skynet":
            level *= 1.25
        if mname == "bare" and ci == 2 and wl == "runq/put_get":
            level *= 0.8
        for impl, factor in [("gmpkit", 1.0)] + sorted(peers.items()):
            v = level * factor
            samples = [float(x) for x in v * rng.lognormal(0, 0.02, reps)]
            if impl == "gmpkit" and wl == "spawn_join/procs:1":
                samples[3] *= 1.6  # one Tukey outlier
            b: dict[str, Any] = {"workload": wl, "impl": impl, "section": sec, "source": f"fixture {impl}",
                                 "unit": "ns", "metric": metric, "samples": samples,
                                 "counters": {"p99_ns": [s * 4 for s in samples]} if has_hist else {}}
            if has_hist:
                b["histograms"] = {"latency": [hist(rng, v, 300) for _ in range(reps)]}
            benches.append(b)
    return {
        "schema_version": 1, "profile": "fixture", "started_utc": started, "finished_utc": started[:-3] + "09Z",
        "machine": {"id": machine.machine_id(hw), "name": f"fixture-{mname}", "hardware": hw, "kernel": "6.1.0",
                    "hypervisor": hw["hypervisor_vendor"] is not None, "governor": "performance", "turbo": None,
                    "load_avg_start": [0.1, 0.1, 0.1], "load_avg_end": [0.2, 0.1, 0.1], "online_cpus": threads},
        "build": {"commit": commit, "commit_time_utc": started, "subject": f"fixture commit {ci + 1}", "dirty": False,
                  "build_type": "Release", "preset": "release", "checked": False, "compiler": "GNU 12.2.0",
                  "flags": "-O3 -DNDEBUG"},
        "config": {"procs": threads, "time_slice_us": 10000, "min_slice_us": 0, "async_preempt": True},
        "peers": {"go": {"available": True, "version": "go1.19.8"},
                  "tbb": {"available": True, "version": "2021.8.0"},
                  "boost_fiber": {"available": True, "version": "1.74.0"},
                  "std_thread": {"available": False, "reason": "not in the fixture"}},
        "benchmarks": benches,
    }


def main() -> None:
    rng = np.random.default_rng(7)
    for mname, threads, speed in (("vm", 2, 1.7), ("bare", 8, 1.0)):
        for ci in range(3):
            doc = run_doc(rng, mname, threads, ci, speed)
            schema.validate(doc, "(generated)")
            p = result_path(OUT, doc)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
            print(p)


if __name__ == "__main__":
    main()
