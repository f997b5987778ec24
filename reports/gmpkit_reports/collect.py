"""reports/collect [--out DIR] DIR...

Merges result trees from several machines (e.g. CI artifacts) into one data
directory for render: every file is validated and copied to
OUT/<machine-id>/<timestamp>-<commit>.json. The same file seen twice is
skipped; two different files for the same path are an error. Nothing is
written unless every input is valid."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

from . import dataset
from .errors import InputError

REPO = Path(__file__).resolve().parents[2]


def plan(inputs: list[str], out: Path) -> list[tuple[Path, Path]]:
    copies: dict[Path, Path] = {}
    for d in inputs:
        root = Path(d)
        if not root.is_dir():
            raise InputError(d, "(directory)", "does not exist or is not a directory")
        files = sorted(root.rglob("*.json"))
        if not files:
            raise InputError(d, "(directory)", "holds no result files")
        for f in files:
            run = dataset.load_run(f)
            dest = dataset.result_path(out, run.doc)
            if dest in copies and not filecmp.cmp(copies[dest], f, shallow=False):
                raise InputError(str(f), "(file)", f"differs from {copies[dest]} but both map to {dest}")
            if dest.exists() and not filecmp.cmp(dest, f, shallow=False):
                raise InputError(str(f), "(file)", f"differs from the existing {dest}")
            copies.setdefault(dest, f)
    return [(src, dst) for dst, src in sorted(copies.items())]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="reports/collect", description=__doc__.split("\n\n")[1])
    ap.add_argument("--out", default=str(REPO / "reports" / "data"), help="data tree to merge into")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args(argv)
    out = Path(args.out)
    try:
        copies = plan(args.dirs, out)
    except InputError as e:
        print(f"reports/collect: error: {e}", file=sys.stderr)
        return 2
    new = 0
    for src, dst in copies:
        if dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        new += 1
    print(f"reports/collect: {len(copies)} result files, {new} new, in {out}")
    return 0
