// trace_test.cpp — the execution tracer (observe/trace*.cpp): runs
// workloads under gmpkit::trace::start/stop (and GMPKIT_TRACE=path), loads
// the produced Chrome/Perfetto JSON and validates it with check_trace():
//   - well-formed JSON with a traceEvents array;
//   - on every track, in timestamp order, every B has its E (same name), and
//     nothing is left open; X slices have dur >= 0;
//   - each flow id has exactly one "s" and one "f", the "s" not later;
//   - timestamps are non-decreasing in the events' global order (args.seq);
//   - per goroutine, in seq order, the events form a chain of legal
//     transitions of docs/ARCHITECTURE.md §3 (each event's `from` is the state the
//     previous one left): create before start, no start while running,
//     block -> unblock -> start, nothing after destroy; a GoCreate is the
//     G's first event and carries the creating P's schedtick, equal to the
//     tick of the parent's current slice on that P;
//   - STWBegin/STWEnd pair up.
// Plus: bounded memory (a tiny buffer budget reports lost events and still
// yields a valid, closed trace), an async-preemption reason for a call-free
// loop, misuse errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/gstatus.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/trace_testing.hpp"
#include "sysmon/preempt.hpp"
#include "test_util.hpp"

namespace {

using gmpkit::test::procs;

using json = nlohmann::json;
using namespace std::chrono_literals;

#define REQUIRE_TRACE() \
  if (!gmpkit::trace::compiled_in()) GTEST_SKIP() << "built with GMPKIT_TRACE=OFF"

std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/gmpkit_trace_" + std::to_string(::getpid()) +
         "_" + name + ".json";
}

struct CheckResult {
  std::vector<std::string> errors;
  std::map<std::string, int> count;  // by args.ev (each event once)
  std::map<std::string, int> stop_reasons;  // GoStop reason -> count
  std::set<std::int64_t> async_preempted;  // goids stopped with preempt-async
  int flows = 0;
  std::int64_t lost = 0;
  bool lost_record = false;
  void error(const std::string& e) {
    if (errors.size() < 20) errors.push_back(e);
  }
};

// Status names as the trace writes them -> the table's states.
gmpkit::core::GStatus status_of(const std::string& s) {
  using gmpkit::core::GStatus;
  for (GStatus st : {GStatus::idle, GStatus::runnable, GStatus::running, GStatus::syscall,
                     GStatus::waiting, GStatus::dead, GStatus::preempted})
    if (s == gmpkit::core::gstatus_name(st)) return st;
  return static_cast<GStatus>(99);
}

