// The any-thread API while run() ends: a plain std::thread
// calls one of metrics(), num_goroutine(), gomaxprocs(),
// debug::goroutines(), debug::schedtrace(), debug::dump_goroutines() or
// trace::start/stop in a loop while the main thread runs and ends run() many
// times. Before the scheduler was pinned (platform/published.hpp) every one
// of them read the freed scheduler or a freed P (SIGSEGV, ASan
// heap-use-after-free). Each result is also checked against what the
// function promises with and without a run active.
// ctest-labels: hostile
#include <gtest/gtest.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "platform/published.hpp"

namespace {

constexpr int kRuns = 40;
constexpr int kGoroutines = 20;

// Runs kRuns short runtimes on this thread while `poke` is called in a loop
// on another; returns how many calls the other thread made.
long race_with_runs(const std::function<void()>& poke) {
  std::atomic<bool> stop{false};
  std::atomic<long> calls{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      poke();
      calls.fetch_add(1, std::memory_order_relaxed);
    }
  });
  for (int r = 0; r < kRuns; r++) {
    gmpkit::Config cfg;
    cfg.procs = 2;
    gmpkit::run(cfg, [] {
      gmpkit::WaitGroup wg;
      wg.add(kGoroutines);
      for (int i = 0; i < kGoroutines; i++)
        gmpkit::go([&wg] {
          gmpkit::yield();
          wg.done();
        });
      wg.wait();
    });
  }
  // At least one call after the last run ended (no run active).
  const long before = calls.load(std::memory_order_relaxed);
  while (calls.load(std::memory_order_relaxed) < before + 2) std::this_thread::yield();
  stop.store(true, std::memory_order_relaxed);
  reader.join();
  return calls.load(std::memory_order_relaxed);
}

constexpr std::int64_t kMaxLive = kGoroutines + 1;

TEST(AnyThreadLifetime, Metrics) {
  std::atomic<bool> bad{false};
  race_with_runs([&] {
    const gmpkit::Metrics m = gmpkit::metrics();
    if (m.goroutines_spawned < 0 || m.goroutines_spawned > kMaxLive) bad = true;
  });
  EXPECT_FALSE(bad.load());
  // No run active: the last run's final values (main + kGoroutines, all exited).
  const gmpkit::Metrics m = gmpkit::metrics();
  EXPECT_EQ(m.goroutines_spawned, kMaxLive);
  EXPECT_EQ(m.goroutines_exited, kMaxLive);
}

TEST(AnyThreadLifetime, NumGoroutine) {
  std::atomic<bool> bad{false};
  race_with_runs([&] {
    const std::int64_t n = gmpkit::num_goroutine();
    if (n < 0 || n > kMaxLive) bad = true;
  });
  EXPECT_FALSE(bad.load());
  EXPECT_EQ(gmpkit::num_goroutine(), 0);  // no run active
}

TEST(AnyThreadLifetime, Gomaxprocs) {
  std::atomic<bool> bad{false};
  race_with_runs([&] {
    try {
      if (gmpkit::gomaxprocs() != 2) bad = true;
    } catch (const gmpkit::usage_error&) {
      // no run active: documented
    }
  });
  EXPECT_FALSE(bad.load());
  EXPECT_THROW(gmpkit::gomaxprocs(), gmpkit::usage_error);
}

TEST(AnyThreadLifetime, DebugGoroutines) {
  std::atomic<bool> bad{false};
  race_with_runs([&] {
    const auto gs = gmpkit::debug::goroutines();
    if (static_cast<std::int64_t>(gs.size()) > kMaxLive) bad = true;
    for (const auto& g : gs)
      if (g.id <= 0 || g.status.empty()) bad = true;
  });
  EXPECT_FALSE(bad.load());
  EXPECT_TRUE(gmpkit::debug::goroutines().empty());  // no run active
}

TEST(AnyThreadLifetime, Schedtrace) {
  std::atomic<bool> bad{false};
  std::atomic<long> reports{0};
  race_with_runs([&] {
    std::ostringstream os;
    try {
      gmpkit::debug::schedtrace(os, (reports.load() & 1) != 0);
      if (os.str().rfind("SCHED ", 0) != 0) bad = true;
      reports++;
    } catch (const gmpkit::usage_error&) {
      // no run active: documented
    }
  });
  EXPECT_FALSE(bad.load());
  std::ostringstream os;
  EXPECT_THROW(gmpkit::debug::schedtrace(os, false), gmpkit::usage_error);
}

TEST(AnyThreadLifetime, DumpGoroutines) {
  std::atomic<bool> bad{false};
  race_with_runs([&] {
    std::ostringstream os;
    gmpkit::debug::dump_goroutines(os);
    const std::string s = os.str();
    if (!s.empty() && s.rfind("goroutine ", 0) != 0) bad = true;
  });
  EXPECT_FALSE(bad.load());
  std::ostringstream os;
  gmpkit::debug::dump_goroutines(os);
  EXPECT_EQ(os.str(), "");  // no run active
}

TEST(AnyThreadLifetime, TraceStartStop) {
  if (!gmpkit::trace::compiled_in()) GTEST_SKIP() << "built with GMPKIT_TRACE=OFF";
  const std::string path = ::testing::TempDir() + "anythread_trace.json";
  std::atomic<bool> bad{false};
  race_with_runs([&] {
    gmpkit::trace::start(path);
    gmpkit::trace::stop();
    if (gmpkit::trace::last_summary().path != path) bad = true;
  });
  EXPECT_FALSE(bad.load());
  EXPECT_FALSE(gmpkit::trace::running());
  std::remove(path.c_str());
}

// The primitive itself: the owner's drain waits for a pin taken before it
// and returns once it is released; a pin taken after it sees nothing.
TEST(Published, DrainWaitsForPinAndLaterPinsSeeNothing) {
  int object = 42;
  gmpkit::rt::Published<int> pub;
  EXPECT_EQ(pub.pin(), nullptr);  // nothing published yet
  pub.publish(&object);
  int* p = pub.pin();
  ASSERT_EQ(p, &object);
  std::atomic<bool> drained{false};
  std::thread owner([&] {
    pub.unpublish_and_drain();
    drained.store(true);
  });
  // Once unpublished (a new pin fails), the owner must still wait for ours.
  for (;;) {
    gmpkit::rt::Published<int>::Pin probe(pub);
    if (!probe) break;
    std::this_thread::yield();
  }
  EXPECT_FALSE(drained.load());
  EXPECT_EQ(*p, 42);
  pub.unpin();
  owner.join();
  EXPECT_TRUE(drained.load());
  EXPECT_EQ(pub.pin(), nullptr);
}

}  // namespace
