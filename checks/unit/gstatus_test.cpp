// gstatus_test.cpp — the G status table (core/gstatus.hpp, docs/ARCHITECTURE.md
// §3), Go's wait-reason strings, and casgstatus's loud aborts.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "core/g.hpp"
#include "core/gstatus.hpp"

namespace {

using gmpkit::core::G;
using gmpkit::core::GStatus;
using gmpkit::core::WaitReason;

constexpr GStatus kAll[] = {GStatus::idle,    GStatus::runnable, GStatus::running,
                            GStatus::syscall, GStatus::waiting,  GStatus::preempted,
                            GStatus::dead};

// docs/ARCHITECTURE.md §3, one entry per row of the table, in its order.
const std::set<std::pair<GStatus, GStatus>> kTable = {
    {GStatus::idle, GStatus::dead},  // malg
    {GStatus::dead, GStatus::runnable},  // newproc
    {GStatus::runnable, GStatus::running},  // execute
    {GStatus::running, GStatus::runnable},  // Gosched / preemption
    {GStatus::running, GStatus::waiting},  // gopark
    {GStatus::waiting, GStatus::runnable},  // goready / injectglist / timer
    {GStatus::running, GStatus::syscall},  // entersyscall
    {GStatus::syscall, GStatus::running},  // exitsyscall fast path
    {GStatus::syscall, GStatus::runnable},  // exitsyscall slow path
    {GStatus::running, GStatus::preempted},  // suspendG
    {GStatus::preempted, GStatus::runnable},  // resumeG
    {GStatus::running, GStatus::dead},  // goexit
};

// All 7x7 pairs: legal exactly when the pair is a row of the table.
TEST(GStatus, TransitionTableMatchesArchitectureDoc) {
  int legal = 0;
  for (GStatus from : kAll) {
    for (GStatus to : kAll) {
      bool want = kTable.count({from, to}) == 1;
      EXPECT_EQ(gmpkit::core::gstatus_transition_legal(from, to), want)
          << gmpkit::core::gstatus_name(from) << " -> " << gmpkit::core::gstatus_name(to);
      legal += want;
    }
  }
  EXPECT_EQ(legal, 12);
}

TEST(GStatus, NoSelfTransitions) {
  for (GStatus s : kAll)
    EXPECT_FALSE(gmpkit::core::gstatus_transition_legal(s, s)) << gmpkit::core::gstatus_name(s);
}

// Values that are no G status (Go's unused 5, 7, 8, and past _Gpreempted).
// Only values below 32: gstatus_transition_legal shifts by `to`, and a
// larger `to` is undefined behaviour there (reported; UBSan flags 1000).
TEST(GStatus, OutOfRangeStatusIsNeverLegal) {
  for (std::uint32_t raw : {5u, 7u, 8u, 10u, 31u}) {
    auto bogus = static_cast<GStatus>(raw);
    for (GStatus s : kAll) {
      EXPECT_FALSE(gmpkit::core::gstatus_transition_legal(bogus, s)) << raw;
      EXPECT_FALSE(gmpkit::core::gstatus_transition_legal(s, bogus)) << raw;
    }
  }
}

TEST(GStatus, GoNumericValuesAndNames) {
  // runtime2.go: _Gidle 0, _Grunnable 1, _Grunning 2, _Gsyscall 3,
  // _Gwaiting 4, _Gdead 6, _Gpreempted 9.
  EXPECT_EQ(static_cast<int>(GStatus::idle), 0);
  EXPECT_EQ(static_cast<int>(GStatus::runnable), 1);
  EXPECT_EQ(static_cast<int>(GStatus::running), 2);
  EXPECT_EQ(static_cast<int>(GStatus::syscall), 3);
  EXPECT_EQ(static_cast<int>(GStatus::waiting), 4);
  EXPECT_EQ(static_cast<int>(GStatus::dead), 6);
  EXPECT_EQ(static_cast<int>(GStatus::preempted), 9);
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::idle), "idle");
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::runnable), "runnable");
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::running), "running");
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::syscall), "syscall");
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::waiting), "waiting");
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::dead), "dead");
  EXPECT_STREQ(gmpkit::core::gstatus_name(GStatus::preempted), "preempted");
}

