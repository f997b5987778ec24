// lock_os_thread / unlock_os_thread: Go's proc_test.go LockOSThreadNesting,
// LockOSThreadExit, YieldLockedProgress, BlockLocked analogues, plus "a
// locked thread runs nothing else", the locked deadlock, and STW with
// locked goroutines.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

gmpkit::Config procs(int n) {
  gmpkit::Config c;
  c.procs = n;
  return c;
}

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

// Go's TestLockOSThreadNesting: locks nest; unlock of an unlocked G is a
// no-op; the G is unlocked after as many unlocks as locks.
TEST(LockOSThread, Nesting) {
  gmpkit::run(procs(2), [] {
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      gmpkit::unlock_os_thread();  // not locked: nothing happens
      gmpkit::lock_os_thread();
      gmpkit::lock_os_thread();
      const long me = tid();
      gmpkit::unlock_os_thread();
      // Still locked (one level left): stays on its thread.
      for (int i = 0; i < 50; i++) {
        gmpkit::sleep_for(10us);
        EXPECT_EQ(tid(), me);
      }
      gmpkit::unlock_os_thread();
      gmpkit::unlock_os_thread();  // extra: no-op
      wg.done();
    });
    wg.wait();
  });
}

// Go's TestLockOSThreadExit: a goroutine that exits locked takes its thread
// with it; one that unlocks first leaves the thread in the pool.
TEST(LockOSThread, ExitWhileLockedEndsTheThread) {
  gmpkit::run(procs(2), [] {
    std::set<long> locked_tids;
    for (int round = 0; round < 5; round++) {
      long t = 0;
      gmpkit::WaitGroup wg;
      wg.add(1);
      gmpkit::go([&] {
        gmpkit::lock_os_thread();
        gmpkit::sleep_for(100us);  // force a park/handoff cycle while locked
        t = tid();
        wg.done();
      });  // exits locked
      wg.wait();
      gmpkit::sleep_for(2ms);
      locked_tids.insert(t);
    }
    // None of the exited threads runs goroutines any more.
    std::atomic<int> reused{0};
    gmpkit::WaitGroup wg;
    wg.add(200);
    for (int i = 0; i < 200; i++) {
      gmpkit::go([&] {
        if (locked_tids.count(tid())) reused++;
        gmpkit::yield();
        if (locked_tids.count(tid())) reused++;
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(reused.load(), 0);
    EXPECT_EQ(locked_tids.size(), 5u) << "exited threads were reused for later locked goroutines";
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

// Go's TestYieldLockedProgress / BlockLocked: a locked goroutine that yields
// or blocks lets others progress, and is woken through its own thread.
TEST(LockOSThread, YieldAndBlockLockedProgress) {
  gmpkit::run(procs(1), [] {
    std::atomic<bool> done{false};
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      gmpkit::lock_os_thread();
      while (!done.load()) gmpkit::yield();
      gmpkit::unlock_os_thread();
      wg.done();
    });
    gmpkit::sleep_for(1ms);
    done = true;
    wg.wait();

    gmpkit::Chan<int> c(0);
    gmpkit::WaitGroup wg2;
    wg2.add(1);
    gmpkit::go([&] {
      gmpkit::lock_os_thread();
      for (int i = 0; i < 100; i++) c.send(i);
      wg2.done();
    });
    for (int i = 0; i < 100; i++) EXPECT_EQ(c.recv().value_or(-1), i);
    wg2.wait();
  });
}

// Go's TestLockedDeadlock: the main goroutine locked to its thread blocks
// forever with nothing else runnable — a deadlock, reported as such.
TEST(LockOSThread, LockedDeadlockIsReported) {
  try {
    gmpkit::run(procs(2), [] {
      gmpkit::lock_os_thread();
      gmpkit::Chan<int> never;
      (void)never.recv();
    });
    ADD_FAILURE() << "no deadlock_error";
  } catch (const gmpkit::deadlock_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("all goroutines are asleep - deadlock!", 0), 0u)
        << e.what();
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
