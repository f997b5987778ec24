// gmpkit::metrics(): counters are monotonic while a run goes on,
// count exactly what they promise (spawned = go() calls + main), the
// workloads that must produce steals / global-runq takes / spinning /
// preemptions do, the histograms (sched_latency, stw_*) are well formed,
// and the final snapshot stays readable after run(). Assertions are on
// counts and orderings only, never on how long something took.
#include <gtest/gtest.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "observe/histogram.hpp"
#include "sysmon/preempt.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;

namespace {

using gmpkit::test::procs;

// Every counter a later snapshot must not have decreased. preemptions_sync
// is left out: it is a difference of two counters read a moment apart.
void expect_monotonic(const gmpkit::Metrics& a, const gmpkit::Metrics& b) {
#define GMPKIT_MONO(f) EXPECT_LE(a.f, b.f) << #f
  GMPKIT_MONO(goroutines_spawned);
  GMPKIT_MONO(goroutines_exited);
  GMPKIT_MONO(threads);
  GMPKIT_MONO(steals);
  GMPKIT_MONO(runqputslow);
  GMPKIT_MONO(preempt_requests);
  GMPKIT_MONO(preemptions);
  GMPKIT_MONO(syscalls);
  GMPKIT_MONO(syscalls_slow);
  GMPKIT_MONO(handoffs);
  GMPKIT_MONO(stws);
  GMPKIT_MONO(schedticks);
  GMPKIT_MONO(globrunq_takes);
  GMPKIT_MONO(globrunq_batches);
  GMPKIT_MONO(preemptions_async);
  GMPKIT_MONO(preempt_signals);
  GMPKIT_MONO(spinning_transitions);
  GMPKIT_MONO(sched_latency.count);
  GMPKIT_MONO(stw_total.count);
  GMPKIT_MONO(stw_stopping.count);
#undef GMPKIT_MONO
}

void expect_sane(const gmpkit::HistogramSnapshot& h, const char* name) {
  SCOPED_TRACE(name);
  ASSERT_EQ(h.upper_ns.size(), h.counts.size());
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < h.counts.size(); i++) {
    sum += h.counts[i];
    if (i > 0) {
      EXPECT_LT(h.upper_ns[i - 1], h.upper_ns[i]) << "bucket bounds ascend";
    }
  }
  EXPECT_EQ(sum, h.count) << "buckets sum to count";
  if (h.count == 0) return;
  EXPECT_LE(h.min_ns, h.max_ns);
  const double p50 = h.quantile(0.5), p99 = h.quantile(0.99), p100 = h.quantile(1.0);
  EXPECT_LE(static_cast<double>(h.min_ns), p50);
  EXPECT_LE(p50, p99);
  EXPECT_LE(p99, p100);
  EXPECT_LE(p100, static_cast<double>(h.max_ns));
  EXPECT_GE(h.sum_ns, h.min_ns);
  // The max sample lies in the last bucket.
  EXPECT_LE(h.max_ns, h.upper_ns.back());
}

// A mixed workload: channel ping-pong, yields (global runq), sleeps,
// syscalls, one STW.
void mixed(int rounds, std::atomic<int>* spawned) {
  gmpkit::WaitGroup wg;
  for (int i = 0; i < 8; i++) {
    wg.add(1);
    spawned->fetch_add(1);
    gmpkit::go([&wg, rounds, spawned] {
      gmpkit::Chan<int> ping(0), pong(0);
      spawned->fetch_add(1);
      gmpkit::go([ping, pong, rounds]() mutable {  // copies: each G holds its own reference
        for (int r = 0; r < rounds; r++) pong.send(*ping.recv() + 1);
      });
      for (int r = 0; r < rounds; r++) {
        ping.send(r);
        EXPECT_EQ(*pong.recv(), r + 1);
        if (r % 16 == 0) gmpkit::yield();
        if (r % 64 == 0) gmpkit::syscall([] { return 0; });
      }
      wg.done();
    });
  }
  gmpkit::sleep_for(1ms);
  gmpkit::gomaxprocs(gmpkit::gomaxprocs());  // no-op: no STW
  { gmpkit::WorldStopped w("metrics_test"); }
  wg.wait();
}