CheckResult check_trace(const std::string& path) {
  CheckResult r;
  std::ifstream in(path);
  if (!in) {
    r.error("cannot open " + path);
    return r;
  }
  json doc;
  try {
    doc = json::parse(in);
  } catch (const std::exception& e) {
    r.error(std::string("not well-formed JSON: ") + e.what());
    return r;
  }
  if (!doc.is_object() || !doc.contains("traceEvents") || !doc["traceEvents"].is_array()) {
    r.error("no traceEvents array");
    return r;
  }
  if (doc.contains("otherData")) r.lost = doc["otherData"].value("lost_events", std::int64_t{0});
  const json& evs = doc["traceEvents"];

  // Slices per track, in timestamp order (stable: file order breaks ties).
  struct Item {
    double ts;
    std::size_t idx;
  };
  std::map<std::pair<int, int>, std::vector<Item>> tracks;
  struct FlowEnds {
    int s = 0, f = 0;
    double sts = 0, fts = 0;
  };
  std::map<std::int64_t, FlowEnds> flows;
  std::map<std::uint64_t, const json*> by_seq;
  for (std::size_t i = 0; i < evs.size(); i++) {
    const json& e = evs[i];
    if (!e.is_object() || !e.contains("ph")) {
      r.error("event without ph at " + std::to_string(i));
      continue;
    }
    const std::string ph = e["ph"];
    if (ph == "M") continue;
    if (!e.contains("ts") || !e.contains("pid") || !e.contains("tid")) {
      r.error("event without ts/pid/tid at " + std::to_string(i));
      continue;
    }
    const double ts = e["ts"].get<double>();
    if (ph == "B" || ph == "E")
      tracks[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({ts, i});
    if (ph == "X" && (!e.contains("dur") || e["dur"].get<double>() < 0))
      r.error("X without dur >= 0");
    if (ph == "s" || ph == "f") {
      auto& fl = flows[e["id"].get<std::int64_t>()];
      if (ph == "s")
        fl.s++, fl.sts = ts;
      else
        fl.f++, fl.fts = ts;
      if (ph == "f" && e.value("bp", "") != "e")
        r.error("flow end not bound to the enclosing slice");
    }
    if (e.contains("args") && e["args"].contains("seq"))
      by_seq.emplace(e["args"]["seq"].get<std::uint64_t>(), &e);
    if (e.contains("args") && e["args"].value("ev", "") == "LostEvents") r.lost_record = true;
  }
  for (auto& [track, items] : tracks) {
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.ts < b.ts; });
    std::vector<const json*> stack;
    for (const Item& it : items) {
      const json& e = evs[it.idx];
      if (e["ph"] == "B") {
        stack.push_back(&e);
      } else if (stack.empty()) {
        r.error("E without B on track " + std::to_string(track.first) + "/" +
                std::to_string(track.second) + " at ts " + std::to_string(it.ts));
      } else {
        if ((*stack.back())["name"] != e["name"])
          r.error("E " + e["name"].get<std::string>() + " closes B " +
                  (*stack.back())["name"].get<std::string>());
        stack.pop_back();
      }
    }
    if (!stack.empty())
      r.error("unclosed slice " + (*stack.back())["name"].get<std::string>() + " on track " +
              std::to_string(track.first) + "/" + std::to_string(track.second));
  }
  for (auto& [id, fl] : flows) {
    if (fl.s != 1 || fl.f != 1)
      r.error("flow " + std::to_string(id) + " does not pair up");
    else if (fl.sts > fl.fts)
      r.error("flow " + std::to_string(id) + " ends before it starts");
  }
  r.flows = static_cast<int>(flows.size());

  // Per-G replay in the global order.
  using gmpkit::core::GStatus;
  struct GState {
    GStatus st;
    bool seen = false;
    bool dead = false;
    std::int64_t last_start_tick = -1;  // schedtick of its current slice (-1: unknown)
    int last_start_p = -1;
  };
  std::map<std::int64_t, GState> gs;
  double last_ts = -1;
  int stw_depth = 0;
  for (auto& [seq, ep] : by_seq) {
    const json& e = *ep;
    const json& a = e["args"];
    const std::string ev = a["ev"];
    r.count[ev]++;
    const double ts = e["ts"].get<double>();
    if (ts < last_ts) r.error("timestamps go back at seq " + std::to_string(seq));
    last_ts = ts;
    if (ev == "STWBegin") stw_depth++;
    if (ev == "STWEnd" && --stw_depth < 0) r.error("STWEnd without STWBegin");
    if (!a.contains("g")) continue;
    const std::int64_t g = a["g"];
    GState& s = gs[g];
    const std::string where =
        "G" + std::to_string(g) + " " + ev + " (seq " + std::to_string(seq) + ")";
    if (ev == "GoStatus") {
      if (!s.seen) {
        s.st = status_of(a["status"]);
        s.seen = true;
      }
      continue;
    }
    if (!a.contains("from") || !a.contains("to")) {
      r.error(where + ": no from/to");
      continue;
    }
    const GStatus from = status_of(a["from"]), to = status_of(a["to"]);
    if (s.dead) r.error(where + ": event after GoDestroy");
    if (ev == "GoCreate") {
      if (s.seen) r.error(where + ": GoCreate is not the G's first event");
      if (!a.contains("schedtick")) r.error(where + ": GoCreate without schedtick");
      const std::int64_t parent = a.value("parent", std::int64_t{0});
      if (parent != 0 && gs.count(parent)) {
        const GState& ps = gs[parent];
        if (ps.last_start_tick >= 0 && ps.last_start_p == a["p"].get<int>() &&
            a["schedtick"].get<std::int64_t>() != ps.last_start_tick)
          r.error(where + ": schedtick " + std::to_string(a["schedtick"].get<std::int64_t>()) +
                  " is not the parent's slice's " + std::to_string(ps.last_start_tick));
      }
    }
    if (s.seen && s.st != from)
      r.error(where + ": from " + a["from"].get<std::string>() + " but the G was " +
              gmpkit::core::gstatus_name(s.st));
    if (!gmpkit::core::gstatus_transition_legal(from, to))
      r.error(where + ": illegal transition " + a["from"].get<std::string>() + " -> " +
              a["to"].get<std::string>());
    s.seen = true;
    s.st = to;
    if (ev == "GoStart") {
      s.last_start_tick = a["schedtick"].get<std::int64_t>();
      s.last_start_p = a["p"].get<int>();
    } else if (ev == "GoSyscallBegin" || ev == "GoStop" || ev == "GoBlock") {
      s.last_start_tick = -1;
    }
    if (ev == "GoStop") {
      const std::string reason = a.value("reason", "");
      r.stop_reasons[reason]++;
      if (reason == "preempt-async") r.async_preempted.insert(g);
    }
    if (ev == "GoDestroy") s.dead = true;
  }
  // (A trace cut short by lost events may end inside a pause: its slice is
  // closed at the end, but the STWEnd event is gone.)
  if (stw_depth != 0 && r.lost == 0) r.error("STWBegin without STWEnd");
  return r;
}

