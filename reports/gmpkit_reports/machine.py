"""The machine fingerprint every gmpkit result file carries (ci/report here,
gmpkit-stress through `reports/machine`): CPU model and flags, sockets / NUMA
nodes / cores / SMT and the topology (hwloc), caches, memory, kernel,
hypervisor, cpufreq governor and turbo where readable, load averages.

`id` is a stable hash of the hardware part only (kernel, load, governor change
without changing the id).

CLI: python3 -m gmpkit_reports.machine [--name NAME]  -> JSON on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _run(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None


def _cpuinfo() -> list[dict[str, str]]:
    text = _read("/proc/cpuinfo") or ""
    procs: list[dict[str, str]] = []
    for block in text.split("\n\n"):
        entry: dict[str, str] = {}
        for line in block.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                entry[k.strip()] = v.strip()
        if entry:
            procs.append(entry)
    return procs


def _caches() -> dict[str, str]:
    out: dict[str, str] = {}
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for idx in sorted(base.glob("index*")) if base.exists() else []:
        level, ctype, size = (_read(str(idx / f)) for f in ("level", "type", "size"))
        if level and ctype and size:
            name = f"L{level}" + {"Data": "d", "Instruction": "i", "Unified": ""}.get(ctype, ctype)
            shared = _read(str(idx / "shared_cpu_list"))
            out[name] = size + (f" (cpus {shared})" if shared else "")
    return out


def _numa_nodes() -> int:
    nodes = list(Path("/sys/devices/system/node").glob("node[0-9]*"))
    return max(1, len(nodes))


def load_avg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def hardware() -> dict[str, Any]:
    procs = _cpuinfo()
    first = procs[0] if procs else {}
    flags = sorted(set(first.get("flags", "").split()))
    sockets = len({p.get("physical id", "0") for p in procs}) or 1
    cores = len({(p.get("physical id", "0"), p.get("core id", str(i))) for i, p in enumerate(procs)}) or 1
    threads = len(procs) or (os.cpu_count() or 1)
    topo = _run(["hwloc-ls", "--of", "console", "--no-io", "--no-useless-caches"]) or _run(["lscpu"]) or ""
    hv_vendor = None
    lscpu = _run(["lscpu"]) or ""
    for line in lscpu.splitlines():
        if line.startswith("Hypervisor vendor:"):
            hv_vendor = line.split(":", 1)[1].strip()
    if hv_vendor is None and "hypervisor" in flags:
        hv_vendor = "unknown"
    mem = 0
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    return {
        "arch": platform.machine(),
        "cpu_model": first.get("model name", platform.processor() or "unknown"),
        "cpu_flags": flags,
        "sockets": sockets,
        "numa_nodes": _numa_nodes(),
        "cores": cores,
        "threads": threads,
        "smt": threads > cores,
        "caches": _caches(),
        "topology": topo,
        "hypervisor_vendor": hv_vendor,
        "memory_bytes": mem,
    }


def identity(hw: dict[str, Any]) -> dict[str, Any]:
    """The hardware fields that identify a machine: all but the topology text,
    which carries memory sizes hwloc reports differently from run to run (the
    same VM printed "16GB" and "22GB" with one MemTotal)."""
    return {k: v for k, v in hw.items() if k != "topology"}


def machine_id(hw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity(hw), sort_keys=True).encode()).hexdigest()[:12]


def _turbo() -> str | None:
    no_turbo = _read("/sys/devices/system/cpu/intel_pstate/no_turbo")
    if no_turbo is not None:
        return "off" if no_turbo == "1" else "on"
    boost = _read("/sys/devices/system/cpu/cpufreq/boost")
    if boost is not None:
        return "on" if boost == "1" else "off"
    return None


def fingerprint(name: str | None = None) -> dict[str, Any]:
    """The `machine` block of a result file; load_avg_end equals the start
    until the caller sets it at the end of the run."""
    hw = hardware()
    load = load_avg()
    return {
        "id": machine_id(hw),
        "name": name or os.environ.get("GMPKIT_MACHINE_NAME") or platform.node(),
        "hardware": hw,
        "kernel": platform.release(),
        "hypervisor": hw["hypervisor_vendor"] is not None,
        "governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "turbo": _turbo(),
        "load_avg_start": load,
        "load_avg_end": load,
        "online_cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="reports/machine", description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", help="human label (default: $GMPKIT_MACHINE_NAME or the hostname)")
    args = ap.parse_args(argv)
    json.dump(fingerprint(args.name), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
