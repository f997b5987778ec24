// Invariant checker (gmpkit::debug::verify_invariants, docs/ARCHITECTURE.md §4):
// it passes on healthy worlds with Gs in every kind of place, catches and
// names each kind of damage the test-only corruption hook makes (report
// mode; abort mode as a death test checking stderr), refuses to run outside
// a goroutine, and Config::verify_every runs it periodically without hiding
// deadlocks or being counted by num_goroutine().
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/invariants_testing.hpp"
#include "test_util.hpp"

namespace {

using gmpkit::test::procs;

using gmpkit::debug::InvariantMode;
using gmpkit::debug::InvariantReport;
using gmpkit::debug::verify_invariants;
using namespace gmpkit::testing;
using namespace std::chrono_literals;

InvariantReport check() { return verify_invariants(InvariantMode::report); }

TEST(Invariants, OutsideAGoroutineThrowsUsageError) {
  EXPECT_THROW(verify_invariants(), gmpkit::usage_error);
  EXPECT_THROW(verify_invariants(InvariantMode::report), gmpkit::usage_error);
  try {
    verify_invariants();
  } catch (const gmpkit::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("outside a goroutine"), std::string::npos) << e.what();
  }
}

// Gs parked on a channel, in select, sleeping, on a Mutex (sema root), in a
// WaitGroup, on a pipe (netpoll), in a syscall, runnable in run queues,
// plus dead Gs on free lists: all accounted for.
TEST(Invariants, HealthyWorldWithGsEverywherePasses) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  for (int p : {1, 2, 4}) {
    gmpkit::run(procs(p), [&] {
      for (int i = 0; i < 20; i++) gmpkit::go([] {});  // exit at once: dead Gs on free lists
      gmpkit::Chan<int> ch(0), quit(0);
      gmpkit::Mutex mu;
      gmpkit::WaitGroup wg, started, finished;  // finished: no helper outlives this frame
      std::atomic<bool> in_syscall{false}, leave_syscall{false};
      mu.lock();
      wg.add(1);
      started.add(6);
      finished.add(6);
      gmpkit::go([&] {
        started.done();
        ch.recv();
        finished.done();
      });
      gmpkit::go([&] {
        started.done();
        gmpkit::select(gmpkit::recv_case(quit), gmpkit::recv_case(ch));
        finished.done();
      });
      gmpkit::go([&started] {
        started.done();
        gmpkit::sleep_for(1h);
      });  // unwound at shutdown
      gmpkit::go([&] {
        started.done();
        mu.lock();
        mu.unlock();
        finished.done();
      });
      gmpkit::go([&] {
        started.done();
        wg.wait();
        finished.done();
      });
      gmpkit::go([&] {
        started.done();
        gmpkit::wait_readable(fds[0]);
        finished.done();
      });
      gmpkit::go([&] {
        gmpkit::syscall([&] {
          in_syscall = true;
          while (!leave_syscall) usleep(100);
        });
        finished.done();
      });
      started.wait();
      while (!in_syscall) gmpkit::sleep_for(100us);
      gmpkit::sleep_for(2ms);  // let the parkers reach their parks
      EXPECT_TRUE(check().ok()) << check().str();
      {
        gmpkit::WorldStopped stw("test");
        for (int i = 0; i < 5; i++) gmpkit::go([] {});  // runnable, in our run queue
        InvariantReport r = check();
        EXPECT_TRUE(r.ok()) << r.str();
        EXPECT_NE(r.state.find("status=waiting(chan receive)"), std::string::npos) << r.state;
        EXPECT_NE(r.state.find("status=waiting(sleep)"), std::string::npos) << r.state;
        EXPECT_NE(r.state.find("status=syscall"), std::string::npos) << r.state;
        verify_invariants();  // abort mode: returns
      }
      leave_syscall = true;
      ch.send(1);
      ch.send(2);
      mu.unlock();
      wg.done();
      ASSERT_EQ(write(fds[1], "x", 1), 1);
      finished.wait();
      EXPECT_TRUE(check().ok());
    });
    char c;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
  }
  close(fds[0]);
  close(fds[1]);
}

// Each corruption, alone: caught, named, and gone after repair().
TEST(Invariants, EachCorruptionIsCaughtAndNamed) {
  gmpkit::run(procs(2), [] {
    // No SCOPED_TRACE here: gtest keeps its trace stack per OS thread, and
    // this goroutine may resume on another M at the stop below (a
    // scheduling point: semacquire), which then popped another thread's
    // empty stack (SIGSEGV under TSan, where that point preempts often).
    for (Corruption c : kAllCorruptions) {
      const std::string name = corruption_name(c);
      gmpkit::WorldStopped stw("test");
      for (int i = 0; i < 3; i++) gmpkit::go([] {});
      ASSERT_TRUE(check().ok()) << name << ": " << check().str();
      corrupt(c);
      InvariantReport r = check();
      EXPECT_FALSE(r.ok()) << name;
      EXPECT_TRUE(r.has(violation_kind(c))) << name << ": " << r.str();
      EXPECT_NE(r.str().find("scheduler state:"), std::string::npos) << name;
      repair();
      r = check();
      EXPECT_TRUE(r.ok()) << name << ": " << r.str();
    }
  });
}

