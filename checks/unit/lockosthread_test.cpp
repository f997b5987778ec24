// lock_os_thread / unlock_os_thread beyond Go's tests (proc_test.go's
// LockOSThread*, YieldLocked*, BlockLocked and crash_test.go's
// LockedDeadlock* are in conformance/): a locked goroutine stays on its
// thread, a locked thread runs nothing else, main locked across run()s,
// STW with locked goroutines.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>
#include "test_util.hpp"

using namespace std::chrono_literals;

namespace {

using gmpkit::test::procs;

long tid() { return static_cast<long>(::syscall(SYS_gettid)); }

}  // namespace

// A locked goroutine always resumes on its thread, across yields, sleeps,
// channel waits and syscalls.
TEST(LockOSThread, LockedGoroutineStaysOnItsThread) {
  gmpkit::run(procs(2), [] {
    gmpkit::WaitGroup wg;
    wg.add(3);
    std::atomic<int> moved{0};
    for (int k = 0; k < 3; k++) {
      gmpkit::go([&] {
        gmpkit::lock_os_thread();
        const long me = tid();
        gmpkit::Chan<int> c(0);
        for (int i = 0; i < 200; i++) {
          switch (i % 4) {
            case 0:
              gmpkit::yield();
              break;
            case 1:
              gmpkit::sleep_for(10us);
              break;
            case 2:
              gmpkit::go([c]() mutable { c.send(1); });
              (void)c.recv();
              break;
            case 3:
              gmpkit::syscall_block([] { ::usleep(50); });
              break;
          }
          if (tid() != me) moved++;
        }
        gmpkit::unlock_os_thread();
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(moved.load(), 0);
  });
}

// A locked thread runs nothing but its goroutine: other goroutines never see
// the locked goroutine's thread id while it is locked.
TEST(LockOSThread, LockedThreadRunsNothingElse) {
  gmpkit::run(procs(2), [] {
    std::atomic<long> locked_tid{0};
    std::atomic<bool> stop{false};
    std::atomic<int> trespass{0}, runs{0};
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      gmpkit::lock_os_thread();
      locked_tid = tid();
      while (!stop.load()) gmpkit::sleep_for(50us);  // parks often: its M idles
      wg.done();
    });
    while (locked_tid.load() == 0) gmpkit::yield();
    gmpkit::WaitGroup others;
    others.add(50);
    for (int i = 0; i < 50; i++) {
      gmpkit::go([&] {
        for (int k = 0; k < 100; k++) {
          if (tid() == locked_tid.load()) trespass++;
          runs++;
          gmpkit::yield();
        }
        others.done();
      });
    }
    others.wait();
    stop = true;
    wg.wait();
    EXPECT_EQ(trespass.load(), 0);
    EXPECT_EQ(runs.load(), 5000);
  });
}

// The main goroutine exiting while locked ends run() normally (m0 cannot
// exit); a non-main goroutine locked to m0 exiting wedges m0 until the end.
TEST(LockOSThread, MainLockedAndRunReusable) {
  for (int i = 0; i < 20; i++) {
    gmpkit::run(procs(2), [] {
      gmpkit::lock_os_thread();
      gmpkit::WaitGroup wg;
      wg.add(10);
      for (int k = 0; k < 10; k++)
        gmpkit::go([&] {
          gmpkit::lock_os_thread();
          gmpkit::yield();
          wg.done();
        });
      wg.wait();
    });
  }
}

// Stopping the world and changing gomaxprocs with locked goroutines around.
TEST(LockOSThread, StopTheWorldWithLockedGoroutines) {
  gmpkit::run(procs(3), [] {
    std::atomic<bool> stop{false};
    std::atomic<int> moved{0};
    gmpkit::WaitGroup wg;
    wg.add(2);
    for (int k = 0; k < 2; k++) {
      gmpkit::go([&] {
        gmpkit::lock_os_thread();
        const long me = tid();
        while (!stop.load()) {
          gmpkit::sleep_for(20us);
          if (tid() != me) moved++;
        }
        wg.done();
      });
    }
    for (int i = 0; i < 100; i++) {
      if (i % 10 == 0) gmpkit::gomaxprocs(1 + i / 10 % 3);
      gmpkit::WorldStopped stw("locked");
    }
    stop = true;
    wg.wait();
    EXPECT_EQ(moved.load(), 0);
  });
}

TEST(LockOSThread, OutsideGoroutineIsUsageError) {
  EXPECT_THROW(gmpkit::lock_os_thread(), gmpkit::usage_error);
  EXPECT_THROW(gmpkit::unlock_os_thread(), gmpkit::usage_error);
}
