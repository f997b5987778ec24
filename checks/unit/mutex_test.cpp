// sync.Mutex: ports of Go's sync/mutex_test.go (TestMutex/HammerMutex,
// TestMutexMisuse, TestMutexFairness) plus the two modes: barging in
// normal mode, FIFO handoff once a waiter waited more than 1 ms
// (starvation mode), and shutdown with blocked lockers.
#include <gtest/gtest.h>

#include <atomic>
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

TEST(Mutex, Basic) {
  run_procs(2, [] {
    gmpkit::Mutex mu;
    mu.lock();
    EXPECT_FALSE(mu.try_lock());
    mu.unlock();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
    { std::lock_guard g(mu); }
    {
      std::unique_lock l(mu, std::try_to_lock);
      EXPECT_TRUE(l.owns_lock());
    }
    // Another goroutine may unlock it (Go's mutexes are not owned).
    mu.lock();
    Chan<int> done(0);
    gmpkit::go([&mu, done]() mutable {
      mu.unlock();
      done.send(1);
    });
    done.recv();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

// Go's TestMutex: HammerMutex from 10 goroutines, with a counter check.
TEST(Mutex, Hammer) {
  for (int procs : {1, 2, 4}) {
    run_procs(procs, [] {
      gmpkit::Mutex mu;
      long counter = 0;
      constexpr int G = 10, loops = 1000;
      Chan<bool> done(0);
      for (int i = 0; i < G; i++)
        gmpkit::go([&, done]() mutable {
          for (int j = 0; j < loops; j++) {
            if (j % 3 == 0) {
              if (mu.try_lock()) {
                counter++;
                mu.unlock();
                continue;
              }
            }
            std::lock_guard g(mu);
            long c = counter;
            if (j % 7 == 0) gmpkit::yield();  // hold it across a reschedule
            counter = c + 1;
          }
          done.send(true);
        });
      for (int i = 0; i < G; i++) done.recv();
      EXPECT_EQ(counter, long(G) * loops);
    });
  }
}

TEST(Mutex, Misuse) {
  run_procs(2, [] {
    gmpkit::Mutex mu;
    EXPECT_EQ(usage_error_of([&] { mu.unlock(); }), "sync: unlock of unlocked mutex");
    mu.lock();
    mu.unlock();
    EXPECT_EQ(usage_error_of([&] { mu.unlock(); }), "sync: unlock of unlocked mutex");
    // The mutex is still usable after the misuse.
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
    // With waiters queued, unlock of the unlocked... cannot happen; but an
    // error type check:
    try {
      mu.unlock();
      ADD_FAILURE();
    } catch (const gmpkit::error&) {}
  });
}

// Go's TestMutexFairness: a goroutine that keeps re-locking the mutex
// (holding it 100 us each time) cannot starve another one: starvation mode
// hands the mutex over. (Generous bound: 10 s for 10 acquisitions.)
TEST(Mutex, Fairness) {
  run_procs(2, [] {
    gmpkit::Mutex mu;
    Chan<bool> stop(0), done(1), timeout(1);
    gmpkit::go([&mu, stop]() mutable {
      for (;;) {
        mu.lock();
        gmpkit::sleep_for(100us);
        mu.unlock();
        if (gmpkit::select(gmpkit::recv_case(stop), gmpkit::default_case()) == 0) return;
      }
    });
    gmpkit::go([&mu, done]() mutable {
      for (int i = 0; i < 10; i++) {
        gmpkit::sleep_for(100us);
        mu.lock();
        mu.unlock();
      }
      done.send(true);
    });
    gmpkit::go([timeout]() mutable {
      gmpkit::sleep_for(10s);
      timeout.send(true);
    });
    std::size_t i = gmpkit::select(gmpkit::recv_case(done), gmpkit::recv_case(timeout));
    EXPECT_EQ(i, 0u) << "can't acquire Mutex in 10 seconds";
    stop.close();
  });
}

// Normal mode: a woken waiter competes with running goroutines, and the
// running one wins (it is on the CPU; the waiter is only runnable).
TEST(Mutex, NormalModeLetsARunningGoroutineBarge) {
  run_procs(1, [] {
    gmpkit::Mutex mu;
    std::vector<int> order;
    Chan<bool> done(1);
    mu.lock();
    gmpkit::go([&, done]() mutable {
      mu.lock();
      order.push_back(1);
      mu.unlock();
      done.send(true);
    });
    wait_for_waiters("sync.Mutex.Lock", 1);
    mu.unlock();  // wakes the waiter (runnable, not running)
    ASSERT_TRUE(mu.try_lock());  // barging is allowed in normal mode
    order.push_back(0);
    mu.unlock();
    done.recv();
    EXPECT_EQ(order, (std::vector<int>{0, 1}));
  });
}

// Starvation mode: waiters that waited more than 1 ms are served in FIFO
// order by direct handoff; a running goroutine that unlocks and re-locks
// queues behind them instead of barging.
TEST(Mutex, StarvationModeHandsOffFIFO) {
  for (int round = 0; round < 3; round++) {
    run_procs(1, [] {
      gmpkit::Mutex mu;
      std::vector<int> order;
      Chan<bool> done(3);
      mu.lock();
      for (int i = 1; i <= 3; i++) {
        gmpkit::go([&, i, done]() mutable {
          mu.lock();
          order.push_back(i);
          mu.unlock();
          done.send(true);
        });
        wait_for_waiters("sync.Mutex.Lock", i);  // queue them in order 1, 2, 3
      }
      gmpkit::sleep_for(3ms);  // every waiter has now waited > 1 ms
      // Normal-mode unlock wakes waiter 1; we barge and take the mutex back
      // before it runs. When it runs it finds the mutex locked after waiting
      // > 1 ms: it switches the mutex to starvation mode and re-queues at
      // the front.
      mu.unlock();
      ASSERT_TRUE(mu.try_lock());
      gmpkit::yield();
      // Starvation mode: unlock hands off to waiter 1 and yields; our own
      // lock() queues behind 2 and 3.
      mu.unlock();
      mu.lock();
      order.push_back(0);
      mu.unlock();
      for (int i = 0; i < 3; i++) done.recv();
      EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 0}));
      // Starvation mode ended with the last waiter: barging works again.
      EXPECT_TRUE(mu.try_lock());
      mu.unlock();
    });
  }
}