TEST(Invariants, AllCorruptionsAtOnceAreEachNamed) {
  gmpkit::run(procs(3), [] {
    gmpkit::WorldStopped stw("test");
    for (int i = 0; i < 4; i++) gmpkit::go([] {});
    // Every kind but runq_bounds: a ring whose bounds are broken cannot be
    // walked, which would hide the run-queue kinds (lost, duplicate).
    Corruption all = Corruption::none;
    for (Corruption c : kAllCorruptions)
      if (c != Corruption::runq_bounds) all = all | c;
    corrupt(all);
    InvariantReport r = check();
    for (Corruption c : kAllCorruptions) {
      if (c != Corruption::runq_bounds) {
        EXPECT_TRUE(r.has(violation_kind(c))) << corruption_name(c) << "\n" << r.str();
      }
    }
    repair();
    EXPECT_TRUE(check().ok()) << check().str();
  });
}

TEST(Invariants, CorruptRequiresTheStoppedWorld) {
  gmpkit::run(procs(1),
              [] { EXPECT_THROW(corrupt(Corruption::wrong_npidle), gmpkit::usage_error); });
}

class InvariantsDeathTest : public testing::Test {
 protected:
  void SetUp() override { testing::FLAGS_gtest_death_test_style = "threadsafe"; }
};

#if GMPKIT_CHECKED
#define kHistoryRegex \
  "(.|\n)*runnable -> running on M"  // each G's last transitions (checked builds record them)
#else
#define kHistoryRegex ""
#endif

TEST_F(InvariantsDeathTest, AbortModePrintsTheFullReport) {
  EXPECT_DEATH(
      gmpkit::run(procs(2),
                  [] {
                    gmpkit::stop_the_world("test");
                    gmpkit::go([] {});
                    corrupt(Corruption::wrong_npidle | Corruption::lost_runnable);
                    verify_invariants();
                  }),
      "scheduler invariant violated(.|\n)*npidle: npidle=1 but the idle list has 0 Ps(.|\n)*"
      "runnable_lost: G[0-9]+ \\(runnable\\) is nowhere(.|\n)*scheduler state:(.|\n)*P0: "
      "status=gcstop"
      "(.|\n)*G1: status=running" kHistoryRegex);
}

#if GMPKIT_CHECKED
TEST(Invariants, VerifyEveryRunsPeriodicallyAndIsNotCounted) {
  gmpkit::Config cfg = procs(2);
  cfg.verify_every = 1ms;
  const std::int64_t before = gmpkit::debug::invariant_checks();
  gmpkit::run(cfg, [&] {
    EXPECT_EQ(gmpkit::num_goroutine(), 1) << "the verifier is a system goroutine";
    gmpkit::Chan<int> ch(4);
    gmpkit::WaitGroup wg;
    for (int w = 0; w < 4; w++) {
      wg.add(1);
      gmpkit::go([&] {
        for (int i = 0; i < 2000; i++) {
          ch.send(i);
          if (i % 64 == 0) gmpkit::yield();
        }
        wg.done();
      });
    }
    wg.add(1);
    gmpkit::go([&wg, ch]() mutable {
      for (int i = 0; i < 8000; i++) ch.recv();
      wg.done();
    });
    // Keep going until the verifier has run a few times (bounded: no
    // timing assertion, just enough work for sysmon to wake it).
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (gmpkit::debug::invariant_checks() - before < 3 &&
           std::chrono::steady_clock::now() < deadline)
      gmpkit::sleep_for(1ms);
    wg.wait();
  });
  EXPECT_GE(gmpkit::debug::invariant_checks() - before, 3);
}

TEST(Invariants, VerifyEveryDoesNotHideADeadlock) {
  gmpkit::Config cfg = procs(2);
  cfg.verify_every = 1ms;
  EXPECT_THROW(gmpkit::run(cfg,
                           [] {
                             gmpkit::Chan<int> ch(0);
                             ch.recv();
                           }),
               gmpkit::deadlock_error);
}
#endif

// A G created on a P that GOMAXPROCS later destroys, exiting elsewhere,
// keeps num_goroutine() right (the counters of dead Ps still count).
TEST(Invariants, GoroutineCountSurvivesGomaxprocsShrink) {
  gmpkit::run(procs(4), [] {
    gmpkit::Chan<int> ch(0);
    gmpkit::WaitGroup wg;
    for (int i = 0; i < 16; i++) {
      wg.add(1);
      gmpkit::go([&] {
        wg.done();
        ch.recv();
      });
    }
    wg.wait();
    gmpkit::gomaxprocs(1);
    for (int i = 0; i < 16; i++) ch.send(i);
    for (int i = 0; i < 100 && gmpkit::num_goroutine() != 1; i++) gmpkit::sleep_for(1ms);
    EXPECT_EQ(gmpkit::num_goroutine(), 1);
    EXPECT_TRUE(check().ok()) << check().str();
    gmpkit::gomaxprocs(4);
    EXPECT_TRUE(check().ok()) << check().str();
  });
}

}  // namespace
