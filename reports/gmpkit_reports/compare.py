"""reports/compare NEW.json BASE.json [--fail-on-regression 10%]

A/B of two result files from the same machine (gmpkit benchmarks present in
both): Mann-Whitney U per benchmark, Benjamini-Hochberg per suite, a table on
stdout. Exit status: 0 no significant regression beyond the threshold, 1 at
least one (significant after BH AND median slower by more than the threshold),
2 bad input (the message names the file and the field)."""

from __future__ import annotations

import argparse
import sys

from . import dataset, stats
from .errors import InputError


def parse_percent(text: str) -> float:
    t = text.strip()
    try:
        v = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage like 10% or 0.1, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError("threshold must be >= 0")
    return v


def compare_runs(new: dataset.Run, base: dataset.Run) -> list[tuple[str, str, stats.Comparison]]:
    if new.machine_id != base.machine_id:
        raise InputError(base.path, "/machine/id",
                         f"is {base.machine_id} but {new.path} is {new.machine_id}: compare runs of one machine "
                         "(use render for cross-machine ratios)")
    nb, bb = new.benchmarks(), base.benchmarks()
    common = sorted(set(nb) & set(bb))
    if not common:
        raise InputError(new.path, "/benchmarks", f"no gmpkit workload in common with {base.path}")
    rows = [(nb[w]["section"], w, stats.compare(nb[w]["samples"], bb[w]["samples"])) for w in common]
    for sec in {r[0] for r in rows}:
        stats.adjust([c for s, _, c in rows if s == sec])
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="reports/compare", description=__doc__.split("\n\n")[1])
    ap.add_argument("new")
    ap.add_argument("base")
    ap.add_argument("--fail-on-regression", type=parse_percent, default=None, metavar="PCT",
                    help="exit 1 when a benchmark is significantly slower by more than PCT (e.g. 10%%)")
    args = ap.parse_args(argv)
    try:
        rows = compare_runs(dataset.load_run(args.new), dataset.load_run(args.base))
    except InputError as e:
        print(f"reports/compare: error: {e}", file=sys.stderr)
        return 2
    print(f"{'suite':11s} {'workload':44s} {'ratio':>7s} {'95% CI':>17s} {'p':>7s} {'q(BH)':>7s} {'r':>6s}  verdict")
    regressions = []
    for sec, wl, c in sorted(rows):
        print(f"{sec:11s} {wl:44s} {c.ratio:7.3f} [{c.ratio_low:7.3f},{c.ratio_high:7.3f}] {c.p:7.3g} {c.q:7.3g} "
              f"{c.effect:6.2f}  {c.verdict}")
        if args.fail_on_regression is not None and c.significant and c.ratio > 1.0 + args.fail_on_regression:
            regressions.append((wl, c))
    if regressions:
        for wl, c in regressions:
            print(f"REGRESSION: {wl}: {100 * (c.ratio - 1):.1f} % slower (q={c.q:.3g})", file=sys.stderr)
        return 1
    return 0
