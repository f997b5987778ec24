// preempt_stress_test.cpp — the long version of preempt_test's signal storm:
// goroutines hammering malloc/new/std::string while preemption
// requests and raw SIGURGs arrive at 10 kHz for 10 s, at procs 1 and 2.
// Never deadlocks, never crashes, keeps making progress.
// ctest-labels: stress
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "preempt_storm.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

class StormAtProcs : public gmpkit::test::ProcsTest {};

TEST_P(StormAtProcs, AllocatorTenSeconds) {
  if (!gmpkit::test::async_preempt_compiled_in())
    GTEST_SKIP() << "async preemption is off under TSan";
  std::atomic<std::int64_t> progress{0};
  std::int64_t async = 0;
  gmpkit::Config cfg;
  cfg.procs = GetParam();
  gmpkit::run(cfg, [&] {
    gmpkit::test::PreemptStorm storm(std::chrono::microseconds(100), true);
    std::atomic<bool> stop{false};
    gmpkit::WaitGroup wg;
    for (int k = 0; k < 6; k++) {
      wg.add(1);
      gmpkit::go([&, k] {
        std::vector<std::unique_ptr<std::string>> keep;
        std::uint64_t rng = 0x2545F4914F6CDD1DULL * static_cast<std::uint64_t>(k + 1);
        while (!stop.load(std::memory_order_relaxed)) {
          rng ^= rng << 13;
          rng ^= rng >> 7;
          rng ^= rng << 17;
          keep.push_back(std::make_unique<std::string>(rng % 300 + 1, static_cast<char>('a' + k)));
          if (keep.size() > 512)
            keep.erase(keep.begin(), keep.begin() + static_cast<long>(rng % 400));
          void* p = std::malloc(rng % 65536 + 1);
          std::memset(p, k, 16);
          std::free(p);
          if (rng % 64 == 0) gmpkit::yield();
          progress.fetch_add(1, std::memory_order_relaxed);
        }
        wg.done();
      });
    }
    gmpkit::sleep_for(10s);
    stop.store(true);
    wg.wait();
    async = gmpkit::metrics().preemptions_async;
  });
  EXPECT_GT(progress.load(), 10000);
  EXPECT_GT(async, 0);
}

GMPKIT_INSTANTIATE_PROCS(StormAtProcs, 1, 2);

}  // namespace
