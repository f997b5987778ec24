"""Loading result files: JSON syntax, the committed JSON Schema, then the checks a
schema cannot express (per-benchmark consistency). Every failure is an InputError
naming the file and the field (a JSON-pointer-like path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from .errors import InputError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "result.schema.json"

_validator: jsonschema.Draft202012Validator | None = None


def validator() -> jsonschema.Draft202012Validator:
    global _validator
    if _validator is None:
        schema = json.loads(SCHEMA_PATH.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def _field(path: Any) -> str:
    parts = [str(p) for p in path]
    return "/" + "/".join(parts) if parts else "(document)"


def validate(doc: Any, path: str) -> None:
    """Raises InputError for the first (deepest-path) schema error, then checks
    that histogram arrays line up and that (workload, impl) pairs are unique."""
    errors = sorted(validator().iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        e = errors[0]
        raise InputError(path, _field(e.absolute_path), e.message)
    seen: set[tuple[str, str]] = set()
    for i, b in enumerate(doc["benchmarks"]):
        key = (b["workload"], b["impl"])
        if key in seen:
            raise InputError(path, f"/benchmarks/{i}", f"duplicate workload {key[0]!r} for impl {key[1]!r}")
        seen.add(key)
        n = len(b["samples"])
        for name, values in b.get("counters", {}).items():
            if len(values) != n:
                raise InputError(path, f"/benchmarks/{i}/counters/{name}",
                                 f"has {len(values)} values but samples has {n}")
        for name, hists in b.get("histograms", {}).items():
            for j, h in enumerate(hists):
                f = f"/benchmarks/{i}/histograms/{name}/{j}"
                if len(h["upper_ns"]) != len(h["counts"]):
                    raise InputError(path, f + "/counts", "length differs from upper_ns")
                if sum(h["counts"]) != h["count"]:
                    raise InputError(path, f + "/count", f"is {h['count']} but the counts sum to {sum(h['counts'])}")
                if any(b2 <= a for a, b2 in zip(h["upper_ns"], h["upper_ns"][1:])):
                    raise InputError(path, f + "/upper_ns", "is not strictly ascending")


def load(path: str | Path) -> dict[str, Any]:
    p = str(path)
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise InputError(p, "(file)", e.strerror or str(e)) from e
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(p, f"(line {e.lineno} column {e.colno})", f"invalid JSON: {e.msg}") from e
    validate(doc, p)
    return doc
