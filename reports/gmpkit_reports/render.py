"""reports/render [--data DIR] [--baseline FILE|auto] [--out FILE] [--machine ID] [--bugs FILE]

Renders one self-contained HTML report (plotly.js embedded: it opens offline
from file://) plus OUT.csv and OUT.json sidecars. Focus: the newest run in the
data tree (or the newest on --machine, or on the baseline file's machine); its
baseline: the previous commit on the same machine (auto) or FILE. Any malformed
input stops with `FILE: FIELD: message` and writes nothing."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import jinja2
import plotly.offline

from . import charts, dataset, model, sidecar
from .errors import InputError

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO / "reports" / "data"
DEFAULT_OUT = REPO / "build" / "reports" / "report.html"
ANCHORS = ("summary", "preemption", "stw", "runq", "scheduling", "syscalls", "peers", "machines", "history", "bugs")


def load_bugs(path: str) -> list[dict[str, Any]]:
    """The #bugs table: ci/bug-hunt's JSON ({"bugs": [...]}, one row a bug and
    a column a technique, via fuzz/bugs/hunt.py), or a ready JSON array of rows."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(path, "(file)", str(e)) from e
    if isinstance(doc, dict) and isinstance(doc.get("bugs"), list):
        sys.path.insert(0, str(REPO / "fuzz"))
        from bugs.hunt import Hunt, rows  # noqa: E402  (fuzz/bugs/hunt.py owns the format)
        try:
            return rows(Hunt.from_json(doc))
        except (KeyError, TypeError) as e:
            raise InputError(path, "bugs", f"not a ci/bug-hunt result: {e}") from e
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise InputError(path, "(document)",
                         "expected ci/bug-hunt's JSON or a JSON array of objects (one row of the bug-hunt table each)")
    return doc


def _fmt_ns(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.3g} ns"


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{digits}g}"


def build_charts(m: dict[str, Any]) -> dict[str, Any]:
    names = {x["id"]: x["name"] for x in m["machines"]}
    ch: dict[str, Any] = {"sections": {}, "peers": {}, "histograms": {}, "history": []}
    for sec in model.SECTIONS:
        rows = [b for b in m["benchmarks"] if b["section"] == sec]
        if rows:
            ch["sections"][sec] = charts.samples_box(rows, f"chart-{sec}-samples",
                                                     f"{sec}: every repetition (box: IQR, Tukey whiskers)")
    runq = [b for b in m["benchmarks"] if b["section"] == "runq"]
    ch["runq_bar"] = charts.medians_bar(runq, "chart-runq-medians", "run-queue fast path: ns per op") if runq else ""
    focus = m["focus"]["machine_id"]
    for sec in model.SECTIONS:
        rows = [p for p in m["peers"] if p["section"] == sec and p["machine_id"] == focus]
        if rows:
            ch["peers"][sec] = charts.peer_ratios(rows, f"chart-peers-{sec}", f"{sec}: gmpkit / peer (95 % CI)")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for h in m["histograms"]:
        groups.setdefault((h["workload"], h["name"]), []).append(h)
    for i, ((wl, name), hs) in enumerate(sorted(groups.items())):
        ch["histograms"].setdefault(hs[0]["section"], []).append(
            charts.latency_histogram(hs, f"chart-hist-{i}", f"{wl} — {name}"))
    ch["heatmap"] = charts.heatmap(m["heatmap"], names, "chart-heatmap",
                                   "newest run / previous commit, per machine") if m["heatmap"]["workloads"] else ""
    by_wl: dict[str, list[dict[str, Any]]] = {}
    for s in m["history"]:
        by_wl.setdefault(s["workload"], []).append(s)
    for i, (wl, series) in enumerate(sorted(by_wl.items())):
        ch["history"].append({"workload": wl, "html": charts.history(series, names, f"chart-history-{i}", wl),
                              "change_points": [(s["machine_id"], c) for s in series for c in s["change_points"]]})
    return ch


def render_html(m: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("gmpkit_reports", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    env.filters["ns"] = _fmt_ns
    env.filters["num"] = _fmt
    env.globals["zip"] = zip
    tpl = env.get_template("report.html.j2")
    return tpl.render(m=m, ch=build_charts(m), sections=model.SECTIONS, anchors=ANCHORS,
                      peer_names=model.PEER_NAMES, plotly_js=plotly.offline.get_plotlyjs())


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def select(machines: dict[str, list[dataset.Run]], baseline: str, machine: str | None
           ) -> tuple[dataset.Run, dataset.Run | None]:
    if baseline != "auto":
        base = dataset.load_run(baseline)
        if base.machine_id not in machines:
            raise InputError(baseline, "/machine/id", f"machine {base.machine_id} has no runs in the data tree")
        if machine and machine != base.machine_id:
            raise InputError(baseline, "/machine/id", f"is {base.machine_id}, not --machine {machine}")
        new = machines[base.machine_id][-1]
        if new.path == base.path or new.started <= base.started:
            raise InputError(baseline, "/started_utc", f"is not older than the newest run {new.path}")
        return new, base
    if machine:
        if machine not in machines:
            raise InputError("--machine", "(argument)", f"no runs for machine {machine}; have {sorted(machines)}")
        runs = machines[machine]
    else:
        runs = max(machines.values(), key=lambda rs: rs[-1].started)
    return runs[-1], dataset.auto_baseline(runs, runs[-1])


def render(data: str, baseline: str, out: str, machine: str | None = None, bugs: str | None = None) -> dict[str, Any]:
    machines = dataset.load_tree(data)
    new, base = select(machines, baseline, machine)
    m = model.build(machines, new, base, load_bugs(bugs) if bugs else None)
    html = render_html(m)
    csv_t, json_t = sidecar.csv_text(m), sidecar.json_text(m)
    outp = Path(out)
    _write_atomic(outp.with_suffix(".csv"), csv_t)
    _write_atomic(outp.with_suffix(".json"), json_t)
    _write_atomic(outp, html)
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="reports/render", description=__doc__.split("\n\n")[1])
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="data tree (default: reports/data)")
    ap.add_argument("--baseline", default="auto", help="FILE or auto (previous commit on the same machine)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="HTML file (default: build/reports/report.html)")
    ap.add_argument("--machine", help="machine id to focus on (default: the one with the newest run)")
    ap.add_argument("--bugs", help="JSON array of the fuzz bug-hunt table rows (shown under #bugs)")
    args = ap.parse_args(argv)
    try:
        m = render(args.data, args.baseline, args.out, args.machine, args.bugs)
    except InputError as e:
        print(f"reports/render: error: {e}", file=sys.stderr)
        return 2
    print(f"reports/render: {Path(args.out).resolve()} ({len(m['benchmarks'])} benchmarks, "
          f"{len(m['machines'])} machines; focus {m['focus']['machine_id']} {m['focus']['commit']}, "
          f"baseline {m['focus']['baseline_commit']})")
    return 0