TEST(Metrics, MonotonicDuringRunAndExactAfter) {
  std::atomic<int> spawned{0};
  std::vector<gmpkit::Metrics> snaps;
  gmpkit::run(procs(2), [&] {
    std::atomic<bool> done{false};
    gmpkit::WaitGroup wg;
    wg.add(1);
    spawned++;
    gmpkit::go([&] {
      mixed(2000, &spawned);
      done = true;
      wg.done();
    });
    // Snapshots from the main goroutine while the workload runs.
    while (!done.load()) {
      snaps.push_back(gmpkit::metrics());
      gmpkit::sleep_for(2ms);
    }
    wg.wait();
    snaps.push_back(gmpkit::metrics());
  });
  const gmpkit::Metrics fin = gmpkit::metrics();  // after run(): the final snapshot
  snaps.push_back(fin);
  ASSERT_GE(snaps.size(), 2u);
  for (std::size_t i = 1; i < snaps.size(); i++) {
    SCOPED_TRACE("snapshot " + std::to_string(i));
    expect_monotonic(snaps[i - 1], snaps[i]);
  }
  EXPECT_EQ(fin.gomaxprocs, 2);
  EXPECT_EQ(fin.goroutines_spawned, spawned.load() + 1) << "go() calls + the main goroutine";
  // Every goroutine but main returned before main did.
  EXPECT_GE(fin.goroutines_exited, spawned.load());
  EXPECT_LE(fin.goroutines_exited, fin.goroutines_spawned);
  EXPECT_GE(fin.threads, 2) << "m0 and sysmon";
  EXPECT_GT(fin.schedticks, 0);
  EXPECT_GT(fin.globrunq_takes, 0) << "yield() goes through the global runq";
  EXPECT_GE(fin.globrunq_takes, fin.globrunq_batches);
  EXPECT_GT(fin.globrunq_batches, 0);
  EXPECT_GT(fin.spinning_transitions, 0) << "go() with an idle P wakes a spinning M";
  EXPECT_GE(fin.syscalls, 8 * (2000 / 64 + 1));
  EXPECT_EQ(fin.stws, 1);
  EXPECT_EQ(fin.stw_total.count, 1u);
  EXPECT_EQ(fin.stw_stopping.count, 1u);
  EXPECT_EQ(fin.preemptions, fin.preemptions_sync + fin.preemptions_async);
  // sched_latency: every goroutine's first run is sampled.
  EXPECT_GE(fin.sched_latency.count, static_cast<std::uint64_t>(spawned.load()));
  expect_sane(fin.sched_latency, "sched_latency");
  expect_sane(fin.stw_total, "stw_total");
  expect_sane(fin.stw_stopping, "stw_stopping");
  // Readable again, unchanged, between runs.
  const gmpkit::Metrics again = gmpkit::metrics();
  EXPECT_EQ(again.goroutines_spawned, fin.goroutines_spawned);
  EXPECT_EQ(again.sched_latency.count, fin.sched_latency.count);
}

TEST(Metrics, SchedLatencySamplesEveryEighthRun) {
  // One goroutine yielding N times runs N+1 times; Go's tracking samples
  // its first run and then every 8th.
  constexpr int kYields = 800;
  gmpkit::Metrics fin;
  gmpkit::run(procs(1), [&] {
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      for (int i = 0; i < kYields; i++) gmpkit::yield();
      wg.done();
    });
    wg.wait();
  });
  fin = gmpkit::metrics();
  // main's and the worker's runs: at least kYields/8 samples, and no more
  // than every run of both.
  EXPECT_GE(fin.sched_latency.count, static_cast<std::uint64_t>(kYields / 8));
  EXPECT_LE(fin.sched_latency.count, static_cast<std::uint64_t>(kYields + 8));
  expect_sane(fin.sched_latency, "sched_latency");
}

TEST(Metrics, StealsWhenOnePSpawnsWork) {
  // Main fills its P's run queue with short goroutines (each well under a
  // time slice, so none is preempted onto the global runq); the other P's
  // M, woken spinning by go(), can only get work by stealing. Batches
  // repeat until a steal was seen (a loaded machine may run a whole batch
  // before the other M wakes up).
  gmpkit::run(procs(2), [&] {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (gmpkit::metrics().steals == 0 && std::chrono::steady_clock::now() < deadline) {
      gmpkit::WaitGroup wg;
      for (int i = 0; i < 64; i++) {
        wg.add(1);
        gmpkit::go([&] {
          const auto end = std::chrono::steady_clock::now() + 200us;
          while (std::chrono::steady_clock::now() < end) {}
          wg.done();
        });
      }
      wg.wait();
    }
  });
  const gmpkit::Metrics fin = gmpkit::metrics();
  EXPECT_GT(fin.steals, 0);
  EXPECT_GT(fin.spinning_transitions, 0);
}

TEST(Metrics, SyncPreemption) {
  gmpkit::Config cfg = procs(1);
  cfg.async_preempt = false;
  gmpkit::run(cfg, [] {
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] { wg.done(); });  // something runnable behind the spinner
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (gmpkit::metrics().preemptions_sync == 0 && std::chrono::steady_clock::now() < end)
      gmpkit::preempt_point();
    wg.wait();
  });
  const gmpkit::Metrics m = gmpkit::metrics();
  EXPECT_GT(m.preemptions_sync, 0);
  EXPECT_EQ(m.preemptions_async, 0);
  EXPECT_GT(m.preempt_requests, 0);
}

TEST(Metrics, AsyncPreemption) {
  bool enabled = false;
  gmpkit::run(procs(2), [&] {
    enabled = gmpkit::sysmon::async_preempt_enabled();
    if (!enabled) return;
    std::atomic<bool> stop{false};
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      // A call-free loop: only a signal can preempt it.
      while (!stop.load(std::memory_order_relaxed)) {}
      wg.done();
    });
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (gmpkit::metrics().preemptions_async == 0 && std::chrono::steady_clock::now() < end)
      gmpkit::sleep_for(1ms);
    stop = true;
    wg.wait();
  });
  if (!enabled) GTEST_SKIP() << "async preemption unavailable in this build";
  const gmpkit::Metrics m = gmpkit::metrics();
  EXPECT_GT(m.preemptions_async, 0);
  EXPECT_GT(m.preempt_signals, 0);
  EXPECT_GE(m.preemptions, m.preemptions_async);
}

TEST(Metrics, HistogramSnapshotQuantilesOnKnownSamples) {
  gmpkit::observe::Histogram h;
  for (int i = 1; i <= 1000; i++) h.record(i * 1000);  // 1 µs .. 1 ms
  const gmpkit::HistogramSnapshot s = h.snapshot();
  expect_sane(s, "known");
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.min_ns, 1000);
  EXPECT_EQ(s.max_ns, 1000000);
  // Within the 12.5 % bucket precision.
  EXPECT_NEAR(s.quantile(0.5), 500000.0, 500000.0 * 0.125);
  EXPECT_NEAR(s.quantile(0.99), 990000.0, 990000.0 * 0.125);
}

}  // namespace
