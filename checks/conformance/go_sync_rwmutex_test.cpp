// Ports of Go 1.19's sync/rwmutex_test.go. One gtest per Go test, named
// GoSync.<GoTestName>, with Go's numbers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;
using gmpkit::test::error_of;
using gmpkit::test::run_procs;

// Go: doTestParallelReaders(numReaders, gomaxprocs) for (1, 4), (3, 4),
// (4, 2): all numReaders readers hold the read lock at the same time.
TEST(GoSync, TestParallelReaders) {
  for (auto [numReaders, procs] : {std::pair{1, 4}, std::pair{3, 4}, std::pair{4, 2}}) {
    {
      run_procs(procs, [numReaders = numReaders] {
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

namespace {
// Go's HammerRWMutex(gomaxprocs, numReaders, num_iterations): 2 writers and
// numReaders readers check an activity counter (a writer adds 10000, a
// reader 1) for exclusion.
void HammerRWMutex(int gomaxprocs, int numReaders, int num_iterations) {
  run_procs(gomaxprocs, [=] {
    gmpkit::RWMutex rwm;
    std::atomic<std::int32_t> activity{0};
    std::atomic<int> bad{0};
    Chan<bool> cdone(0);
    auto writer = [&, cdone]() mutable {
      for (int i = 0; i < num_iterations; i++) {
        rwm.lock();
        std::int32_t n = activity.fetch_add(10000) + 10000;
        if (n != 10000) bad++;
        for (volatile int k = 0; k < 100;) k = k + 1;  // Go's busy loop
        activity.fetch_sub(10000);
        rwm.unlock();
      }
      cdone.send(true);
    };
    auto reader = [&, cdone]() mutable {
      for (int i = 0; i < num_iterations; i++) {
        rwm.rlock();
        std::int32_t n = activity.fetch_add(1) + 1;
        if (n < 1 || n >= 10000) bad++;
        for (volatile int k = 0; k < 100;) k = k + 1;  // Go's busy loop
        activity.fetch_sub(1);
        rwm.runlock();
      }
      cdone.send(true);
    };
    gmpkit::go(writer);
    int i = 0;
    for (; i < numReaders / 2; i++) gmpkit::go(reader);
    gmpkit::go(writer);
    for (; i < numReaders; i++) gmpkit::go(reader);
    for (int k = 0; k < 2 + numReaders; k++) cdone.recv();
    EXPECT_EQ(bad.load(), 0) << "gomaxprocs " << gomaxprocs << " readers " << numReaders;
  });
}
}  // namespace

// Go: TryLock/TryRLock semantics on locked, unlocked and read-locked
// mutexes, then HammerRWMutex at (gomaxprocs, readers) = (1,1) (1,3) (1,10)
// (4,1) (4,3) (4,10) (10,1) (10,3) (10,10) (10,5) with n = 1000.
TEST(GoSync, TestRWMutex) {
  run_procs(2, [] {
    gmpkit::RWMutex m;
    m.lock();
    EXPECT_FALSE(m.try_lock()) << "TryLock succeeded with mutex locked";
    EXPECT_FALSE(m.try_rlock()) << "TryRLock succeeded with mutex locked";
    m.unlock();
    EXPECT_TRUE(m.try_lock()) << "TryLock failed with mutex unlocked";
    m.unlock();
    EXPECT_TRUE(m.try_rlock()) << "TryRLock failed with mutex unlocked";
    EXPECT_TRUE(m.try_rlock()) << "TryRLock failed with mutex rlocked";
    EXPECT_FALSE(m.try_lock()) << "TryLock succeeded with mutex rlocked";
    m.runlock();
    m.runlock();
  });
  constexpr int n = 1000;
  for (auto [procs, readers] :
       {std::pair{1, 1}, std::pair{1, 3}, std::pair{1, 10}, std::pair{4, 1}, std::pair{4, 3},
        std::pair{4, 10}, std::pair{10, 1}, std::pair{10, 3}, std::pair{10, 10}, std::pair{10, 5}})
    HammerRWMutex(procs, readers, n);
}

// Go: through RLocker() (a Locker whose Lock is RLock), two nested read
// locks exclude the writer until both are released, and the writer
// excludes readers, 10 rounds. Adapted: gmpkit has no RLocker(); the
// SharedLockable spelling lock_shared()/unlock_shared() (what
// std::shared_lock calls) plays its part.
TEST(GoSync, TestRLocker) {
  run_procs(2, [] {
    gmpkit::RWMutex wl;
    auto rl_lock = [&] { wl.lock_shared(); };
    auto rl_unlock = [&] { wl.unlock_shared(); };
    Chan<bool> wlocked(1), rlocked(1);
    constexpr int n = 10;
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&, wlocked, rlocked]() mutable {
      for (int i = 0; i < n; i++) {
        rl_lock();
        rl_lock();
        rlocked.send(true);
        wl.lock();
        wlocked.send(true);
      }
      wg.done();
    });
    for (int i = 0; i < n; i++) {
      rlocked.recv();
      rl_unlock();
      EXPECT_EQ(gmpkit::select(gmpkit::recv_case(wlocked), gmpkit::default_case()), 1u)
          << "RLocker() didn't read-lock it";
      rl_unlock();
      wlocked.recv();
      EXPECT_EQ(gmpkit::select(gmpkit::recv_case(rlocked), gmpkit::default_case()), 1u)
          << "RLocker() didn't respect the write lock";
      wl.unlock();
    }
    wg.wait();
  });
}
