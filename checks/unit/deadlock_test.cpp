// Deadlock detection (checkdead): the message format, every goroutine
// listed, and no false positives while a timer or a syscall is pending.
// Go's crash_test.go deadlock cases are ported in
// conformance/go_crash_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <string>

#include "gmpkit/gmpkit.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

template <class F>
std::string deadlock_of(int procs, F&& f) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  try {
    gmpkit::run(cfg, std::forward<F>(f));
  } catch (const gmpkit::deadlock_error& e) {
    return e.what();
  }
  return "<no deadlock_error>";
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

}  // namespace

// Main locks a Mutex twice: a deadlock on the mutex's semaphore. (Go's
// crash_test.go deadlock cases are in conformance/go_crash_test.cpp.)
TEST(Deadlock, MutexLockedTwice) {
  std::string msg = deadlock_of(2, [] {
    gmpkit::Mutex mu;
    mu.lock();
    mu.lock();
  });
  EXPECT_TRUE(starts_with(msg, "all goroutines are asleep - deadlock!")) << msg;
  EXPECT_TRUE(contains(msg, "goroutine 1 [sync.Mutex.Lock]:")) << msg;
}

// Every goroutine is listed with its wait reason.
TEST(Deadlock, ListsEveryGoroutine) {
  std::int64_t sender = 0, waiter = 0;
  std::string msg = deadlock_of(2, [&] {
    Chan<int> a(0), b(0), started(2);
    gmpkit::go([=, &sender]() mutable {
      sender = gmpkit::goroutine_id();
      started.send(1);
      a.send(1);
    });
    gmpkit::go([=, &waiter]() mutable {
      waiter = gmpkit::goroutine_id();
      gmpkit::WaitGroup wg;
      wg.add(1);
      started.send(1);
      wg.wait();
    });
    started.recv();
    started.recv();
    b.recv();
  });
  EXPECT_TRUE(starts_with(msg, "all goroutines are asleep - deadlock!")) << msg;
  EXPECT_TRUE(contains(msg, "goroutine 1 [chan receive]:")) << msg;
  EXPECT_TRUE(contains(msg, "goroutine " + std::to_string(sender) + " [chan send]:")) << msg;
  EXPECT_TRUE(contains(msg, "goroutine " + std::to_string(waiter) + " [sync.WaitGroup.Wait]:"))
      << msg;
}

TEST(Deadlock, NilChannelAndSelect) {
  std::string msg = deadlock_of(1, [] {
    auto nil = Chan<int>::nil();
    gmpkit::go([nil]() mutable { nil.send(1); });
    gmpkit::yield();
    nil.recv();
  });
  EXPECT_TRUE(contains(msg, "goroutine 1 [chan receive (nil chan)]:")) << msg;
  EXPECT_TRUE(contains(msg, "[chan send (nil chan)]:")) << msg;
  msg = deadlock_of(2, [] {
    Chan<int> a(0), b(0);
    gmpkit::select(gmpkit::recv_case(a), gmpkit::send_case(b, 1));
  });
  EXPECT_TRUE(contains(msg, "goroutine 1 [select]:")) << msg;
}

// A pending timer can still make progress: no deadlock while one sleeps.
TEST(Deadlock, NoFalsePositiveWithPendingTimer) {
  gmpkit::Config cfg;
  cfg.procs = 2;
  int got = 0;
  EXPECT_NO_THROW(gmpkit::run(cfg, [&] {
    Chan<int> c(0);
    gmpkit::go([c]() mutable {
      gmpkit::sleep_for(30ms);
      c.send(7);
    });
    got = *c.recv();  // every other goroutine is blocked, but a timer is pending
  }));
  EXPECT_EQ(got, 7);
}

// A goroutine in a blocking syscall can still make progress.
TEST(Deadlock, NoFalsePositiveWithPendingSyscall) {
  gmpkit::Config cfg;
  cfg.procs = 1;
  int got = 0;
  EXPECT_NO_THROW(gmpkit::run(cfg, [&] {
    Chan<int> c(0);
    gmpkit::go([c]() mutable {
      gmpkit::syscall_block([] { ::usleep(30000); });
      c.send(8);
    });
    got = *c.recv();
  }));
  EXPECT_EQ(got, 8);
}

// After a deadlock the runtime can be started again.
TEST(Deadlock, RunAgainAfterDeadlock) {
  (void)deadlock_of(2, [] { gmpkit::select(); });
  int x = 0;
  gmpkit::run([&] { x = 1; });
  EXPECT_EQ(x, 1);
}
