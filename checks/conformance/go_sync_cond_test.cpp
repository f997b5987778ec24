// Ports of Go 1.19's sync/cond_test.go. One gtest per Go test, named
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
#include <type_traits>

// Go: n=2 waiters; each Signal wakes exactly one of them.
TEST(GoSync, TestCondSignal) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    constexpr int n = 2;
    Chan<bool> running(n), awake(n);
    // Not in Go (a GC keeps m and c alive): each waiter reports on `done`
    // after its last use of m, and main waits for all before its frame goes.
    Chan<bool> done(n);
    for (int i = 0; i < n; i++)
      gmpkit::go([&, running, awake, done]() mutable {
        m.lock();
        running.send(true);
        c.wait();
        awake.send(true);
        m.unlock();
        done.send(true);
      });
    for (int i = 0; i < n; i++) running.recv();  // wait for everyone to run
    for (int left = n; left > 0; left--) {
      EXPECT_EQ(awake.size(), 0u) << "goroutine not asleep";
      m.lock();
      c.signal();
      m.unlock();
      awake.recv();  // will deadlock if no goroutine wakes up
      EXPECT_EQ(awake.size(), 0u) << "too many goroutines awake";
    }
    c.signal();
    for (int i = 0; i < n; i++) done.recv();
  });
}

// Go: 100 goroutines wait one after another; each Signal wakes the oldest
// waiter (ticket order).
TEST(GoSync, TestCondSignalGenerations) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    constexpr int n = 100;
    Chan<int> running(n), awake(n);
    // Not in Go (a GC keeps m and c alive): each waiter reports on `done`
    // after its last use of m (awake is sent before m.unlock()), and main
    // waits for all before its frame goes.
    Chan<int> done(n);
    for (int i = 0; i < n; i++) {
      gmpkit::go([&, i, running, awake, done]() mutable {
        m.lock();
        running.send(i);
        c.wait();
        awake.send(i);
        m.unlock();
        done.send(i);
      });
      if (i > 0) {
        int a = *awake.recv();
        EXPECT_EQ(a, i - 1) << "wrong goroutine woke up";
      }
      running.recv();
      m.lock();
      c.signal();
      m.unlock();
    }
    EXPECT_EQ(*awake.recv(), n - 1);
    for (int i = 0; i < n; i++) done.recv();
  });
}

// Go: n=200 waiters, n rounds: Broadcast wakes every one exactly once;
// afterwards no goroutine is still running the loop.
TEST(GoSync, TestCondBroadcast) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    constexpr int n = 200;
    Chan<int> running(n), awake(n);
    bool exit = false;
    // Not in Go (a GC keeps m, c and exit alive): each waiter reports on
    // `done` after its last use of them, and main waits for all.
    Chan<int> done(n);
    for (int i = 0; i < n; i++)
      gmpkit::go([&, i, running, awake, done]() mutable {
        m.lock();
        while (!exit) {
          running.send(i);
          c.wait();
          awake.send(i);
        }
        m.unlock();
        done.send(i);
      });
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) running.recv();  // wait for everyone to run
      if (i == n - 1) {
        m.lock();
        exit = true;
        m.unlock();
      }
      EXPECT_EQ(awake.size(), 0u);
      m.lock();
      c.broadcast();
      m.unlock();
      std::vector<bool> seen(n);
      for (int j = 0; j < n; j++) {
        int g = *awake.recv();
        EXPECT_FALSE(seen[g]) << "goroutine woke up twice";
        seen[g] = true;
      }
    }
    EXPECT_EQ(running.size(), 0u);
    for (int i = 0; i < n; i++) done.recv();
  });
}

// Go: three goroutines hand x = 1 -> 2 -> 3 around with Wait/Signal under
// c.L; each sees the value it waits for (and the race detector is quiet).
TEST(GoSync, TestRace) {
  run_procs(2, [] {
    int x = 0;
    gmpkit::Mutex l;
    gmpkit::Cond c(l);
    Chan<bool> done(0);
    std::atomic<int> errors{0};
    gmpkit::go([&, done]() mutable {
      l.lock();
      x = 1;
      c.wait();
      if (x != 2) errors++;  // want 2
      x = 3;
      c.signal();
      l.unlock();
      done.send(true);
    });
    gmpkit::go([&, done]() mutable {
      l.lock();
      for (;;) {
        if (x == 1) {
          x = 2;
          c.signal();
          break;
        }
        l.unlock();
        gmpkit::yield();
        l.lock();
      }
      l.unlock();
      done.send(true);
    });
    gmpkit::go([&, done]() mutable {
      l.lock();
      for (;;) {
        if (x == 2) {
          c.wait();
          if (x != 3) errors++;  // want 3
          break;
        }
        if (x == 3) break;
        l.unlock();
        gmpkit::yield();
        l.lock();
      }
      l.unlock();
      done.send(true);
    });
    done.recv();
    done.recv();
    done.recv();
    EXPECT_EQ(errors.load(), 0);
  });
}

// Go: 1000 rounds: a Broadcast racing with a new waiter must still wake
// the goroutine that was already waiting (within 2 s), whether or not the
// new waiter gets it too.
TEST(GoSync, TestCondSignalStealing) {
  run_procs(2, [] {
    for (int iters = 0; iters < 1000; iters++) {
      // Go's garbage collector keeps m, cond and done alive for the racing
      // goroutines, which may outlive the iteration: here a shared_ptr does.
      struct State {
        gmpkit::Mutex m;
        gmpkit::Cond cond{m};
        bool done = false;  // guarded by m
      };
      auto st = std::make_shared<State>();
      // Start a waiter.
      Chan<bool> ch(0);
      gmpkit::go([st, ch]() mutable {
        st->m.lock();
        ch.send(true);
        st->cond.wait();
        st->m.unlock();
        ch.send(true);
      });
      ch.recv();
      st->m.lock();
      st->m.unlock();
      // We know that the waiter is in the cond.wait() call because we
      // synchronized with it, then acquired/released the mutex it was
      // holding when we synchronized.
      //
      // Start two goroutines that will race: one will broadcast on the
      // cond var, the other will wait on it. The new waiter may or may not
      // get notified, but the first one has to be notified.
      gmpkit::go([st] { st->cond.broadcast(); });
      gmpkit::go([st] {
        st->m.lock();
        while (!st->done) st->cond.wait();
        st->m.unlock();
      });
      // Check that the first waiter does get signalled (time.After(2s):
      // a goroutine that sleeps, then sends on a buffered channel).
      Chan<bool> timeout(1);
      gmpkit::go([timeout]() mutable {
        gmpkit::sleep_for(2s);
        timeout.send(true);
      });
      if (gmpkit::select(gmpkit::recv_case(ch), gmpkit::recv_case(timeout)) == 1) {
        ADD_FAILURE() << "First waiter didn't get broadcast (round " << iters << ")";
        return;
      }
      // Release the second waiter in case it didn't get the broadcast.
      st->m.lock();
      st->done = true;
      st->m.unlock();
      st->cond.broadcast();
    }
  });
}

// Go: Signal on a copied Cond panics "sync.Cond is copied" (a run-time
// check). Adapted: in C++ copying is rejected at compile time (deleted copy
// and move), which is checked here.
TEST(GoSync, TestCondCopy) {
  static_assert(!std::is_copy_constructible_v<gmpkit::Cond>);
  static_assert(!std::is_copy_assignable_v<gmpkit::Cond>);
  static_assert(!std::is_move_constructible_v<gmpkit::Cond>);
  run_procs(1, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    c.signal();  // the original works
  });
}