// Go 1.19's waitReasonStrings (runtime2.go) for the reasons gmpkit shares.
TEST(WaitReason, GoStrings) {
  using gmpkit::core::wait_reason_string;
  EXPECT_STREQ(wait_reason_string(WaitReason::zero), "");
  EXPECT_STREQ(wait_reason_string(WaitReason::io_wait), "IO wait");
  EXPECT_STREQ(wait_reason_string(WaitReason::chan_receive_nil), "chan receive (nil chan)");
  EXPECT_STREQ(wait_reason_string(WaitReason::chan_send_nil), "chan send (nil chan)");
  EXPECT_STREQ(wait_reason_string(WaitReason::panic_wait), "panicwait");
  EXPECT_STREQ(wait_reason_string(WaitReason::select), "select");
  EXPECT_STREQ(wait_reason_string(WaitReason::select_no_cases), "select (no cases)");
  EXPECT_STREQ(wait_reason_string(WaitReason::chan_receive), "chan receive");
  EXPECT_STREQ(wait_reason_string(WaitReason::chan_send), "chan send");
  EXPECT_STREQ(wait_reason_string(WaitReason::semacquire), "semacquire");
  EXPECT_STREQ(wait_reason_string(WaitReason::sleep), "sleep");
  EXPECT_STREQ(wait_reason_string(WaitReason::sync_cond_wait), "sync.Cond.Wait");
  EXPECT_STREQ(wait_reason_string(WaitReason::timer_goroutine_idle), "timer goroutine (idle)");
  EXPECT_STREQ(wait_reason_string(WaitReason::trace_reader_blocked), "trace reader (blocked)");
  EXPECT_STREQ(wait_reason_string(WaitReason::preempted), "preempted");
  EXPECT_STREQ(wait_reason_string(WaitReason::debug_call), "debug call");
}

// The reasons of later Go versions that gmpkit uses (Go 1.20+ spellings).
TEST(WaitReason, LaterGoStrings) {
  using gmpkit::core::wait_reason_string;
  EXPECT_STREQ(wait_reason_string(WaitReason::sync_waitgroup_wait), "sync.WaitGroup.Wait");
  EXPECT_STREQ(wait_reason_string(WaitReason::sync_mutex_lock), "sync.Mutex.Lock");
  EXPECT_STREQ(wait_reason_string(WaitReason::sync_rwmutex_rlock), "sync.RWMutex.RLock");
  EXPECT_STREQ(wait_reason_string(WaitReason::sync_rwmutex_lock), "sync.RWMutex.Lock");
  EXPECT_STREQ(wait_reason_string(WaitReason::stopping_the_world), "stopping the world");
  EXPECT_STREQ(wait_reason_string(WaitReason::gomaxprocs), "GOMAXPROCS");
}

TEST(WaitReason, EveryReasonHasAStringAndOutOfRangeIsSafe) {
  using gmpkit::core::wait_reason_string;
  std::set<std::string> seen;
  for (unsigned r = 1; r < static_cast<unsigned>(WaitReason::count_); r++) {
    const char* s = wait_reason_string(static_cast<WaitReason>(r));
    ASSERT_NE(s, nullptr);
    EXPECT_STRNE(s, "") << r;
    EXPECT_TRUE(seen.insert(s).second) << "duplicate string " << s;
  }
  EXPECT_NE(wait_reason_string(WaitReason::count_), nullptr);
  EXPECT_NE(wait_reason_string(static_cast<WaitReason>(200)), nullptr);
}

// A legal sequence of casgstatus calls on a free-standing G moves its status
// and (checked builds) records each step in the history ring.
TEST(CasGStatus, LegalTransitionsUpdateStatusAndHistory) {
  auto g = std::make_unique<G>();
  EXPECT_EQ(g->status(), GStatus::idle);
  gmpkit::core::casgstatus(g.get(), GStatus::idle, GStatus::dead);
  gmpkit::core::casgstatus(g.get(), GStatus::dead, GStatus::runnable);
  gmpkit::core::casgstatus(g.get(), GStatus::runnable, GStatus::running);
  EXPECT_EQ(g->status(), GStatus::running);
#if GMPKIT_CHECKED
  ASSERT_EQ(g->history_n, 3u);
  EXPECT_EQ(g->history[0].from, GStatus::idle);
  EXPECT_EQ(g->history[0].to, GStatus::dead);
  EXPECT_EQ(g->history[2].from, GStatus::runnable);
  EXPECT_EQ(g->history[2].to, GStatus::running);
  EXPECT_EQ(g->history[2].m, -1) << "no M outside the runtime";
  EXPECT_LE(g->history[0].when, g->history[2].when);
  // The ring keeps the last 16: after 43 transitions slot i holds
  // transition number 32 + i (i < 11) or 16 + i, oldest overwritten.
  for (int i = 0; i < 20; i++) {
    gmpkit::core::casgstatus(g.get(), GStatus::running, GStatus::runnable);
    gmpkit::core::casgstatus(g.get(), GStatus::runnable, GStatus::running);
  }
  gmpkit::core::casgstatus(g.get(), GStatus::running, GStatus::waiting);
  EXPECT_EQ(g->history_n, 44u);
  const auto& last = g->history[(44 - 1) % G::kHistory];
  EXPECT_EQ(last.from, GStatus::running);
  EXPECT_EQ(last.to, GStatus::waiting);
  for (unsigned k = 44 - G::kHistory; k < 43; k++) {
    // Transition k (0-based): k >= 3 alternates running->runnable (odd k)
    // and runnable->running (even k).
    const auto& t = g->history[k % G::kHistory];
    EXPECT_EQ(t.from, k % 2 ? GStatus::running : GStatus::runnable) << k;
    EXPECT_EQ(t.to, k % 2 ? GStatus::runnable : GStatus::running) << k;
  }
  for (unsigned i = 0; i < G::kHistory; i++)
    EXPECT_NE(g->history[i].from, GStatus::idle) << "idle -> dead overwritten";
#endif
}

