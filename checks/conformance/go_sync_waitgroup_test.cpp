// Ports of Go 1.19's sync/waitgroup_test.go. One gtest per Go test, named
// GoSync.<GoTestName> (GoSync: Go's package sync; runtime's tests are Go.*),
// with Go's numbers. Go runs them at the machine's GOMAXPROCS; here each
// runs at 1, 2 and 4 Ps.
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

namespace {
// Runs f as a program's main at 1, 2 and 4 Ps.
template <class F>
void at_procs_1_2_4(F&& f) {
  for (int n : {1, 2, 4}) {
    SCOPED_TRACE("procs " + std::to_string(n));
    run_procs(n, f);
  }
}
}  // namespace

// Go: 16 goroutines do wg1.Done() then wg2.Wait(); main waits for wg1,
// sees nobody past wg2 while releasing it one Done at a time, then all 16
// exit; both groups reused 8 times.
TEST(GoSync, TestWaitGroup) {
  constexpr int n = 16;
  std::string failure;
  at_procs_1_2_4([&] {
    gmpkit::WaitGroup wg1, wg2;
    for (int round = 0; round != 8; round++) {
      std::atomic<int> exited{0};
      gmpkit::WaitGroup all_exited;
      wg1.add(n);
      wg2.add(n);
      all_exited.add(n);
      for (int i = 0; i != n; i++) {
        gmpkit::go([&] {
          wg1.done();
          wg2.wait();
          exited.fetch_add(1);
          all_exited.done();
        });
      }
      wg1.wait();
      for (int i = 0; i != n; i++) {
        if (exited.load() != 0) failure = "WaitGroup released group too soon";
        // Give the goroutines every chance to run past wg2 wrongly.
        gmpkit::yield();
        wg2.done();
      }
      all_exited.wait();
      if (exited.load() != n) failure = "not every goroutine exited";
    }
  });
  EXPECT_EQ(failure, "");
}

// Go: Add(1); Done(); Done() panics "sync: negative WaitGroup counter".
// Here: usage_error with that message, and the group stays usable.
TEST(GoSync, TestWaitGroupMisuse) {
  std::string message;
  bool reusable = false;
  at_procs_1_2_4([&] {
    gmpkit::WaitGroup wg;
    wg.add(1);
    wg.done();
    try {
      wg.done();
    } catch (const gmpkit::usage_error& e) {
      message = e.what();
    }
    wg.add(1);
    gmpkit::go([&] { wg.done(); });
    wg.wait();
    reusable = true;
  });
  EXPECT_EQ(message, "sync: negative WaitGroup counter");
  EXPECT_TRUE(reusable);
}

// Go: 1000 times, two goroutines increment a counter and Done; after
// Wait the counter is exactly 2 (no spurious wakeup).
TEST(GoSync, TestWaitGroupRace) {
  int bad = 0;
  at_procs_1_2_4([&] {
    for (int i = 0; i < 1000; i++) {
      gmpkit::WaitGroup wg;
      std::atomic<int> n{0};
      wg.add(1);
      gmpkit::go([&] {
        n.fetch_add(1);
        wg.done();
      });
      wg.add(1);
      gmpkit::go([&] {
        n.fetch_add(1);
        wg.done();
      });
      wg.wait();
      if (n.load() != 2) bad++;
    }
  });
  EXPECT_EQ(bad, 0);
}

// Go: a WaitGroup at an odd offset in a struct (after a byte) works; Go's
// 64-bit state must be 8-aligned on 32-bit platforms. Here the state word
// is alignas(8) by declaration; the struct still works across goroutines.
TEST(GoSync, TestWaitGroupAlign) {
  at_procs_1_2_4([] {
    struct X {
      char x;
      gmpkit::WaitGroup wg;
    };
    X x{};
    static_assert(alignof(X) >= 8);
    x.wg.add(1);
    gmpkit::go([&x] { x.wg.done(); });
    x.wg.wait();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&x.wg) % alignof(std::uint64_t), 0u);
  });
}
