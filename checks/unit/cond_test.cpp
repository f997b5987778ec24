// sync.Cond beyond Go's sync/cond_test.go (ported in conformance/): a Cond
// over an RWMutex and shutdown with waiters.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

using gmpkit::test::count_waiting;
using gmpkit::test::run_procs;

}  // namespace

TEST(Cond, WithRWMutexAndShutdown) {
  run_procs(2, [] {
    auto rw = std::make_shared<gmpkit::RWMutex>();
    auto c = std::make_shared<gmpkit::Cond>(*rw);
    for (int i = 0; i < 3; i++)
      gmpkit::go([rw, c] {
        auto p = std::make_unique<int>(1);  // destroyed by the unwind
        std::unique_lock l(*rw);
        c->wait();
      });
    while (count_waiting("sync.Cond.Wait") < 3) gmpkit::yield();
    // Leave them parked: run() unwinds them (LeakSanitizer checks).
  });
}