class CasGStatusDeathTest : public testing::Test {
 protected:
  void SetUp() override { testing::FLAGS_gtest_death_test_style = "threadsafe"; }
};

#if GMPKIT_CHECKED
// An illegal pair aborts even though the G is in `from`, naming the G and
// printing its last transitions.
TEST_F(CasGStatusDeathTest, IllegalTransitionAbortsWithIdAndHistory) {
  EXPECT_DEATH(
      {
        G* g = new G;
        g->goid = 4242;
        gmpkit::core::casgstatus(g, GStatus::idle, GStatus::dead);
        gmpkit::core::casgstatus(g, GStatus::dead, GStatus::runnable);
        gmpkit::core::casgstatus(g, GStatus::runnable, GStatus::waiting);  // not in the table
      },
      "illegal transition runnable -> waiting.*goroutine 4242 status=runnable, last transitions.*"
      "idle -> dead on M-1.*dead -> runnable on M-1");
}

// After more than 16 transitions, the report prints exactly the last 16,
// oldest first: the first ones (idle -> dead) are gone.
TEST_F(CasGStatusDeathTest, ReportPrintsOnlyTheLastSixteen) {
  EXPECT_DEATH(
      {
        G* g = new G;
        g->goid = 31;
        gmpkit::core::casgstatus(g, GStatus::idle, GStatus::dead);
        gmpkit::core::casgstatus(g, GStatus::dead, GStatus::runnable);
        for (int i = 0; i < 10; i++) {
          gmpkit::core::casgstatus(g, GStatus::runnable, GStatus::running);
          gmpkit::core::casgstatus(g, GStatus::running, GStatus::runnable);
        }
        gmpkit::core::casgstatus(g, GStatus::runnable, GStatus::running);
        gmpkit::core::casgstatus(g, GStatus::running, GStatus::syscall);
        gmpkit::core::casgstatus(g, GStatus::syscall, GStatus::dead);  // illegal
      },
      "illegal transition syscall -> dead.*goroutine 31 status=syscall, last transitions \\(oldest "
      "first\\):\n"
      "(  [a-z]+ -> [a-z]+ on M-1 at [0-9]+ns\n){15}"
      "  running -> syscall on M-1");
}

TEST_F(CasGStatusDeathTest, IdleStraightToRunnableIsIllegal) {
  EXPECT_DEATH(
      {
        G* g = new G;
        g->goid = 77;
        gmpkit::core::casgstatus(g, GStatus::idle, GStatus::runnable);
      },
      "illegal transition idle -> runnable.*goroutine 77 .*last transitions");
}
#else
TEST_F(CasGStatusDeathTest, IllegalTransitionAbortsWithIdAndHistory) {
  GTEST_SKIP() << "the table is checked only in GMPKIT_CHECKED builds";
}
#endif

// In every build, a G that is not in `from` aborts (an impossible state).
TEST_F(CasGStatusDeathTest, WrongFromStatusAborts) {
  EXPECT_DEATH(
      {
        G* g = new G;
        g->goid = 99;
        gmpkit::core::casgstatus(g, GStatus::idle, GStatus::dead);
        gmpkit::core::casgstatus(g, GStatus::running,
                                 GStatus::waiting);  // legal pair, but the G is dead
      },
      "casgstatus: running -> waiting, but the G is dead.*goroutine 99 status=dead, last "
      "transitions");
}

TEST_F(CasGStatusDeathTest, ThrowGPrintsMessage) {
  EXPECT_DEATH(
      {
        G* g = new G;
        g->goid = 5;
        gmpkit::core::throw_g("something impossible", g);
      },
      "gmpkit: fatal error: something impossible.*goroutine 5 status=idle");
}

}  // namespace