std::string errors_of(const CheckResult& r) {
  std::string s;
  for (auto& e : r.errors) s += "  " + e + "\n";
  return s;
}

// A mixed workload: spawns, channel ping-pong, WaitGroup, sleep, yield,
// syscalls (both kinds), a GOMAXPROCS change (stop-the-world), a mutex.
void workload(int rounds) {
  gmpkit::WaitGroup wg;
  gmpkit::Chan<int> ping(0), pong(0);
  wg.add(2);
  gmpkit::go([&] {
    for (int i = 0; i < rounds; i++) pong.send(*ping.recv() + 1);
    wg.done();
  });
  gmpkit::go([&] {
    for (int i = 0; i < rounds; i++) {
      ping.send(i);
      (void)pong.recv();
    }
    wg.done();
  });
  gmpkit::Mutex mu;
  int shared = 0;
  for (int k = 0; k < 8; k++) {
    wg.add(1);
    gmpkit::go([&, k] {
      for (int i = 0; i < rounds / 4; i++) {
        mu.lock();
        shared++;
        mu.unlock();
        if (i % 8 == 0) gmpkit::yield();
      }
      if (k % 2 == 0) gmpkit::sleep_for(100us);
      (void)gmpkit::syscall([] { return ::getpid(); });
      (void)gmpkit::syscall_block([] {
        ::usleep(200);
        return 0;
      });
      wg.done();
    });
  }
  const int before = gmpkit::gomaxprocs(0);
  gmpkit::gomaxprocs(before == 1 ? 2 : 1);
  gmpkit::gomaxprocs(before);
  wg.wait();
  EXPECT_EQ(shared, 8 * (rounds / 4));
}

TEST(Trace, StartStopInsideRunIsValid) {
  REQUIRE_TRACE();
  const std::string path = tmp_path("inside");
  gmpkit::run(procs(2), [&] {
    gmpkit::go([] { gmpkit::sleep_for(1ms); });  // a G that exists before the trace
    gmpkit::trace::start(path);
    EXPECT_TRUE(gmpkit::trace::running());
    workload(400);
    gmpkit::trace::stop();
    EXPECT_FALSE(gmpkit::trace::running());
  });
  CheckResult r = check_trace(path);
  EXPECT_TRUE(r.errors.empty()) << errors_of(r);
  for (const char* ev :
       {"GoCreate", "GoStart", "GoStop", "GoBlock", "GoUnblock", "GoSyscallBegin", "GoSyscallEnd",
        "GoDestroy", "GoStatus", "ProcStart", "ProcStop", "STWBegin", "STWEnd"})
    EXPECT_GT(r.count[ev], 0) << ev;
  EXPECT_EQ(r.count["STWBegin"], 2);
  EXPECT_EQ(r.count["STWBegin"], r.count["STWEnd"]);
  EXPECT_GT(r.flows, 0);
  EXPECT_GT(r.stop_reasons["yield"], 0);
  EXPECT_EQ(r.lost, 0);
  gmpkit::trace::Summary sum = gmpkit::trace::last_summary();
  EXPECT_EQ(sum.path, path);
  EXPECT_GT(sum.events, 0);
  EXPECT_EQ(sum.lost_events, 0);
  ::unlink(path.c_str());
}

