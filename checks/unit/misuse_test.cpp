// misuse_test.cpp — API misuse gets a documented exception derived from
// gmpkit::error (gmpkit/error.hpp) with a Go-like message, and the runtime
// stays usable afterwards: go()/yield()/sleep_for()/goroutine_id()/
// gomaxprocs() outside a running runtime, run() inside a goroutine or
// concurrently, invalid Config values, oversized goroutine bodies, negative
// WaitGroup counters, swallowed forced_unwind.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

namespace {

using gmpkit::test::procs;

using namespace std::chrono_literals;

static_assert(std::is_base_of_v<gmpkit::error, gmpkit::usage_error>);
static_assert(std::is_base_of_v<gmpkit::error, gmpkit::thread_exhaustion_error>);
static_assert(std::is_base_of_v<gmpkit::error, gmpkit::deadlock_error>);
static_assert(std::is_base_of_v<std::runtime_error, gmpkit::error>);
static_assert(!std::is_base_of_v<std::exception, gmpkit::forced_unwind>,
              "forced_unwind must not be caught by catch (const std::exception&)");

// Runs f, expecting a gmpkit::usage_error with exactly `message`.
void expect_usage_error(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected usage_error \"" << message << "\"";
  } catch (const gmpkit::usage_error& e) {
    EXPECT_EQ(std::string(e.what()), message);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// ---- outside a running runtime ----

TEST(Misuse, GoOutsideRuntime) {
  auto token = std::make_shared<int>(1);
  expect_usage_error(
      [&] { gmpkit::go([token] {}); },
      "gmpkit: go() called outside a goroutine (start the runtime with gmpkit::run)");
  EXPECT_EQ(token.use_count(), 1) << "the rejected callable is not leaked";
}

TEST(Misuse, YieldOutsideRuntime) {
  expect_usage_error([] { gmpkit::yield(); }, "gmpkit: yield() called outside a goroutine");
}

TEST(Misuse, SleepForOutsideRuntime) {
  expect_usage_error([] { gmpkit::sleep_for(1ms); },
                     "gmpkit: sleep_for() called outside a goroutine");
  expect_usage_error([] { gmpkit::sleep_for(0ms); },
                     "gmpkit: sleep_for() called outside a goroutine");
}

TEST(Misuse, GoroutineIdAndGomaxprocsOutsideRuntime) {
  expect_usage_error([] { gmpkit::goroutine_id(); },
                     "gmpkit: goroutine_id() called outside a goroutine");
  expect_usage_error([] { gmpkit::gomaxprocs(); },
                     "gmpkit: gomaxprocs() called with no runtime running");
  // The pure queries do not throw.
  EXPECT_FALSE(gmpkit::in_goroutine());
  EXPECT_EQ(gmpkit::num_goroutine(), 0);
  EXPECT_NO_THROW(gmpkit::preempt_point());
}

// A plain thread that is not a goroutine, while a runtime is running on
// another thread, is still "outside".
TEST(Misuse, ForeignThreadWhileARuntimeRuns) {
  std::atomic<bool> checked{false};
  gmpkit::run(procs(2), [&] {
    std::thread t([&] {
      expect_usage_error(
          [] { gmpkit::go([] {}); },
          "gmpkit: go() called outside a goroutine (start the runtime with gmpkit::run)");
      expect_usage_error([] { gmpkit::yield(); }, "gmpkit: yield() called outside a goroutine");
      EXPECT_FALSE(gmpkit::in_goroutine());
      checked = true;
    });
    t.join();  // blocks this M briefly; fine for a test
  });
  EXPECT_TRUE(checked.load());
}

// ---- run() misuse ----

TEST(Misuse, RunInsideAGoroutine) {
  bool inner_ran = false, outer_continued = false;
  gmpkit::run(procs(2), [&] {
    expect_usage_error([&] { gmpkit::run([&] { inner_ran = true; }); },
                       "gmpkit: run() called from inside a goroutine");
    // The outer runtime is unaffected.
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      expect_usage_error([&] { gmpkit::run(procs(1), [&] { inner_ran = true; }); },
                         "gmpkit: run() called from inside a goroutine");
      wg.done();
    });
    wg.wait();
    outer_continued = true;
  });
  EXPECT_FALSE(inner_ran);
  EXPECT_TRUE(outer_continued);
}

