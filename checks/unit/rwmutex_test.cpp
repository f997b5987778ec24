// sync.RWMutex: ports of Go's sync/rwmutex_test.go (TestParallelReaders,
// HammerRWMutex, misuse) and writer preference.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "gmpkit/gmpkit.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

template <class F>
void run_procs(int procs, F&& f) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  gmpkit::run(cfg, std::forward<F>(f));
}

int count_waiting(const std::string& reason) {
  int n = 0;
  for (const auto& g : gmpkit::debug::goroutines())
    if (g.wait_reason == reason) n++;
  return n;
}

void wait_for_waiters(const std::string& reason, int n) {
  while (count_waiting(reason) < n) gmpkit::yield();
}

template <class F>
std::string usage_error_of(F&& f) {
  try {
    f();
  } catch (const gmpkit::usage_error& e) {
    return e.what();
  }
  return "<no usage_error>";
}

}  // namespace

// Go's TestParallelReaders: numReaders readers hold the read lock at the
// same time (each waits for a clock tick while holding it).
TEST(RWMutex, ParallelReaders) {
  for (int procs : {1, 2, 4}) {
    for (int numReaders : {1, 3, 4}) {
      run_procs(procs, [numReaders] {
        gmpkit::RWMutex m;
        Chan<bool> clocked(0), cunlock(0), cdone(0);
        for (int i = 0; i < numReaders; i++)
          gmpkit::go([=, &m]() mutable {
            m.rlock();
            clocked.send(true);
            cunlock.recv();
            m.runlock();
            cdone.send(true);
          });
        // Wait for all readers to hold the lock simultaneously.
        for (int i = 0; i < numReaders; i++) clocked.recv();
        for (int i = 0; i < numReaders; i++) cunlock.send(false);
        for (int i = 0; i < numReaders; i++) cdone.recv();
      });
    }
  }
}

// Go's HammerRWMutex: readers and writers check the activity counter.
TEST(RWMutex, Hammer) {
  for (int procs : {1, 2, 4}) {
    run_procs(procs, [] {
      gmpkit::RWMutex rw;
      std::atomic<int> activity{0};
      constexpr int numReaders = 10, iterations = 300;
      Chan<bool> cdone(0);
      auto writer = [&, cdone]() mutable {
        for (int i = 0; i < iterations; i++) {
          std::unique_lock l(rw);
          int n = activity.fetch_add(10000) + 10000;
          EXPECT_EQ(n, 10000) << "wlock(" << n << ")";
          if (i % 10 == 0) gmpkit::yield();
          activity.fetch_sub(10000);
        }
        cdone.send(true);
      };
      auto reader = [&, cdone]() mutable {
        for (int i = 0; i < iterations; i++) {
          std::shared_lock l(rw);
          int n = activity.fetch_add(1) + 1;
          EXPECT_TRUE(n >= 1 && n < 10000) << "rlock(" << n << ")";
          if (i % 10 == 0) gmpkit::yield();
          activity.fetch_sub(1);
        }
        cdone.send(true);
      };
      gmpkit::go(reader);
      gmpkit::go(writer);
      for (int i = 0; i < numReaders / 2; i++) gmpkit::go(reader);
      gmpkit::go(writer);
      for (int i = 0; i < numReaders / 2; i++) gmpkit::go(reader);
      for (int i = 0; i < 2 + numReaders + 1; i++) cdone.recv();
    });
  }
}

// A pending writer blocks new readers (no writer starvation); its unlock
// releases every reader that queued behind it.
TEST(RWMutex, PendingWriterBlocksNewReaders) {
  run_procs(2, [] {
    gmpkit::RWMutex rw;
    rw.rlock();
    Chan<int> events(10);
    gmpkit::go([&rw, events]() mutable {
      rw.lock();
      events.send(1);
      rw.unlock();
    });
    wait_for_waiters("sync.RWMutex.Lock", 1);
    EXPECT_FALSE(rw.try_rlock());
    EXPECT_FALSE(rw.try_lock());
    for (int i = 0; i < 3; i++)
      gmpkit::go([&rw, events]() mutable {
        rw.rlock();
        events.send(2);
        rw.runlock();
      });
    wait_for_waiters("sync.RWMutex.RLock", 3);
    EXPECT_EQ(events.size(), 0u);
    rw.runlock();  // the last reader leaves: the writer goes first, then the readers
    EXPECT_EQ(*events.recv(), 1);
    for (int i = 0; i < 3; i++) EXPECT_EQ(*events.recv(), 2);
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
    EXPECT_TRUE(rw.try_rlock());
    EXPECT_TRUE(rw.try_rlock());
    rw.runlock();
    rw.runlock();
  });
}

TEST(RWMutex, Misuse) {
  run_procs(2, [] {
    gmpkit::RWMutex rw;
    EXPECT_EQ(usage_error_of([&] { rw.runlock(); }), "sync: RUnlock of unlocked RWMutex");
    EXPECT_EQ(usage_error_of([&] { rw.unlock(); }), "sync: Unlock of unlocked RWMutex");
    rw.lock();
    EXPECT_EQ(usage_error_of([&] { rw.runlock(); }), "sync: RUnlock of unlocked RWMutex");
    rw.unlock();
    rw.rlock();
    EXPECT_EQ(usage_error_of([&] { rw.unlock(); }), "sync: Unlock of unlocked RWMutex");
    rw.runlock();
    // Still usable after each misuse.
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
    EXPECT_TRUE(rw.try_rlock());
    rw.runlock();
  });
}

TEST(RWMutex, ShutdownWithBlockedGoroutinesLeaksNothing) {
  run_procs(2, [] {
    auto rw = std::make_shared<gmpkit::RWMutex>();
    rw->rlock();
    gmpkit::go([rw] {
      auto p = std::make_unique<int>(1);
      std::unique_lock l(*rw);
    });
    wait_for_waiters("sync.RWMutex.Lock", 1);
    gmpkit::go([rw] {
      auto p = std::make_unique<int>(2);
      std::shared_lock l(*rw);
    });
    wait_for_waiters("sync.RWMutex.RLock", 1);
  });
}
