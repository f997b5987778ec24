// timer_test.cpp — sleep_for and the per-P timers behind it (time/timer.hpp):
// the heap checked white-box with virtual time (TimerHeap.*), and
// durations honoured, wake order, zero/negative sleeps, many sleepers, and
// checkdead's "timers pending means no deadlock" rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/m.hpp"
#include "core/proc.hpp"
#include "gmpkit/gmpkit.hpp"
#include "platform/clock.hpp"
#include "test_util.hpp"
#include "time/timer.hpp"

namespace {

using gmpkit::test::procs;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class SleepAtProcs : public gmpkit::test::ProcsTest {};

TEST_P(SleepAtProcs, DurationIsHonoured) {
  std::vector<Clock::duration> took;
  gmpkit::run(procs(GetParam()), [&] {
    for (auto d : {20ms, 1ms, 5ms}) {
      auto t0 = Clock::now();
      gmpkit::sleep_for(d);
      took.push_back(Clock::now() - t0);
    }
  });
  ASSERT_EQ(took.size(), 3u);
  EXPECT_GE(took[0], 20ms);
  EXPECT_GE(took[1], 1ms);
  EXPECT_GE(took[2], 5ms);
}

TEST_P(SleepAtProcs, ManyShortSleepsAddUp) {
  Clock::duration took{};
  gmpkit::run(procs(GetParam()), [&] {
    auto t0 = Clock::now();
    for (int i = 0; i < 100; i++) gmpkit::sleep_for(100us);
    took = Clock::now() - t0;
  });
  EXPECT_GE(took, 10ms);
}

// Sleepers of 1..50 ms (spawned in a shuffled order) each wake no earlier
// than their own duration, and all of them wake. The order in which user
// code observes the wake-ups is not asserted here: timers that expire in
// the same scheduling round are readied together (goready uses runnext, so
// the last readied runs first, as in Go), and any OS stall of the poller
// thread batches neighbours — on a loaded 2-core machine even 10 ms apart.
// The firing order itself is checked deterministically below
// (TimerHeap.FiresInWhenOrder).
TEST_P(SleepAtProcs, ShuffledSleepersEachWakeAfterTheirDuration) {
  std::vector<int> order;
  std::vector<Clock::duration> slept(51);
  gmpkit::run(procs(GetParam()), [&] {
    std::vector<int> ks;
    for (int k = 1; k <= 50; k++) ks.push_back(k);
    std::shuffle(ks.begin(), ks.end(), std::mt19937(7));
    std::mutex mu;
    gmpkit::WaitGroup wg;
    wg.add(50);
    auto start = Clock::now();
    for (int k : ks) {
      gmpkit::go([&, k] {
        gmpkit::sleep_for(std::chrono::milliseconds(k));
        auto now = Clock::now();
        {
          std::lock_guard<std::mutex> g(mu);
          order.push_back(k);
          slept[static_cast<std::size_t>(k)] = now - start;
        }
        wg.done();
      });
    }
    wg.wait();
  });
  ASSERT_EQ(order.size(), 50u);
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int k = 1; k <= 50; k++) {
    EXPECT_EQ(sorted[static_cast<std::size_t>(k - 1)], k) << "each sleeper woke exactly once";
    EXPECT_GE(slept[static_cast<std::size_t>(k)], std::chrono::milliseconds(k)) << "k=" << k;
  }
}

// d <= 0 returns at once without yielding (Go: time.Sleep(0) is a no-op).
TEST(Sleep, ZeroOrNegativeReturnsAtOnceWithoutYielding) {
  gmpkit::Config cfg = procs(1);
  // No preemption request may interfere: neither the time slice nor
  // wake-up preemption, which asks a G that has run min_slice to yield to a
  // G queued on its P (the one go() queues below). With it on, a slow run
  // (TSan, load) was preempted at go() and the other goroutine ran first.
  cfg.time_slice = std::chrono::hours(1);
  cfg.min_slice = std::chrono::nanoseconds(0);
  std::atomic<bool> other_ran{false};
  Clock::duration took{};
  bool ran_before = true;
  gmpkit::run(cfg, [&] {
    gmpkit::go([&] { other_ran.store(true); });
    auto t0 = Clock::now();
    gmpkit::sleep_for(0ns);
    gmpkit::sleep_for(-5ms);
    gmpkit::sleep_for(std::chrono::nanoseconds::min());
    gmpkit::sleep_for(-1h);
    took = Clock::now() - t0;
    ran_before = other_ran.load();
    gmpkit::yield();
  });
  EXPECT_FALSE(ran_before) << "sleep_for(d <= 0) yielded to another goroutine";
  EXPECT_TRUE(other_ran.load());
  EXPECT_LT(took, 1s);
}

