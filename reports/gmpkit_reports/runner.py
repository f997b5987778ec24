"""The interleaved benchmark run behind ci/report (python3 -m gmpkit_reports.runner).

For each repetition, for each workload: the gmpkit benchmark (one Google
Benchmark process, one row), then each peer program -- A B A B, all in this one
invocation, so a ratio never compares two separate invocations. Prints a
progress line per workload and writes one result file (validated against the
schema) to <data>/<machine-id>/<UTC timestamp>-<commit>.json."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import dataset, machine, schema, suite
from .errors import InputError

REPO = Path(__file__).resolve().parents[2]
_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class RunError(Exception):
    pass


def _utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True,
                              timeout=30).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None


def build_info(build_dir: Path) -> dict[str, Any]:
    cache: dict[str, str] = {}
    cache_file = build_dir / "CMakeCache.txt"
    if not cache_file.exists():
        raise RunError(f"{cache_file}: missing (configure the release preset first)")
    for line in cache_file.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_]+):[A-Z]+=(.*)$", line)
        if m:
            cache[m.group(1)] = m.group(2)
    cxx = cache.get("CMAKE_CXX_COMPILER", "c++")
    try:
        version = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        version = cxx
    bt = cache.get("CMAKE_BUILD_TYPE", "")
    flags = " ".join(x for x in (cache.get("CMAKE_CXX_FLAGS", ""), cache.get(f"CMAKE_CXX_FLAGS_{bt.upper()}", ""))
                     if x)
    commit = _git("rev-parse", "HEAD") or "0000000"
    dirty = bool(_git("status", "--porcelain", "--", "runtime", "stress", "CMakeLists.txt"))
    return {"commit": commit, "commit_time_utc": _git("show", "-s", "--format=%cI", "HEAD"),
            "subject": _git("show", "-s", "--format=%s", "HEAD"), "dirty": dirty, "build_type": bt,
            "preset": build_dir.name, "checked": cache.get("GMPKIT_CHECKED", "OFF").upper() in ("ON", "1", "TRUE"),
            "compiler": version, "flags": flags}


# Seconds one benchmark or peer process may run. The C++ peers' own watchdog
# (stress/bench/peers/peer_result.hpp, --timeout) ends a hung run sooner, at 120 s.
PROCESS_TIMEOUT_S = 180.0


def _text(out: str | bytes | None) -> str:
    return out.decode(errors="replace") if isinstance(out, bytes) else (out or "")


def _run(cmd: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> str:
    timeout = PROCESS_TIMEOUT_S if timeout is None else timeout
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as e:
        err = _text(e.stderr)[-3000:]
        raise RunError(f"{' '.join(cmd)}: no result after {timeout:g} s (hung?); killed; the run stops here"
                       + (f"\n{err}" if err else "")) from e
    except OSError as e:
        raise RunError(f"{' '.join(cmd)}: {e}") from e
    if p.returncode != 0:
        raise RunError(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr[-3000:]}")
    return p.stdout


def _last_histograms(path: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                h = json.loads(line)
                out[h.pop("name")] = h  # the last call of the benchmark function is the measured one
    return out


def run_gbench(exe: Path, g: suite.GBench, min_time: float) -> tuple[float, dict[str, float], dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        hist_file = Path(tmp) / "hist.jsonl"
        out = _run([str(exe), f"--benchmark_filter={g.filter}", "--benchmark_format=json",
                    f"--benchmark_min_time={min_time}", "--benchmark_repetitions=1"],
                   {"GMPKIT_BENCH_HIST_OUT": str(hist_file)})
        hists = _last_histograms(hist_file)
    doc = json.loads(out)
    rows = [b for b in doc["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    if len(rows) != 1:
        raise RunError(f"{exe.name} --benchmark_filter={g.filter}: {len(rows)} rows "
                       f"({[b['name'] for b in rows]}); the suite needs exactly one")
    row = rows[0]
    if row.get("error_occurred"):
        raise RunError(f"{exe.name} {row['name']}: {row.get('error_message')}")
    if g.value == "real_time":
        value = float(row["real_time"]) * _UNIT_NS[row.get("time_unit", "ns")]
    else:
        value = float(row[g.value]) * g.scale
    counters = {c: float(row[c]) for c in g.counters}
    missing = [h for h in g.histograms if h not in hists]
    if missing:
        raise RunError(f"{exe.name} {row['name']}: no histogram {missing} written to $GMPKIT_BENCH_HIST_OUT")
    return value, counters, {h: hists[h] for h in g.histograms}


def run_peer(path: Path, p: suite.Peer, min_time: float) -> tuple[float, dict[str, float], dict[str, Any], str]:
    args = list(p.args)
    if p.impl == "go" and p.program != "go/hoglate" and p.program != "go/stw":
        args += ["-t", f"{min_time}s"]
    elif p.impl != "go":
        args += ["--t", str(min_time)]
    env = {k: v for k, v in p.env if not (k == "GOMAXPROCS" and v == "0")}
    out = _run([str(path), *args], env).strip().splitlines()
    if not out:
        raise RunError(f"{path}: printed no result line")
    line = json.loads(out[-1])
    value = float(line["ns_per_op"] if p.value == "ns_per_op" else line["counters"][p.value])
    have = line.get("counters") or {}
    missing = [c for c in p.counters if c not in have]
    if missing:
        raise RunError(f"{path}: its result line has no counter {missing}")
    counters = {c: float(have[c]) for c in p.counters}
    hists = {h: line["histograms"][h] for h in p.histograms}
    return value, counters, hists, str(line.get("version"))


def peer_path(p: suite.Peer, build_dir: Path, go_bin: Path) -> Path:
    if p.program.startswith("go/"):
        return go_bin / p.program[3:]
    return build_dir / "stress" / "bench" / "peers" / p.program


def _fmt(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def run_suite(profile: suite.Profile, build_dir: Path, go_bin: Path, name_filter: str | None,
              log: Any = sys.stdout) -> dict[str, Any]:
    fp = machine.fingerprint()
    started = _utc()
    t_start = time.monotonic()
    build = build_info(build_dir)
    config = json.loads(_run([str(build_dir / "stress" / "bench" / "config_dump")]))
    wls = [w for w in suite.workloads(profile.name) if not name_filter or re.search(name_filter, w.name)]
    if not wls:
        raise RunError(f"no workload matches {name_filter!r}")
    # Peers that are not built are listed as absent; the rest must run.
    peers: dict[str, dict[str, Any]] = {}
    for w in wls:
        for p in w.peers:
            path = peer_path(p, build_dir, go_bin)
            if not path.exists():
                peers.setdefault(p.impl, {"available": False, "version": None, "reason": f"{path} not built"})
    results: dict[tuple[str, str], dict[str, Any]] = {}

    def add(w: suite.Workload, impl: str, source: str, value: float, counters: dict[str, float],
            hists: dict[str, Any]) -> None:
        b = results.setdefault((w.name, impl), {"workload": w.name, "impl": impl, "section": w.section,
                                                "source": source, "unit": "ns", "metric": w.metric, "samples": [],
                                                "counters": {}, "histograms": {}})
        b["samples"].append(value)
        for k, v in counters.items():
            b["counters"].setdefault(k, []).append(v)
        for k, h in hists.items():
            b["histograms"].setdefault(k, []).append(h)

    total = profile.repetitions * len(wls)
    step = 0
    for rep in range(profile.repetitions):
        for w in wls:
            step += 1
            exe = build_dir / "stress" / "bench" / w.gmpkit.exe
            value, counters, hists = run_gbench(exe, w.gmpkit, profile.min_time)
            add(w, "gmpkit", f"{w.gmpkit.exe} {w.gmpkit.filter}", value, counters, hists)
            parts = [f"gmpkit {_fmt(value)}"]
            for p in w.peers:
                path = peer_path(p, build_dir, go_bin)
                if not path.exists():
                    continue
                pv, pc, ph, version = run_peer(path, p, profile.min_time)
                peers[p.impl] = {"available": True, "version": version, "reason": None}
                add(w, p.impl, f"{p.program} {' '.join(p.args)}".strip(), pv, pc, ph)
                parts.append(f"{p.impl} {_fmt(pv)}")
            print(f"[{time.monotonic() - t_start:6.0f} s] rep {rep + 1}/{profile.repetitions} "
                  f"[{step}/{total}] {w.section:10s} {w.name:40s} {'  '.join(parts)}", file=log, flush=True)
    fp["load_avg_end"] = machine.load_avg()
    for b in results.values():
        if not b["histograms"]:
            del b["histograms"]
        if not b["counters"]:
            del b["counters"]
    return {"schema_version": 1, "profile": profile.name, "started_utc": started, "finished_utc": _utc(),
            "machine": fp, "build": build, "config": config, "peers": peers,
            "benchmarks": list(results.values())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m gmpkit_reports.runner", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=sorted(suite.PROFILES), default="quick")
    ap.add_argument("--build-dir", default=str(REPO / "build" / "release"))
    ap.add_argument("--go-bin", default=None, help="Go peer binaries (default: BUILD_DIR/peers-go)")
    ap.add_argument("--data", default=str(REPO / "reports" / "data"))
    ap.add_argument("--filter", help="regex on workload names (a partial run)")
    ap.add_argument("--repetitions", type=int, help="override the profile's repetitions")
    args = ap.parse_args(argv)
    prof = suite.PROFILES[args.profile]
    if args.repetitions:
        prof = suite.Profile(prof.name, args.repetitions, prof.min_time)
    build_dir = Path(args.build_dir)
    go_bin = Path(args.go_bin) if args.go_bin else build_dir / "peers-go"
    try:
        doc = run_suite(prof, build_dir, go_bin, args.filter)
        path = dataset.result_path(Path(args.data), doc)
        schema.validate(doc, str(path))
    except (RunError, InputError) as e:
        print(f"runner: error: {e}", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"runner: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
