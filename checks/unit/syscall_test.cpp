// gmpkit::syscall / syscall_block: entersyscall/exitsyscall, sysmon's
// retake + handoffp, exceptions, shutdown during a syscall.
#include <gtest/gtest.h>
#include <unistd.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include "test_util.hpp"

using namespace std::chrono_literals;

using gmpkit::test::procs;

TEST(Syscall, ReturnsValuesReferencesAndVoid) {
  gmpkit::run(procs(2), [] {
    EXPECT_EQ(gmpkit::syscall([] { return 42; }), 42);
    int x = 5;
    int& r = gmpkit::syscall([&]() -> int& { return x; });
    EXPECT_EQ(&r, &x);
    bool ran = false;
    gmpkit::syscall([&] { ran = true; });
    EXPECT_TRUE(ran);
    auto p = gmpkit::syscall([] { return std::make_unique<int>(9); });
    EXPECT_EQ(*p, 9);
    EXPECT_EQ(gmpkit::syscall_block([] { return 7; }), 7);
  });
}

TEST(Syscall, ExceptionPropagatesAfterExitsyscall) {
  gmpkit::run(procs(1), [] {
    EXPECT_THROW(gmpkit::syscall([]() -> int { throw std::runtime_error("boom"); }),
                 std::runtime_error);
    // Still a normal goroutine afterwards: it can spawn and yield.
    std::atomic<bool> ran{false};
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      ran = true;
      wg.done();
    });
    wg.wait();
    EXPECT_TRUE(ran);
  });
}

TEST(Syscall, OutsideGoroutineIsUsageError) {
  EXPECT_THROW(gmpkit::syscall([] { return 1; }), gmpkit::usage_error);
}

// procs=1: while one goroutine blocks 50 ms in a syscall, sysmon retakes
// its P and hands it off, so another goroutine makes progress meanwhile.
TEST(Syscall, BlockedSyscallDoesNotStopOtherGoroutines) {
  gmpkit::run(procs(1), [] {
    std::atomic<bool> in_syscall{false}, done{false};
    std::atomic<long> progress_during{0};
    gmpkit::WaitGroup wg;
    wg.add(2);
    gmpkit::go([&] {
      // Blocks until the other goroutine made 10 steps while we were in
      // the syscall (bounded: a broken runtime fails, it does not hang).
      // A fixed 50 ms here was at the mercy of the machine's load.
      gmpkit::syscall([&] {
        in_syscall = true;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (progress_during.load() < 10 && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(1ms);
        in_syscall = false;
      });
      done = true;
      wg.done();
    });
    gmpkit::go([&] {
      while (!done) {
        if (in_syscall) progress_during++;
        gmpkit::preempt_point();
        std::this_thread::sleep_for(100us);  // keep the loop cheap for the machine
      }
      wg.done();
    });
    wg.wait();
    EXPECT_GE(progress_during.load(), 10);
  });
}

// syscall_block hands the P off at once: the other goroutine runs while
// the blocking call is still in progress, even at procs=1.
TEST(Syscall, SyscallBlockHandsOffImmediately) {
  gmpkit::run(procs(1), [] {
    std::atomic<bool> other_ran{false};
    std::atomic<bool> saw_other{false};
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      other_ran = true;
      wg.done();
    });
    gmpkit::syscall_block([&] {
      for (int i = 0; i < 2000 && !other_ran; i++) std::this_thread::sleep_for(1ms);
      saw_other = other_ran.load();
    });
    wg.wait();
    EXPECT_TRUE(saw_other);
  });
}

// Many short syscalls racing sysmon's retake at procs=2: nothing is lost.
TEST(Syscall, ManyShortSyscallsRaceRetake) {
  gmpkit::run(procs(2), [] {
    constexpr int kG = 16, kCalls = 300;
    std::atomic<long> calls{0};
    gmpkit::WaitGroup wg;
    wg.add(kG);
    for (int g = 0; g < kG; g++) {
      gmpkit::go([&, g] {
        for (int i = 0; i < kCalls; i++) {
          gmpkit::syscall([&] {
            if ((i + g) % 50 == 0)
              std::this_thread::sleep_for(200us);  // sometimes long enough to be retaken
            calls++;
          });
          if (i % 10 == 0) gmpkit::yield();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(calls.load(), kG * kCalls);
  });
}

// A goroutine looping on short syscalls changes its P's syscalltick at every
// call, so sysmon never sees "the same syscall for a whole tick", and the
// fast exitsyscall takes the P back each time. As in Go's retake, the time
// slice covers _Psyscall too: after one slice the P is retaken and the
// goroutine waiting on the global runq runs. (Before this rule the waiter
// ran only when a preemption signal happened to land between two syscalls:
// Go.TestPreemptionAfterSyscall took 6.8 s under ASan at -j2 in CI.)
TEST(Syscall, ShortSyscallLoopIsRetakenAfterATimeSlice) {
  gmpkit::run(procs(1), [] {
    // Enough 5 µs calls to outlast the 10 ms slice by two orders of magnitude
    // on a loaded machine; the loop normally ends long before.
    constexpr long kMaxCalls = 400000;
    auto stop = std::make_shared<std::atomic<bool>>(false);
    auto calls = std::make_shared<std::atomic<long>>(0);
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([stop, calls, &wg] {
      while (!stop->load() && calls->load() < kMaxCalls) {
        gmpkit::syscall([] {
          const auto end = std::chrono::steady_clock::now() + 5us;
          while (std::chrono::steady_clock::now() < end) {}
        });
        calls->fetch_add(1);
      }
      wg.done();
    });
    const auto before = gmpkit::metrics().handoffs;
    gmpkit::yield();  // to the global runq; the only P goes to the looper
    stop->store(true);
    wg.wait();
    EXPECT_LT(calls->load(), kMaxCalls) << "the waiting goroutine never got the P back";
    EXPECT_GT(gmpkit::metrics().handoffs, before);
  });
}

// Shutdown while a goroutine is inside a syscall: run() waits for the call
// to return, then the goroutine never runs user code again and its locals
// are destroyed.
TEST(Syscall, ShutdownDuringSyscallUnwindsAfterReturn) {
  std::atomic<int> destroyed{0};
  std::atomic<bool> after_syscall{false};
  struct Tracker {
    std::atomic<int>* n;
    ~Tracker() { ++*n; }
  };
  std::atomic<bool> entered{false};
  gmpkit::run(procs(2), [&] {
    gmpkit::go([&] {
      Tracker t{&destroyed};
      gmpkit::syscall([&] {
        entered = true;
        std::this_thread::sleep_for(100ms);
      });
      after_syscall = true;
    });
    while (!entered) gmpkit::yield();
  });
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_FALSE(after_syscall.load());
}