// The same mix under parallelism: many goroutines, short and long holds,
// no lost wakeups, mutual exclusion holds.
TEST(Mutex, StarvationStress) {
  run_procs(2, [] {
    gmpkit::Mutex mu;
    std::atomic<int> inside{0};
    long counter = 0;
    constexpr int G = 8, loops = 300;
    auto wg = std::make_shared<gmpkit::WaitGroup>();
    wg->add(G);
    for (int i = 0; i < G; i++)
      gmpkit::go([&, i, wg] {
        for (int j = 0; j < loops; j++) {
          mu.lock();
          EXPECT_EQ(inside.fetch_add(1), 0);
          counter++;
          if ((i + j) % 50 == 0) gmpkit::sleep_for(1500us);  // pushes waiters past 1 ms
          inside.fetch_sub(1);
          mu.unlock();
        }
        wg->done();
      });
    wg->wait();
    EXPECT_EQ(counter, long(G) * loops);
  });
}

TEST(Mutex, ShutdownWithBlockedLockersLeaksNothing) {
  for (int round = 0; round < 3; round++) {
    run_procs(2, [] {
      auto mu = std::make_shared<gmpkit::Mutex>();
      mu->lock();
      for (int i = 0; i < 4; i++)
        gmpkit::go([mu] {
          auto p = std::make_unique<int>(1);  // must be destroyed by the unwind
          std::lock_guard g(*mu);
        });
      wait_for_waiters("sync.Mutex.Lock", 4);
    });
  }
}
