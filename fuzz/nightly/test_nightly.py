"""Tests of ci/fuzz-nightly's parsing, triage and summary modules."""
from __future__ import annotations

import json
from pathlib import Path

from nightly.crashes import classify, dedup
from nightly.stats import Stats
from nightly.summary import CrashEntry, Summary, TargetEntry

ASAN = """\
==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x1
READ of size 8 at 0x602000000010 thread T0
    #0 0x55d in gmpkit::core::runqget(gmpkit::core::P*, bool*) /src/runtime/src/core/runq.cpp:60:3
    #1 0x55e in gmpkit::core::findrunnable(gmpkit::core::M*) /src/runtime/src/core/schedule.cpp:120:9
    #2 0x55f in std::vector<int>::push_back(int) /usr/include/c++/12/bits/stl_vector.h:1
    #3 0x560 in gmpkit::core::schedule(gmpkit::core::M*) /src/runtime/src/core/schedule.cpp:300:5
    #4 0x561 in gmpkit::core::mstart(gmpkit::core::M*) /src/runtime/src/core/m.cpp:39:3
"""

SIM = """\
gmpkit-sim: FAILURE: livelock: step budget exceeded (400000 scheduling points) (step 400001, virtual time 4 ns, thread 2)
GMPKIT_SIM_REPLAY=v1:pct:d3:seed=0x1234:steps=400001 ./fuzz_ops_sim crash-abc
==9== ERROR: libFuzzer: deadly signal
    #0 0x1 in __sanitizer_print_stack_trace
    #1 0x2 in fuzzer::PrintStackTrace()
    #5 0x6 in abort
    #6 0x7 in gmpkit::rt::sim::Simulator::fail(char const*) /s/runtime/src/platform/sim/simulator.cpp:1
    #7 0x8 in gmpkit::rt::sim::Simulator::point(gmpkit::rt::sim::Point) /s/runtime/src/platform/sim/simulator.cpp:2
    #8 0x9 in gmpkit::core::Mutex::lock() /s/runtime/src/platform/mutex.cpp:3
"""


def test_stats_plain_and_fork_lines() -> None:
    s = Stats()
    assert s.update("#4096	pulse  cov: 812 ft: 2045 corp: 61/3410b lim: 4 exec/s: 1234 rss: 45Mb")
    assert (s.execs, s.coverage_edges, s.corpus_units, s.execs_per_s) == (4096, 812, 61, 1234)
    assert s.update("#40167: cov: 1017 ft: 3126 corp: 223 exec/s 1331 oom/timeout/crash: 0/0/2 time: 31s")
    assert (s.execs, s.coverage_edges, s.corpus_units, s.execs_per_s) == (40167, 1017, 223, 1331)
    assert not s.update("INFO: Seed: 42")
    assert s.update("stat::number_of_executed_units: 50000")
    assert s.execs == 50000
    assert "execs=50000" in s.progress("fuzz_x", 30.0)


def test_classify_asan_keeps_gmpkit_frames() -> None:
    c = classify(ASAN, "crash-1")
    assert c.kind == "AddressSanitizer: heap-use-after-free"
    assert c.top_frames == ["gmpkit::core::runqget", "gmpkit::core::findrunnable",
                            "gmpkit::core::schedule"]
    assert c.replay == ""


def test_classify_sim_failure_and_replay_line() -> None:
    c = classify(SIM, "crash-2")
    assert c.kind == "sim: livelock: step budget exceeded"
    assert c.top_frames == ["gmpkit::rt::sim::Simulator::point", "gmpkit::core::Mutex::lock"]
    assert c.replay == "GMPKIT_SIM_REPLAY=v1:pct:d3:seed=0x1234:steps=400001"
    assert c.replay_steps == 400001


def test_classify_fatal_numbers_normalized_and_timeout() -> None:
    a = classify("gmpkit: fatal error: runq overflow at 17\n", "crash-3")
    b = classify("gmpkit: fatal error: runq overflow at 99\n", "crash-4")
    assert a.key == b.key and a.kind == "fatal: runq overflow at N"
    assert classify("", "timeout-5").kind == "timeout"


def test_dedup_groups_by_key() -> None:
    c1, c2 = classify(ASAN, "crash-a"), classify(ASAN, "crash-b")
    c3 = classify(SIM, "crash-c")
    groups = dedup([("a", c1), ("b", c2), ("c", c3)])
    assert list(groups.values()) == [["a", "b"], ["c"]]


def test_summary_files(tmp_path: Path) -> None:
    s = Summary(date="2026-12-01T00:00:00+00:00", commit="abc", machine="m")
    t = TargetEntry(name="fuzz_ops_sim", seconds=120, execs=1000, execs_per_s=8.3,
                    coverage_edges=50, corpus_units=10, new_units=2)
    t.crashes.append(CrashEntry(id="x1", kind="sim: livelock", top_frames=["f"],
                                reproducer="GMPKIT_SIM_REPLAY=v1:random:d3:seed=0x1:steps=5 ./f in",
                                minimized="in", replays=True))
    t.crashes.append(CrashEntry(id="x2", kind="sim: livelock", top_frames=["f"],
                                reproducer="r", minimized="in2", replays=True))
    s.targets.append(t)
    history = tmp_path / "history.jsonl"
    s.write(tmp_path / "out", history)
    d = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(d) == {"date", "commit", "machine", "targets", "unique_crashes"}
    assert d["unique_crashes"] == 1
    tgt = d["targets"][0]
    for k in ("name", "seconds", "execs", "execs_per_s", "coverage_edges", "corpus_units",
              "new_units", "crashes"):
        assert k in tgt
    for k in ("id", "kind", "top_frames", "reproducer", "minimized", "replays"):
        assert k in tgt["crashes"][0]
    assert "fuzz_ops_sim" in (tmp_path / "out" / "summary.md").read_text()
    s.write(tmp_path / "out", history)
    assert len(history.read_text().splitlines()) == 2
