// test_util.hpp — helpers shared by the test suites (unit/, property/,
// conformance/): a Config for n Ps, run() at n Ps, waiting until goroutines
// are parked with a given wait reason, catching a gmpkit error's message,
// and a procs-parameterised GoogleTest fixture.
//
//   gmpkit::run(gmpkit::test::procs(2), [] { ... });
//   gmpkit::test::run_procs(4, [] { ... });
//
//   class SpawnAtProcs : public gmpkit::test::ProcsTest {};
//   TEST_P(SpawnAtProcs, Works) { run([] { ... }); }      // at GetParam() Ps
//   GMPKIT_INSTANTIATE_PROCS(SpawnAtProcs, 1, 2, 4);      // ".../procs1" ...
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "gmpkit/gmpkit.hpp"

namespace gmpkit::test {

// A default Config with n Ps (GOMAXPROCS=n).
inline Config procs(int n) {
  Config cfg;
  cfg.procs = n;
  return cfg;
}

// gmpkit::run(f) with n Ps.
template <class F>
void run_procs(int n, F&& f) {
  run(procs(n), std::forward<F>(f));
}

// How many goroutines are waiting with this wait reason now (Go's strings:
// "chan receive", "sync.Mutex.Lock", ...). Call on a goroutine.
inline int count_waiting(const std::string& reason) {
  int n = 0;
  for (const auto& g : debug::goroutines())
    if (g.wait_reason == reason) n++;
  return n;
}

// Yields until at least n goroutines wait with `reason`. With `pause` > 0 it
// sleeps that long between looks instead of yielding (lets a spinning
// scheduler settle; a yield loop at procs 1 can starve a goroutine that is
// only runnable after a timer).
inline void wait_for_waiters(const std::string& reason, int n,
                             std::chrono::nanoseconds pause = std::chrono::nanoseconds(0)) {
  while (count_waiting(reason) < n) {
    if (pause.count() > 0)
      sleep_for(pause);
    else
      yield();
  }
}

// Yields until goroutine `id` is waiting with `reason`.
inline void await_parked(std::int64_t id, const std::string& reason) {
  for (;;) {
    for (const auto& g : debug::goroutines())
      if (g.id == id && g.wait_reason == reason) return;
    yield();
  }
}

// Yields until the calling goroutine is the only one left (every other has
// returned from its function and its callable was destroyed), at most
// `limit`; then throws std::runtime_error. Tests that leave goroutines
// finishing when run() returns must call it under ASan: a goroutine that the
// shutdown finds asynchronously preempted in user code (sysmon preempts
// running goroutines once run() is exiting) is retired without unwinding its
// frames — they have no landing pad at an arbitrary pc — so its captures
// would be reported as leaks (docs/RUNTIME.md, "Shutdown").
inline void await_others_exited(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (num_goroutine() > 1) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("await_others_exited: " + std::to_string(num_goroutine() - 1) +
                               " goroutine(s) still alive");
    yield();
  }
}

// The message of the E that f throws, or "<no E>" if it throws none.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const E& e) {
    return e.what();
  }
  return "<no " + std::string(::testing::internal::GetTypeName<E>()) + ">";
}

// False where asynchronous (signal) preemption is compiled out (TSan):
// tests whose goroutines spin call-free, relying on it, skip there.
constexpr bool async_preempt_available() {
#if defined(__SANITIZE_THREAD__)
  return false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return false;
#else
  return true;
#endif
#else
  return true;
#endif
}

// Test name suffix for a procs parameter: "procs4".
inline std::string procs_name(const ::testing::TestParamInfo<int>& i) {
  return "procs" + std::to_string(i.param);
}

// A test run at several GOMAXPROCS values: TEST_P bodies call run(f) (or
// use procs()/GetParam()); instantiate with GMPKIT_INSTANTIATE_PROCS.
class ProcsTest : public ::testing::TestWithParam<int> {
 protected:
  int nprocs() const { return GetParam(); }
  Config config() const { return test::procs(GetParam()); }
  template <class F>
  void run(F&& f) const {
    gmpkit::run(config(), std::forward<F>(f));
  }
};

}  // namespace gmpkit::test

// Skips the test where async preemption is compiled out.
#define GMPKIT_REQUIRE_ASYNC_PREEMPT()            \
  if (!::gmpkit::test::async_preempt_available()) \
  GTEST_SKIP() << "async preemption is compiled out under TSan"

// Instantiates the ProcsTest-derived fixture `Fixture` once per procs value,
// named Procs/Fixture.Test/procsN.
#define GMPKIT_INSTANTIATE_PROCS(Fixture, ...)                             \
  INSTANTIATE_TEST_SUITE_P(Procs, Fixture, ::testing::Values(__VA_ARGS__), \
                           ::gmpkit::test::procs_name)