// Uncaught, the misuse error escapes the goroutine and is rethrown from the
// outer run() like any exception.
TEST(Misuse, RunInsideAGoroutineUncaughtPropagates) {
  try {
    gmpkit::run(procs(1), [] { gmpkit::run([] {}); });
    FAIL() << "no exception";
  } catch (const gmpkit::usage_error& e) {
    EXPECT_STREQ(e.what(), "gmpkit: run() called from inside a goroutine");
  }
}

TEST(Misuse, SecondConcurrentRun) {
  std::atomic<bool> inside{false}, release{false};
  std::thread first([&] {
    gmpkit::run(procs(1), [&] {
      inside = true;
      while (!release.load()) gmpkit::sleep_for(1ms);
    });
  });
  while (!inside.load()) std::this_thread::sleep_for(1ms);
  bool ran = false;
  expect_usage_error([&] { gmpkit::run(procs(1), [&] { ran = true; }); },
                     "gmpkit: run() is already active on another thread");
  release = true;
  first.join();
  EXPECT_FALSE(ran);
  // And once the first has returned, run() works again.
  gmpkit::run(procs(1), [&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(Misuse, InvalidConfig) {
  bool ran = false;
  auto body = [&] { ran = true; };
  gmpkit::Config c = procs(1025);
  expect_usage_error([&] { gmpkit::run(c, body); }, "gmpkit: Config::procs must be at most 1024");
  c = procs(1);
  c.max_threads = 0;
  expect_usage_error([&] { gmpkit::run(c, body); }, "gmpkit: Config::max_threads must be positive");
  c = procs(1);
  c.time_slice = 0ns;
  expect_usage_error([&] { gmpkit::run(c, body); }, "gmpkit: Config::time_slice must be positive");
  c.time_slice = -1ms;
  expect_usage_error([&] { gmpkit::run(c, body); }, "gmpkit: Config::time_slice must be positive");
  EXPECT_FALSE(ran);
  gmpkit::run(procs(1), body);  // a failed run() leaves nothing behind
  EXPECT_TRUE(ran);
}

// A goroutine body must fit in half of the stack; go() throws otherwise and
// the callable stays with the caller.
TEST(Misuse, GoroutineBodyTooBig) {
  gmpkit::Config cfg = procs(1);
  cfg.stack_size = 64 * 1024;
  std::string message;
  bool big_ran = false, small_ran = false;
  gmpkit::run(cfg, [&] {
    struct Big {
      char bytes[40 * 1024];
      bool* ran;
      void operator()() const { *ran = true; }
    };
    auto big = std::make_unique<Big>();
    big->ran = &big_ran;
    try {
      gmpkit::go(std::move(*big));  // an rvalue: no copy on main's own stack
    } catch (const gmpkit::usage_error& e) {
      message = e.what();
    }
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      small_ran = true;
      wg.done();
    });
    wg.wait();
  });
  EXPECT_EQ(message, "gmpkit: goroutine body of " + std::to_string(40 * 1024 + sizeof(bool*)) +
                         " bytes does not fit in half of the goroutine stack (Config::stack_size)");
  EXPECT_FALSE(big_ran);
  EXPECT_TRUE(small_ran) << "the runtime is fine afterwards";
}

// ---- WaitGroup misuse ----

TEST(Misuse, NegativeWaitGroupCounterOutsideRuntime) {
  gmpkit::WaitGroup wg;
  expect_usage_error([&] { wg.done(); }, "sync: negative WaitGroup counter");
  expect_usage_error([&] { wg.add(-5); }, "sync: negative WaitGroup counter");
  // The counter is restored: the WaitGroup still works.
  wg.add(2);
  wg.done();
  expect_usage_error([&] { wg.add(-2); }, "sync: negative WaitGroup counter");
  wg.done();
  wg.wait();  // counter 0: returns at once, even outside a goroutine
}

// Go's TestWaitGroupMisuse: Add(1), Done(), Done() panics.
TEST(Misuse, NegativeWaitGroupCounterInAGoroutine) {
  std::string message;
  bool after = false;
  try {
    gmpkit::run(procs(2), [&] {
      gmpkit::WaitGroup wg;
      wg.add(1);
      wg.done();
      wg.done();
      after = true;
    });
  } catch (const gmpkit::usage_error& e) {
    message = e.what();
  }
  EXPECT_EQ(message, "sync: negative WaitGroup counter");
  EXPECT_FALSE(after);
}

// wait() with a positive counter outside a goroutine cannot block the
// thread: it throws.
TEST(Misuse, WaitGroupWaitOutsideAGoroutine) {
  gmpkit::WaitGroup wg;
  wg.add(1);
  expect_usage_error([&] { wg.wait(); }, "gmpkit: blocking call outside a goroutine");
}

// A wait() rejected outside a goroutine must not leave a phantom waiter
// behind (it once did: the next real wait() returned early).
TEST(Misuse, WaitGroupUsableAfterRejectedWaitOutsideAGoroutine) {
  gmpkit::WaitGroup wg;
  wg.add(1);
  EXPECT_THROW(wg.wait(), gmpkit::usage_error);
  wg.done();
  std::atomic<bool> done_ran{false};
  EXPECT_NO_THROW(gmpkit::run(procs(1), [&] {
    wg.add(1);
    gmpkit::go([&] {
      gmpkit::sleep_for(5ms);
      done_ran = true;
      wg.done();
    });
    wg.wait();
    EXPECT_TRUE(done_ran.load()) << "wait() returned before the counter reached zero";
  }));
}

// ---- deadlock ----

// Every goroutine blocked with nothing that could wake it: Go's "all
// goroutines are asleep - deadlock!" as a deadlock_error from run().
TEST(Misuse, DeadlockIsReported) {
  for (int n : {1, 2}) {
    std::atomic<int> unwound{0};
    try {
      gmpkit::run(procs(n), [&] {
        struct Guard {
          std::atomic<int>& u;
          ~Guard() { u.fetch_add(1); }
        } g{unwound};
        gmpkit::WaitGroup wg;
        wg.add(1);
        gmpkit::go([&] {
          Guard g2{unwound};
          gmpkit::WaitGroup other;
          other.add(1);
          other.wait();
        });
        wg.wait();
      });
      ADD_FAILURE() << "procs " << n << ": no deadlock reported";
    } catch (const gmpkit::deadlock_error& e) {
      std::string what = e.what();
      EXPECT_EQ(what.rfind("all goroutines are asleep - deadlock!", 0), 0u) << what;
      EXPECT_NE(what.find("goroutine 1 [sync.WaitGroup.Wait]"), std::string::npos) << what;
    }
    EXPECT_EQ(unwound.load(), 2) << "both parked goroutines unwound";
  }
}

// ---- forced_unwind must be rethrown ----

class MisuseDeathTest : public testing::Test {
 protected:
  void SetUp() override { testing::FLAGS_gtest_death_test_style = "threadsafe"; }
};

// A goroutine that swallows forced_unwind and blocks again is a fatal error
// with an explanation (error.hpp).
TEST_F(MisuseDeathTest, SwallowedForcedUnwindThenBlockingIsFatal) {
  EXPECT_DEATH(
      {
        gmpkit::run(procs(1), [] {
          gmpkit::WaitGroup started;
          started.add(1);
          gmpkit::go([&] {
            gmpkit::WaitGroup never;
            never.add(1);
            try {
              started.done();
              never.wait();
            } catch (...) {
              // swallowed (wrong): and blocks again
            }
            never.wait();
          });
          started.wait();
        });
      },
      "swallowed gmpkit::forced_unwind");
}

}  // namespace