// 10k goroutines sleeping 0-5 ms at once all wake, each after its duration.
TEST_P(SleepAtProcs, TenThousandSleepersAllWake) {
  constexpr int kN = 10000;
  std::atomic<int> woke{0}, early{0};
  gmpkit::run(procs(GetParam()), [&] {
    gmpkit::WaitGroup wg;
    wg.add(kN);
    std::mt19937 rng(12345);
    for (int i = 0; i < kN; i++) {
      auto d = std::chrono::microseconds(rng() % 5001);
      gmpkit::go([&, d] {
        auto t0 = Clock::now();
        gmpkit::sleep_for(d);
        if (Clock::now() - t0 < d) early.fetch_add(1);
        woke.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(woke.load(), kN);
  EXPECT_EQ(early.load(), 0);
}

// The same goroutine sleeps again and again, with other goroutines' timers
// interleaved on every P (re-arming its own timer right after it fired).
TEST_P(SleepAtProcs, RepeatedSleepsFromManyGoroutines) {
  std::atomic<int> iterations{0};
  gmpkit::run(procs(GetParam()), [&] {
    gmpkit::WaitGroup wg;
    wg.add(20);
    for (int i = 0; i < 20; i++) {
      gmpkit::go([&, i] {
        for (int k = 0; k < 20; k++) {
          gmpkit::sleep_for(std::chrono::microseconds(100 + 37 * ((i + k) % 10)));
          iterations.fetch_add(1);
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(iterations.load(), 400);
}

// checkdead: every goroutine but main is blocked forever-looking (on a
// WaitGroup) and main sleeps. A pending timer means a goroutine will be
// readied, so this is no deadlock.
TEST_P(SleepAtProcs, NoDeadlockReportedWhileTimersPending) {
  int finished = 0;
  EXPECT_NO_THROW(gmpkit::run(procs(GetParam()), [&] {
    gmpkit::WaitGroup release, done;
    release.add(1);
    done.add(3);
    for (int i = 0; i < 3; i++) {
      gmpkit::go([&] {
        release.wait();
        done.done();
      });
    }
    auto t0 = Clock::now();
    gmpkit::sleep_for(50ms);
    EXPECT_GE(Clock::now() - t0, 50ms);
    release.done();
    done.wait();
    finished = 1;
  }));
  EXPECT_EQ(finished, 1);
}

// The same with every goroutine (main included) sleeping: still no deadlock.
TEST_P(SleepAtProcs, AllGoroutinesSleepingIsNoDeadlock) {
  std::atomic<int> woke{0};
  EXPECT_NO_THROW(gmpkit::run(procs(GetParam()), [&] {
    gmpkit::WaitGroup wg;
    wg.add(4);
    for (int i = 0; i < 4; i++) {
      gmpkit::go([&, i] {
        gmpkit::sleep_for(std::chrono::milliseconds(10 + 10 * i));
        woke.fetch_add(1);
        wg.done();
      });
    }
    gmpkit::sleep_for(30ms);
    wg.wait();
  }));
  EXPECT_EQ(woke.load(), 4);
}

GMPKIT_INSTANTIATE_PROCS(SleepAtProcs, 1, 2, 4);

// A long sleep stays asleep, and the sleeper is unwound at shutdown (its
// timer removed from the heap).
void sleeper_is_unwound(std::chrono::nanoseconds d) {
  std::atomic<bool> woke{false};
  std::atomic<bool> unwound{false};
  gmpkit::run(procs(2), [&] {
    gmpkit::WaitGroup started;
    started.add(1);
    gmpkit::go([&] {
      struct OnUnwind {
        std::atomic<bool>& f;
        ~OnUnwind() { f.store(true); }
      } guard{unwound};
      started.done();
      gmpkit::sleep_for(d);
      woke.store(true);
    });
    started.wait();
    gmpkit::sleep_for(20ms);
  });
  EXPECT_FALSE(woke.load());
  EXPECT_TRUE(unwound.load());
}

TEST(Sleep, LongSleeperIsUnwoundAtShutdown) { sleeper_is_unwound(24h); }

// sleep_for(max) must clamp `now + d` instead of overflowing (UBSan caught
// the signed overflow once).
TEST(Sleep, HugeDurationDoesNotWrapAround) { sleeper_is_unwound(std::chrono::nanoseconds::max()); }

// ---- the per-P heap itself (white box, virtual time) ----

// On the only P of a procs=1 runtime, timers are added with `when` an hour
// in the future (so the scheduler never fires them itself) and checkTimers
// is driven with a fake `now`: timers fire in `when` order (ties in any
// order), only those due, timer0When tracks the heap's top, deltimer removes
// from anywhere in the heap, and a callback may re-arm its own timer.
struct Fired {
  std::vector<std::int64_t> whens;
  gmpkit::time::Timer* rearm = nullptr;
  std::int64_t rearm_when = 0;
};
void record_fire(void* arg, std::uintptr_t seq) {
  auto* f = static_cast<Fired*>(arg);
  f->whens.push_back(static_cast<std::int64_t>(seq));
  if (f->rearm && seq == static_cast<std::uintptr_t>(f->rearm->when) && f->rearm_when) {
    gmpkit::time::Timer* t = f->rearm;
    t->when = f->rearm_when;
    t->seq = static_cast<std::uintptr_t>(f->rearm_when);
    f->rearm_when = 0;
    gmpkit::time::addtimer(gmpkit::core::getm()->p, t);
  }
}

TEST(TimerHeap, FiresInWhenOrder) {
  constexpr int kN = 500;
  gmpkit::Config cfg = procs(1);
  cfg.time_slice = std::chrono::hours(1);  // main is not preempted mid-test
  gmpkit::run(cfg, [&] {
    gmpkit::core::P* pp = gmpkit::core::getm()->p;
    ASSERT_NE(pp, nullptr);
    const std::int64_t base = gmpkit::rt::nanotime() + std::int64_t{3600} * 1000000000;
    std::vector<gmpkit::time::Timer> timers(kN);
    Fired fired;
    std::mt19937 rng(99);
    std::int64_t min_when = INT64_MAX;
    for (auto& t : timers) {
      t.when = base + static_cast<std::int64_t>(rng() % 100000);  // duplicates likely
      t.seq = static_cast<std::uintptr_t>(t.when);
      t.f = record_fire;
      t.arg = &fired;
      min_when = std::min(min_when, t.when);
      gmpkit::time::addtimer(pp, &t);
      EXPECT_EQ(gmpkit::time::nobarrierWakeTime(pp->timers), min_when);
    }
    EXPECT_EQ(pp->timers.numTimers.load(gmpkit::rt::relaxed), static_cast<std::uint32_t>(kN));

    // Delete every 5th timer (from anywhere in the heap): they never fire.
    std::multiset<std::int64_t> want;
    for (int i = 0; i < kN; i++) {
      if (i % 5 == 0) {
        EXPECT_TRUE(gmpkit::time::deltimer(&timers[static_cast<std::size_t>(i)]));
        EXPECT_FALSE(gmpkit::time::deltimer(&timers[static_cast<std::size_t>(i)]))
            << "already removed";
      } else {
        want.insert(timers[static_cast<std::size_t>(i)].when);
      }
    }
    // One timer re-arms itself from its callback, later than everything.
    gmpkit::time::Timer* re = &timers[1];
    fired.rearm = re;
    fired.rearm_when = base + 200000;
    want.insert(fired.rearm_when);

    // Advance virtual time in steps; each step fires exactly the due ones.
    for (std::int64_t now_off = 0; now_off <= 210000; now_off += 7000) {
      std::int64_t now = base + now_off;
      bool ran = false;
      std::size_t before = fired.whens.size();
      std::int64_t next = gmpkit::time::checkTimers(pp, &now, &ran);
      EXPECT_EQ(ran, fired.whens.size() > before);
      for (std::size_t i = before; i < fired.whens.size(); i++)
        EXPECT_LE(fired.whens[i], base + now_off);
      if (next != 0) {
        EXPECT_GT(next, base + now_off) << "the next timer is not due yet";
      }
      EXPECT_EQ(gmpkit::time::nobarrierWakeTime(pp->timers), next);
    }
    EXPECT_TRUE(std::is_sorted(fired.whens.begin(), fired.whens.end())) << "fired in `when` order";
    EXPECT_EQ(std::multiset<std::int64_t>(fired.whens.begin(), fired.whens.end()), want);
    EXPECT_EQ(pp->timers.numTimers.load(gmpkit::rt::relaxed), 0u);
    EXPECT_EQ(gmpkit::time::nobarrierWakeTime(pp->timers), 0);
  });
}

}  // namespace
