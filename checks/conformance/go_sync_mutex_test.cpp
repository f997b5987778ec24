// Ports of Go 1.19's sync/mutex_test.go. One gtest per Go test, named
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
#include "core/sched.hpp"
#include "sync/sema.hpp"

namespace gsync = gmpkit::sync;

// Go: 10 goroutines x 1000 semacquire/semrelease pairs on a semaphore of 1
// (HammerSemaphore) all complete.
TEST(GoSync, TestSemaphore) {
  run_procs(2, [] {
    alignas(8) std::uint32_t s = 1;
    Chan<bool> c(0);
    for (int i = 0; i < 10; i++)
      gmpkit::go([&s, c]() mutable {
        for (int j = 0; j < 1000; j++) {
          gsync::semacquire(&s, gmpkit::core::WaitReason::semacquire);
          gsync::semrelease(&s, false);
        }
        c.send(true);
      });
    for (int i = 0; i < 10; i++) c.recv();
    EXPECT_EQ(s, 1u);
  });
}

// Go: TryLock fails on a locked mutex and succeeds on an unlocked one; 10
// goroutines x 1000 HammerMutex iterations (every 3rd a TryLock) complete.
// Added: a counter the lock protects is exact, at 1, 2 and 4 Ps.
TEST(GoSync, TestMutex) {
  run_procs(2, [] {
    gmpkit::Mutex m;
    m.lock();
    EXPECT_FALSE(m.try_lock()) << "TryLock succeeded with mutex locked";
    m.unlock();
    EXPECT_TRUE(m.try_lock()) << "TryLock failed with mutex unlocked";
    m.unlock();
  });
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

// Go: each of misuseTests (in a child process) dies with a message about
// an unlocked lock. Here each throws usage_error mentioning "unlocked".
TEST(GoSync, TestMutexMisuse) {
  run_procs(2, [] {
    auto expect_unlocked = [](const char* name, auto f) {
      std::string msg = error_of<gmpkit::usage_error>(f);
      EXPECT_NE(msg.find("unlocked"), std::string::npos) << name << ": " << msg;
    };
    expect_unlocked("Mutex.Unlock", [] {
      gmpkit::Mutex mu;
      mu.unlock();
    });
    expect_unlocked("Mutex.Unlock2", [] {
      gmpkit::Mutex mu;
      mu.lock();
      mu.unlock();
      mu.unlock();
    });
    expect_unlocked("RWMutex.Unlock", [] {
      gmpkit::RWMutex mu;
      mu.unlock();
    });
    expect_unlocked("RWMutex.Unlock2", [] {
      gmpkit::RWMutex mu;
      mu.rlock();
      try {
        mu.unlock();
      } catch (...) {
        mu.runlock();
        throw;
      }
    });
    expect_unlocked("RWMutex.Unlock3", [] {
      gmpkit::RWMutex mu;
      mu.lock();
      mu.unlock();
      mu.unlock();
    });
    expect_unlocked("RWMutex.RUnlock", [] {
      gmpkit::RWMutex mu;
      mu.runlock();
    });
    expect_unlocked("RWMutex.RUnlock2", [] {
      gmpkit::RWMutex mu;
      mu.lock();
      try {
        mu.runlock();
      } catch (...) {
        mu.unlock();
        throw;
      }
    });
    expect_unlocked("RWMutex.RUnlock3", [] {
      gmpkit::RWMutex mu;
      mu.rlock();
      mu.runlock();
      mu.runlock();
    });
  });
}

// Go: a goroutine that re-locks the mutex in a loop (holding it 100 us)
// cannot keep another from acquiring it 10 times within 10 s (starvation
// mode hands it over).
TEST(GoSync, TestMutexFairness) {
  run_procs(2, [] {
    // On the heap, shared (Go: mu escapes): on the failure path the second
    // goroutine may still lock it after main returns.
    auto mu = std::make_shared<gmpkit::Mutex>();
    Chan<bool> stop(0), done(1), timeout(1), hog_left(1);
    gmpkit::go([mu, stop, hog_left]() mutable {
      for (;;) {
        mu->lock();
        gmpkit::sleep_for(100us);
        mu->unlock();
        if (gmpkit::select(gmpkit::recv_case(stop), gmpkit::default_case()) == 0) break;
      }
      hog_left.send(true);
    });
    gmpkit::go([mu, done]() mutable {
      for (int i = 0; i < 10; i++) {
        gmpkit::sleep_for(100us);
        mu->lock();
        mu->unlock();
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
    // Not in Go's test: wait for the hog to leave, so it is not unwound by
    // shutdown inside mu->lock() (when mu lived in this frame, TSan saw
    // lockSlow's CAS on it against the next frame's writes).
    (void)hog_left.recv();
  });
}