TEST(Trace, StartStopOutsideRunIsValid) {
  REQUIRE_TRACE();
  const std::string path = tmp_path("outside");
  gmpkit::trace::start(path);
  gmpkit::run(procs(2), [] { workload(200); });
  gmpkit::trace::stop();
  CheckResult r = check_trace(path);
  EXPECT_TRUE(r.errors.empty()) << errors_of(r);
  // Every G was born while tracing: each one's first event is its GoCreate.
  EXPECT_EQ(r.count["GoCreate"], r.count["GoDestroy"]);
  EXPECT_EQ(r.count["GoStatus"], 0);
  EXPECT_GT(r.count["GoSyscallBegin"], 0);
  ::unlink(path.c_str());
}

TEST(Trace, EnvTracesAWholeRun) {
  REQUIRE_TRACE();
  const std::string path = tmp_path("env");
  ::setenv("GMPKIT_TRACE", path.c_str(), 1);
  gmpkit::run(procs(2), [] { workload(100); });
  ::unsetenv("GMPKIT_TRACE");
  EXPECT_FALSE(gmpkit::trace::running());
  CheckResult r = check_trace(path);
  EXPECT_TRUE(r.errors.empty()) << errors_of(r);
  EXPECT_GT(r.count["GoCreate"], 10);
  EXPECT_EQ(r.count["GoCreate"], r.count["GoDestroy"]);  // the main G included
  ::unlink(path.c_str());
}

TEST(Trace, BoundedMemoryReportsLostEvents) {
  REQUIRE_TRACE();
  const std::string path = tmp_path("lossy");
  constexpr std::uint32_t kChunk = 64, kMaxChunks = 4;
  gmpkit::testing::trace_set_limits_for_test(kChunk, kMaxChunks);
  gmpkit::run(procs(2), [&] {
    gmpkit::trace::start(path);
    workload(2000);  // far more than 256 events
    gmpkit::trace::stop();
  });
  gmpkit::testing::trace_set_limits_for_test(0, 0);
  gmpkit::trace::Summary sum = gmpkit::trace::last_summary();
  EXPECT_GT(sum.lost_events, 0);
  EXPECT_LE(sum.bytes_buffered, static_cast<std::int64_t>(kChunk * kMaxChunks * 48));
  // At most a few JSON lines per recorded event (a GoStart with its flow is 3).
  EXPECT_LE(sum.events, static_cast<std::int64_t>(4 * kChunk * kMaxChunks));
  CheckResult r = check_trace(path);
  EXPECT_TRUE(r.errors.empty()) << errors_of(r);
  EXPECT_TRUE(r.lost_record);
  EXPECT_EQ(r.lost, sum.lost_events);
  ::unlink(path.c_str());
}

TEST(Trace, AsyncPreemptionReason) {
  REQUIRE_TRACE();
  bool async = false;
  const std::string path = tmp_path("async");
  gmpkit::run(procs(1), [&] {
    async = gmpkit::sysmon::async_preempt_enabled();
    if (!async) return;
    gmpkit::trace::start(path);
    std::atomic<bool> stop{false};
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      while (!stop.load(std::memory_order_relaxed)) asm volatile("" ::: "memory");  // call-free
      wg.done();
    });
    // At procs 1 we only run again when the looper is preempted.
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < 60ms) gmpkit::yield();
    stop.store(true);
    wg.wait();
    gmpkit::trace::stop();
  });
  if (!async) GTEST_SKIP() << "async preemption is off in this build (TSan) or by GMPKIT_DEBUG";
  CheckResult r = check_trace(path);
  EXPECT_TRUE(r.errors.empty()) << errors_of(r);
  EXPECT_GT(r.stop_reasons["preempt-async"], 0);
  ::unlink(path.c_str());
}

TEST(Trace, Misuse) {
  REQUIRE_TRACE();
  EXPECT_THROW(gmpkit::trace::stop(), gmpkit::usage_error);
  EXPECT_THROW(gmpkit::trace::start("/nonexistent-dir/x/trace.json"), gmpkit::error);
  EXPECT_FALSE(gmpkit::trace::running());
  const std::string path = tmp_path("misuse");
  gmpkit::trace::start(path);
  EXPECT_THROW(gmpkit::trace::start(path), gmpkit::usage_error);
  gmpkit::trace::stop();
  CheckResult r = check_trace(path);  // an empty trace is still a valid one
  EXPECT_TRUE(r.errors.empty()) << errors_of(r);
  ::unlink(path.c_str());
}

TEST(Trace, OffBuildRefusesToStart) {
  if (gmpkit::trace::compiled_in()) GTEST_SKIP() << "trace code compiled in";
  EXPECT_THROW(gmpkit::trace::start(tmp_path("off")), gmpkit::error);
}

}  // namespace
