// waitgroup_test.cpp — sync.WaitGroup (gmpkit/waitgroup.hpp) beyond Go's
// sync/waitgroup_test.go (ported in conformance/): wait() with a zero
// counter, many waiters released together, reuse after wait returns, the
// wait reason, concurrent waiters and doners.
// Every behaviour is checked at 1, 2 and 4 Ps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

class WaitGroupAtProcs : public gmpkit::test::ProcsTest {
 protected:
  gmpkit::Config cfg() const { return config(); }
};

// wait() on a zero counter returns at once without parking or yielding.
TEST_P(WaitGroupAtProcs, WaitWithZeroCounterReturnsImmediately) {
  gmpkit::Config c = cfg();
  c.procs = 1;  // so "no other goroutine ran" means "did not yield"
  c.time_slice = std::chrono::hours(1);
  c.min_slice =
      std::chrono::nanoseconds(0);  // no wake-up preemption for the queued goroutine either
  bool other_ran_before = true;
  std::atomic<bool> other_ran{false};
  gmpkit::run(c, [&] {
    gmpkit::WaitGroup wg;
    gmpkit::go([&] { other_ran = true; });
    wg.wait();
    wg.add(3);
    wg.add(-3);
    wg.wait();
    other_ran_before = other_ran.load();
    gmpkit::yield();
  });
  EXPECT_FALSE(other_ran_before) << "wait() with counter 0 yielded";
  EXPECT_TRUE(other_ran.load());
}

// 100 goroutines wait on one group; a single Done releases them all.
TEST_P(WaitGroupAtProcs, ManyWaitersAllReleased) {
  constexpr int kWaiters = 100;
  std::atomic<int> released{0};
  int early = -1;
  gmpkit::run(cfg(), [&] {
    gmpkit::WaitGroup gate, waiting, done;
    gate.add(1);
    waiting.add(kWaiters);
    done.add(kWaiters);
    for (int i = 0; i < kWaiters; i++) {
      gmpkit::go([&] {
        waiting.done();
        gate.wait();
        released.fetch_add(1);
        done.done();
      });
    }
    waiting.wait();
    // Every waiter is parked (or about to park) on gate: wait until the
    // scheduler shows them all waiting on the WaitGroup.
    for (int spin = 0; spin < 100000; spin++) {
      int parked = 0;
      for (const auto& g : gmpkit::debug::goroutines())
        parked += g.wait_reason == "sync.WaitGroup.Wait";
      if (parked == kWaiters) break;
      gmpkit::yield();
    }
    early = released.load();
    gate.done();
    done.wait();
  });
  EXPECT_EQ(early, 0);
  EXPECT_EQ(released.load(), kWaiters);
}

// A parked waiter shows Go's wait reason.
TEST_P(WaitGroupAtProcs, WaitReasonIsSyncWaitGroupWait) {
  bool seen = false;
  gmpkit::run(cfg(), [&] {
    gmpkit::WaitGroup gate, done;
    gate.add(1);
    done.add(1);
    std::atomic<std::int64_t> waiter{0};  // written by the goroutine, read by main
    gmpkit::go([&] {
      waiter = gmpkit::goroutine_id();
      gate.wait();
      done.done();
    });
    for (int spin = 0; spin < 100000 && !seen; spin++) {
      for (const auto& g : gmpkit::debug::goroutines())
        if (waiter != 0 && g.id == waiter && g.status == "waiting" &&
            g.wait_reason == "sync.WaitGroup.Wait")
          seen = true;
      if (!seen) gmpkit::yield();
    }
    gate.done();
    done.wait();
  });
  EXPECT_TRUE(seen);
}

// The same WaitGroup reused after every wait() returns, with waiters on
// both sides of each round; add(n) then n x done() from other goroutines.
TEST_P(WaitGroupAtProcs, ReuseAfterWaitReturns) {
  constexpr int kRounds = 200, kWorkers = 8;
  std::atomic<int> work{0};
  int wrong_rounds = 0;
  gmpkit::run(cfg(), [&] {
    gmpkit::WaitGroup wg;
    for (int r = 0; r < kRounds; r++) {
      wg.add(kWorkers);
      for (int i = 0; i < kWorkers; i++) {
        gmpkit::go([&, i] {
          if ((r + i) % 3 == 0) gmpkit::yield();
          work.fetch_add(1);
          wg.done();
        });
      }
      wg.wait();
      if (work.load() != (r + 1) * kWorkers) wrong_rounds++;
    }
  });
  EXPECT_EQ(wrong_rounds, 0);
  EXPECT_EQ(work.load(), kRounds * kWorkers);
}

// Several goroutines wait on the same group while others count it down from
// other Ps; everyone is released exactly once.
TEST_P(WaitGroupAtProcs, ConcurrentWaitersAndDoners) {
  constexpr int kWaiters = 20, kDoners = 200;
  std::atomic<int> released{0}, done_calls{0};
  gmpkit::run(cfg(), [&] {
    gmpkit::WaitGroup wg, finished;
    wg.add(kDoners);
    finished.add(kWaiters + kDoners);
    for (int i = 0; i < kWaiters; i++) {
      gmpkit::go([&] {
        wg.wait();
        if (done_calls.load() == kDoners) released.fetch_add(1);
        finished.done();
      });
    }
    for (int i = 0; i < kDoners; i++) {
      gmpkit::go([&, i] {
        if (i % 7 == 0) gmpkit::sleep_for(std::chrono::microseconds(100));
        done_calls.fetch_add(1);
        wg.done();
        finished.done();
      });
    }
    wg.wait();
    finished.wait();
  });
  EXPECT_EQ(released.load(), kWaiters) << "a waiter was released before every done()";
}

GMPKIT_INSTANTIATE_PROCS(WaitGroupAtProcs, 1, 2, 4);

}  // namespace
