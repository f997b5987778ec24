from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gmpkit_reports import dataset, machine, schema
from gmpkit_reports.errors import InputError


def write(tmp: Path, doc: Any, name: str = "r.json") -> Path:
    p = tmp / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return p


def test_every_fixture_validates(runs: dict[str, list[Path]]) -> None:
    assert len(runs) == 2 and all(len(v) == 3 for v in runs.values())
    for files in runs.values():
        for f in files:
            schema.load(f)


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["machine"].pop("hardware"), "/machine"),
    (lambda d: d["benchmarks"][0].__setitem__("samples", []), "/benchmarks/0/samples"),
    (lambda d: d["benchmarks"][1].__setitem__("impl", "rust"), "/benchmarks/1/impl"),
    (lambda d: d["build"].__setitem__("commit", "NOT-A-SHA"), "/build/commit"),
    (lambda d: d["machine"].__setitem__("load_avg_start", [1.0]), "/machine/load_avg_start"),
    (lambda d: d["benchmarks"][0]["samples"].__setitem__(0, "fast"), "/benchmarks/0/samples/0"),
    (lambda d: d.__setitem__("extra", 1), "(document)"),
])
def test_schema_errors_name_file_and_field(tmp_path: Path, doc: dict[str, Any], mutate: Any, field: str) -> None:
    d = copy.deepcopy(doc)
    mutate(d)
    p = write(tmp_path, d)
    with pytest.raises(InputError) as e:
        schema.load(p)
    assert e.value.path == str(p)
    assert e.value.field == field
    assert str(p) in str(e.value) and field in str(e.value)


def test_consistency_errors(tmp_path: Path, doc: dict[str, Any]) -> None:
    hist_i = next(i for i, b in enumerate(doc["benchmarks"]) if b.get("histograms"))
    cases = [
        (lambda d: d["benchmarks"][hist_i]["histograms"]["latency"][0]["counts"].append(1),
         f"/benchmarks/{hist_i}/histograms/latency/0/counts"),
        (lambda d: d["benchmarks"][hist_i]["histograms"]["latency"][0].__setitem__("count", 1),
         f"/benchmarks/{hist_i}/histograms/latency/0/count"),
        (lambda d: d["benchmarks"][hist_i]["counters"]["p99_ns"].pop(),
         f"/benchmarks/{hist_i}/counters/p99_ns"),
        (lambda d: d["benchmarks"].append(copy.deepcopy(d["benchmarks"][0])), f"/benchmarks/{len(doc['benchmarks'])}"),
    ]
    for mutate, field in cases:
        d = copy.deepcopy(doc)
        mutate(d)
        with pytest.raises(InputError) as e:
            schema.load(write(tmp_path, d))
        assert e.value.field == field


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, '{\n "schema_version": 1,\n oops\n}')
    with pytest.raises(InputError) as e:
        schema.load(p)
    assert "line 3" in e.value.field and "invalid JSON" in str(e.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        schema.load(tmp_path / "nope.json")
    assert e.value.field == "(file)"


def test_tree_rejects_file_in_wrong_machine_folder(tmp_path: Path, bare: list[Path]) -> None:
    wrong = tmp_path / "0123456789ab"
    wrong.mkdir()
    (wrong / bare[0].name).write_text(bare[0].read_text())
    with pytest.raises(InputError) as e:
        dataset.load_tree(tmp_path)
    assert e.value.field == "/machine/id" and "0123456789ab" in str(e.value)


def test_tree_rejects_bad_file_name(tmp_path: Path, bare: list[Path]) -> None:
    d = tmp_path / bare[0].parent.name
    d.mkdir()
    (d / "latest.json").write_text(bare[0].read_text())
    with pytest.raises(InputError) as e:
        dataset.load_tree(tmp_path)
    assert e.value.field == "(file name)"


def test_machine_fingerprint_fits_schema_and_id_is_stable(doc: dict[str, Any]) -> None:
    fp = machine.fingerprint("test")
    assert fp["id"] == machine.fingerprint("other")["id"] == machine.machine_id(fp["hardware"])
    d = copy.deepcopy(doc)
    d["machine"] = fp
    schema.validate(d, "(fingerprint)")
    assert fp["hardware"]["threads"] >= 1 and fp["hardware"]["cpu_model"]
