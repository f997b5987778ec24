"""The CSV / JSON sidecar: every number of the report, flat (CSV) and as the
model itself (JSON)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

COLUMNS = ("table", "machine_id", "commit", "section", "workload", "impl", "field", "value")


def _emit(rows: list[tuple[Any, ...]], table: str, mid: str, commit: str, section: str | None, wl: str, impl: str,
          values: dict[str, Any]) -> None:
    for k, v in values.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            rows.append((table, mid, commit, section or "", wl, impl, k, v))


def csv_text(model: dict[str, Any]) -> str:
    rows: list[tuple[Any, ...]] = []
    f = model["focus"]
    for b in model["benchmarks"]:
        s = dict(b["summary"])
        s["outliers"] = len(s["outliers"])
        _emit(rows, "benchmark", f["machine_id"], f["commit"], b["section"], b["workload"], "gmpkit", s)
        for i, v in enumerate(b["samples"]):
            rows.append(("sample", f["machine_id"], f["commit"], b["section"], b["workload"], "gmpkit", f"rep{i}", v))
        _emit(rows, "counter", f["machine_id"], f["commit"], b["section"], b["workload"], "gmpkit", b["counters"])
        if b["comparison"]:
            _emit(rows, "vs_baseline", f["machine_id"], f["commit"], b["section"], b["workload"], "gmpkit",
                  b["comparison"])
    for p in model["peers"]:
        _emit(rows, "peer_ratio", p["machine_id"], p["commit"], p["section"], p["workload"], p["peer"], p)
        _emit(rows, "peer_counter", p["machine_id"], p["commit"], p["section"], p["workload"], p["peer"],
              p["peer_counters"])
    for g in model["peer_geomeans"]:
        _emit(rows, "peer_geomean", g["machine_id"], "", g["section"], "", g["peer"], g)
    for h in model["histograms"]:
        _emit(rows, "latency", f["machine_id"], f["commit"], h["section"], f"{h['workload']}:{h['name']}", h["impl"],
              h["marks"])
    for s in model["history"]:
        for p in s["points"]:
            _emit(rows, "history", s["machine_id"], p["commit"], s["section"], s["workload"], "gmpkit", p)
        for c in s["change_points"]:
            _emit(rows, "change_point", s["machine_id"], c["commit"], s["section"], s["workload"], "gmpkit", c)
    hm = model["heatmap"]
    for wl, row in zip(hm["workloads"], hm["ratio"]):
        for mid, v in zip(hm["machines"], row):
            if v is not None:
                rows.append(("heatmap", mid, "", "", wl, "gmpkit", "ratio_vs_baseline", v))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    return out.getvalue()


def json_text(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=1, allow_nan=False, default=str)
