"""The runner against fake benchmark executables: interleaving, value
extraction (real_time units, counters), histograms via $GMPKIT_BENCH_HIST_OUT,
peers, and a schema-valid result; a failing benchmark is an error."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from gmpkit_reports import runner, schema, suite

GBENCH = r"""#!/bin/sh
echo "$(basename "$0") $*" >> "$LOG"
if [ -n "$GMPKIT_BENCH_HIST_OUT" ]; then
  echo '{"name":"pause","upper_ns":[9],"counts":[5],"count":5,"min_ns":9,"max_ns":9}' >> "$GMPKIT_BENCH_HIST_OUT"
  echo '{"name":"pause","upper_ns":[1023,1151],"counts":[3,1],"count":4,"min_ns":1000,"max_ns":1100}' >> "$GMPKIT_BENCH_HIST_OUT"
fi
echo '{"context": {}, "benchmarks": ['
echo ' {"name": "BM_X/real_time", "run_type": "iteration", "real_time": 1.5, "time_unit": "us", "pause_p50_ns": 1023}'
echo ']}'
"""
PEER = r"""#!/bin/sh
echo "$(basename "$0") $*" >> "$LOG"
echo '{"impl":"go","version":"go1.19.8","workload":"w","ns_per_op":3000,"iterations":10,"counters":{"serial_ns":7,"x":1}}'
"""


def exe(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    build = tmp_path / "release"
    build.mkdir()
    (build / "CMakeCache.txt").write_text("CMAKE_BUILD_TYPE:STRING=Release\nCMAKE_CXX_COMPILER:FILEPATH=/bin/true\n"
                                          "CMAKE_CXX_FLAGS_RELEASE:STRING=-O3 -DNDEBUG\nGMPKIT_CHECKED:BOOL=OFF\n")
    exe(build / "stress" / "bench" / "config_dump", '#!/bin/sh\necho \'{"procs": 2, "min_slice_us": 1000}\'\n')
    exe(build / "stress" / "bench" / "fake_bench", GBENCH)
    exe(tmp_path / "go" / "peer", PEER)
    monkeypatch.setenv("LOG", str(tmp_path / "log"))
    return tmp_path


def workloads(profile: str) -> list[suite.Workload]:
    g = suite.GBench("fake_bench", "^BM_X/", histograms=("pause",), counters=("pause_p50_ns",))
    return [suite.Workload("a", "stw", "m", g, (suite.Peer("go", "go/peer", ("-x",), counters=("serial_ns",)),)),
            suite.Workload("b", "runq", "m", suite.GBench("fake_bench", "^BM_X/", "pause_p50_ns", 2.0))]


def test_interleaved_run_makes_a_valid_result(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "workloads", workloads)
    log = io.StringIO()
    doc = runner.run_suite(suite.Profile("quick", 3, 0.01), fake / "release", fake / "go", None, log)
    schema.validate(doc, "(runner)")
    calls = [line.split()[0] for line in (fake / "log").read_text().splitlines()]
    assert calls == ["fake_bench", "peer", "fake_bench"] * 3  # A B A B, per repetition
    by = {(b["workload"], b["impl"]): b for b in doc["benchmarks"]}
    assert by[("a", "gmpkit")]["samples"] == [1500.0] * 3  # 1.5 us -> ns
    assert by[("b", "gmpkit")]["samples"] == [2046.0] * 3  # counter x scale
    assert by[("a", "go")]["samples"] == [3000.0] * 3
    assert by[("a", "go")]["counters"] == {"serial_ns": [7.0] * 3}  # only the counters the suite names
    assert by[("a", "gmpkit")]["histograms"]["pause"][0]["count"] == 4  # the last line per name wins
    assert doc["peers"]["go"] == {"available": True, "version": "go1.19.8", "reason": None}
    assert doc["config"]["procs"] == 2 and doc["build"]["build_type"] == "Release"
    assert "rep 3/3" in log.getvalue() and "go 3 us" in log.getvalue()


def test_missing_peer_is_listed_absent(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "workloads", workloads)
    (fake / "go" / "peer").unlink()
    doc = runner.run_suite(suite.Profile("quick", 1, 0.01), fake / "release", fake / "go", None, io.StringIO())
    assert doc["peers"]["go"]["available"] is False and "not built" in doc["peers"]["go"]["reason"]
    assert {b["impl"] for b in doc["benchmarks"]} == {"gmpkit"}


def test_benchmark_error_stops_the_run(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "workloads", workloads)
    exe(fake / "release" / "stress" / "bench" / "fake_bench",
        '#!/bin/sh\necho \'{"benchmarks": [{"name": "BM_X", "run_type": "iteration", "error_occurred": true, '
        '"error_message": "queue lost a G"}]}\'\n')
    with pytest.raises(runner.RunError, match="queue lost a G"):
        runner.run_suite(suite.Profile("quick", 1, 0.01), fake / "release", fake / "go", None, io.StringIO())


def test_every_suite_filter_names_a_known_executable() -> None:
    exes = {p.stem for p in (Path(__file__).resolve().parents[2] / "stress" / "bench").glob("*_bench.cpp")}
    for prof in suite.PROFILES:
        ws = suite.workloads(prof)
        assert len({w.name for w in ws}) == len(ws)
        for w in ws:
            assert w.gmpkit.exe in exes, w.name
            assert w.section in ("preemption", "stw", "runq", "scheduling", "syscalls")
    assert json.dumps([w.name for w in suite.workloads("quick")])


def test_every_go_peer_names_a_program() -> None:
    go_dir = Path(__file__).resolve().parents[2] / "stress" / "bench" / "peers" / "go"
    for prof in suite.PROFILES:
        for w in suite.workloads(prof):
            for p in w.peers:
                if p.impl == "go":
                    assert p.program.startswith("go/"), w.name
                    assert (go_dir / p.program[3:] / "main.go").is_file(), (w.name, p.program)


def test_missing_peer_counter_is_an_error(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def wl(profile: str) -> list[suite.Workload]:
        return [suite.Workload("a", "stw", "m", suite.GBench("fake_bench", "^BM_X/"),
                               (suite.Peer("go", "go/peer", counters=("absent_ns",)),))]
    monkeypatch.setattr(suite, "workloads", wl)
    with pytest.raises(runner.RunError, match="absent_ns"):
        runner.run_suite(suite.Profile("quick", 1, 0.01), fake / "release", fake / "go", None, io.StringIO())


HUNG_PEER = r"""#!/bin/sh
echo "peer: started" >&2
exec sleep 30
"""


def test_hung_peer_fails_with_a_clear_message(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "workloads", workloads)
    monkeypatch.setattr(runner, "PROCESS_TIMEOUT_S", 0.5)
    exe(fake / "go" / "peer", HUNG_PEER)
    with pytest.raises(runner.RunError) as e:
        runner.run_suite(suite.Profile("quick", 1, 0.01), fake / "release", fake / "go", None, io.StringIO())
    msg = str(e.value)
    assert "go/peer" in msg and "-x" in msg  # names the command
    assert "no result after 0.5 s (hung?)" in msg and "peer: started" in msg  # says why, with its stderr


def test_peer_watchdog_exit_is_reported(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "workloads", workloads)
    exe(fake / "go" / "peer", '#!/bin/sh\necho "peer w: watchdog: no result after 1 s (hung?)" >&2\nexit 3\n')
    with pytest.raises(runner.RunError, match=r"exit 3\n.*watchdog: no result after 1 s"):
        runner.run_suite(suite.Profile("quick", 1, 0.01), fake / "release", fake / "go", None, io.StringIO())
