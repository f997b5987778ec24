// tsan_race_test.cpp — seed scenario: an init-order race is caught by the
// TSan preset. A goroutine is started before the global it reads is ready;
// "ready" is announced through a relaxed flag, which orders nothing. Under
// ThreadSanitizer (with gmpkit's fiber annotations every goroutine is a
// TSan fiber and only real synchronisation creates happens-before) the
// child process of a death test runs the program and must print TSan's
// data-race report; it then aborts (whether or not TSAN_OPTIONS has
// halt_on_error), which is the "death" the test expects.
//
// The two goroutines run on different Ps (procs 2) and meet through relaxed
// atomics only, so the race is reported on every run, not just on unlucky
// interleavings: TSan flags the write/read pair because nothing orders
// them, whatever the timing.
//
// Outside TSan builds the test is skipped (a plain build cannot see races).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

namespace {

constexpr bool tsan_build() {
#if defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// The global the goroutine reads; written by "init" after the goroutine
// was started.
int g_config = 0;

void init_order_race_program() {
  gmpkit::run(gmpkit::test::procs(2), [] {
    std::atomic<int> started{0}, ready{0};
    int seen = -1;
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      started.store(1, std::memory_order_relaxed);
      while (ready.load(std::memory_order_relaxed) == 0) {}  // the buggy "is it ready?"
      seen = g_config;  // read: races with the write below
      wg.done();
    });
    // "Initialisation" runs after the goroutine exists: it waits until the
    // goroutine is running on the other P (spinning, no runtime call, so no
    // synchronisation through the scheduler), then writes the global.
    while (started.load(std::memory_order_relaxed) == 0) {}
    g_config = 42;  // write: no happens-before with the read
    ready.store(1, std::memory_order_relaxed);
    wg.wait();
    (void)seen;
  });
  std::abort();  // the report (if any) is printed by now
}

}  // namespace

TEST(ScenarioDeathTest, InitOrderRaceCaughtByTSan) {
  if (!tsan_build()) GTEST_SKIP() << "needs the tsan preset";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(init_order_race_program(), "WARNING: ThreadSanitizer: data race");
}
