// sync.RWMutex beyond Go's sync/rwmutex_test.go (ported in conformance/):
// the exact misuse messages, writer preference, shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

using gmpkit::test::count_waiting;
using gmpkit::test::error_of;
using gmpkit::test::run_procs;
using gmpkit::test::wait_for_waiters;

}  // namespace

// A pending writer blocks new readers (no writer starvation); its unlock
// releases every reader that queued behind it.
TEST(RWMutex, PendingWriterBlocksNewReaders) {
  run_procs(2, [] {
    gmpkit::RWMutex rw;
    rw.rlock();
    Chan<int> events(10);
    // Each goroutine reports here after its unlock/runlock: events come
    // before them, and try_lock below needs every one of them out.
    Chan<int> left(4);
    gmpkit::go([&rw, events, left]() mutable {
      rw.lock();
      events.send(1);
      rw.unlock();
      left.send(1);
    });
    wait_for_waiters("sync.RWMutex.Lock", 1);
    EXPECT_FALSE(rw.try_rlock());
    EXPECT_FALSE(rw.try_lock());
    for (int i = 0; i < 3; i++)
      gmpkit::go([&rw, events, left]() mutable {
        rw.rlock();
        events.send(2);
        rw.runlock();
        left.send(2);
      });
    wait_for_waiters("sync.RWMutex.RLock", 3);
    EXPECT_EQ(events.size(), 0u);
    rw.runlock();  // the last reader leaves: the writer goes first, then the readers
    EXPECT_EQ(*events.recv(), 1);
    for (int i = 0; i < 3; i++) EXPECT_EQ(*events.recv(), 2);
    for (int i = 0; i < 4; i++) left.recv();
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
    EXPECT_EQ(error_of<gmpkit::usage_error>([&] { rw.runlock(); }),
              "sync: RUnlock of unlocked RWMutex");
    EXPECT_EQ(error_of<gmpkit::usage_error>([&] { rw.unlock(); }),
              "sync: Unlock of unlocked RWMutex");
    rw.lock();
    EXPECT_EQ(error_of<gmpkit::usage_error>([&] { rw.runlock(); }),
              "sync: RUnlock of unlocked RWMutex");
    rw.unlock();
    rw.rlock();
    EXPECT_EQ(error_of<gmpkit::usage_error>([&] { rw.unlock(); }),
              "sync: Unlock of unlocked RWMutex");
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
