// sync.Cond: ports of Go's sync/cond_test.go (TestCondSignal,
// TestCondSignalGenerations, TestCondBroadcast, TestCondSignalStealing).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

}  // namespace

TEST(Cond, Signal) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    constexpr int n = 2;
    Chan<bool> running(n), awake(n);
    for (int i = 0; i < n; i++)
      gmpkit::go([&, running, awake]() mutable {
        m.lock();
        running.send(true);
        c.wait();
        awake.send(true);
        m.unlock();
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
  });
}

// Go's TestCondSignalGenerations: signals wake waiters in ticket order.
TEST(Cond, SignalGenerations) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    constexpr int n = 100;
    Chan<int> running(n), awake(n);
    for (int i = 0; i < n; i++) {
      gmpkit::go([&, i, running, awake]() mutable {
        m.lock();
        running.send(i);
        c.wait();
        awake.send(i);
        m.unlock();
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
    // Unlike Go (a GC keeps m and c alive), the last waiter must be done
    // before this frame's m and c go away.
    EXPECT_EQ(*awake.recv(), n - 1);
  });
}

TEST(Cond, Broadcast) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    gmpkit::Cond c(m);
    constexpr int n = 200;
    Chan<int> running(n), awake(n);
    bool exit = false;
    for (int i = 0; i < n; i++)
      gmpkit::go([&, i, running, awake]() mutable {
        m.lock();
        while (!exit) {
          running.send(i);
          c.wait();
          awake.send(i);
        }
        m.unlock();
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
  });
}

// Go's TestCondSignalStealing: a signal must not be stolen by a goroutine
// that starts waiting after it.
TEST(Cond, SignalStealing) {
  run_procs(2, [] {
    for (int iters = 0; iters < 300; iters++) {
      gmpkit::Mutex m;
      gmpkit::Cond cond(m);
      Chan<bool> ch(0);
      // Start a waiter.
      gmpkit::go([&, ch]() mutable {
        m.lock();
        ch.send(true);
        cond.wait();
        m.unlock();
        ch.send(true);
      });
      ch.recv();
      m.lock();
      m.unlock();
      // We know that the waiter is in the cond.wait() call because we
      // synchronized with it, then acquired/released the mutex it was
      // holding when we synchronized.
      bool done = false;
      gmpkit::go([&] {
        cond.signal();
        m.lock();
        done = true;
        m.unlock();
      });
      // Check that the first waiter does get signalled.
      ch.recv();
      // Release the second waiter in case we didn't.
      for (;;) {
        m.lock();
        bool d = done;
        m.unlock();
        if (d) break;
        cond.broadcast();
        gmpkit::yield();
      }
    }
  });
}

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
