// timer_property_test.cpp — model-based test (rapidcheck rc::state) of a
// P's timer heap (time/timer.hpp: addtimer, deltimer, checkTimers; "modify"
// is Go's modtimer done as deltimer + addtimer, the runtime has no
// timerModified states).
//
// The model is a sorted multimap when -> timer id of the pending timers,
// plus, per timer, whether its callback re-arms it once (as a goroutine
// that sleeps again from the wake-up does). Commands run on the only P of a
// procs=1 runtime whose timers lie an hour in the future, so the scheduler
// never fires them itself; Run(now) calls checkTimers with a virtual `now`.
// After every command: the timers pending in the heap are exactly the
// model's (each timer's pp/index agrees with the heap, which is a valid
// 4-ary min-heap), numTimers and timer0When (nobarrierWakeTime) match the
// model's size and earliest `when`; after Run, exactly the due timers fired,
// in `when` order (ties in any order), and the returned next `when` is the
// model's.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "core/m.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "platform/clock.hpp"
#include "property/property_util.hpp"
#include "time/timer.hpp"

namespace {

GMPKIT_PROPERTY_DEFAULTS("max_success=100 max_size=100");

using gmpkit::time::Timer;
constexpr int kTimers = 24;

struct Model {
  std::int64_t now = 0;  // virtual time, offset from Sut::base
  std::map<int, std::int64_t> pending;  // id -> when (offset)
  std::map<int, std::int64_t> rearm;  // id -> delay its next firing re-arms it with
};

struct Sut {
  gmpkit::core::P* pp = nullptr;
  std::int64_t base = 0;
  std::array<Timer, kTimers> timers{};
  std::map<int, std::int64_t> rearm;  // the SUT's own copy, consumed by the callback
  std::vector<std::pair<int, std::int64_t>> fired;  // (id, when offset) in firing order
};

void on_fire(void* arg, std::uintptr_t seq) {
  auto* s = static_cast<Sut*>(arg);
  const int id = static_cast<int>(seq);
  Timer& t = s->timers[static_cast<std::size_t>(id)];
  s->fired.emplace_back(id, t.when - s->base);
  auto it = s->rearm.find(id);
  if (it != s->rearm.end()) {
    t.when += it->second;  // the runtime no longer touches t: the callback owns it
    s->rearm.erase(it);
    gmpkit::time::addtimer(gmpkit::core::getm()->p, &t);
  }
}

using Cmd = rc::state::Command<Model, Sut>;

void check_heap(const Model& m, Sut& s) {
  auto& th = s.pp->timers;
  std::vector<std::pair<std::int64_t, int>> in_heap;  // (when offset, id)
  {
    gmpkit::rt::LockGuard g(th.lock);
    const auto h =
        th.heap;  // a copy under the lock: the clang analysis does not follow a reference alias
    for (std::size_t i = 0; i < h.size(); i++) {
      RC_ASSERT(h[i]->index == static_cast<std::int32_t>(i));
      RC_ASSERT(h[i]->pp.load(gmpkit::rt::relaxed) == s.pp);
      if (i > 0) RC_ASSERT(h[(i - 1) / 4]->when <= h[i]->when);  // 4-ary min-heap
      in_heap.emplace_back(h[i]->when - s.base, static_cast<int>(h[i]->seq));
    }
  }
  std::vector<std::pair<std::int64_t, int>> want;
  for (auto [id, when] : m.pending) want.emplace_back(when, id);
  std::sort(in_heap.begin(), in_heap.end());
  std::sort(want.begin(), want.end());
  RC_ASSERT(in_heap == want);
  for (int id = 0; id < kTimers; id++)
    RC_ASSERT((s.timers[static_cast<std::size_t>(id)].pp.load(gmpkit::rt::relaxed) != nullptr) ==
              (m.pending.count(id) == 1));
  RC_ASSERT(th.numTimers.load(gmpkit::rt::relaxed) == m.pending.size());
  const std::int64_t top = want.empty() ? 0 : want.begin()->first + s.base;
  RC_ASSERT(gmpkit::time::nobarrierWakeTime(th) == top);
}

struct Add : Cmd {
  int id = *rc::gen::inRange(0, kTimers);
  std::int64_t delay = *rc::gen::inRange<std::int64_t>(0, 1000);
  std::int64_t rearm = *rc::gen::weightedOneOf<std::int64_t>(
      {{3, rc::gen::just<std::int64_t>(0)}, {1, rc::gen::inRange<std::int64_t>(0, 500)}});
  void checkPreconditions(const Model& m) const override { RC_PRE(m.pending.count(id) == 0u); }
  void apply(Model& m) const override {
    m.pending[id] = m.now + delay;
    if (rearm)
      m.rearm[id] = rearm;
    else
      m.rearm.erase(id);
  }
  void run(const Model& m, Sut& s) const override {
    Timer& t = s.timers[static_cast<std::size_t>(id)];
    t.when = s.base + m.now + delay;
    t.f = on_fire;
    t.arg = &s;
    t.seq = static_cast<std::uintptr_t>(id);
    if (rearm)
      s.rearm[id] = rearm;
    else
      s.rearm.erase(id);
    gmpkit::time::addtimer(s.pp, &t);
    Model after = m;
    apply(after);
    check_heap(after, s);
  }
  void show(std::ostream& os) const override {
    os << "Add(t" << id << ", now+" << delay;
    if (rearm) os << ", re-arms once +" << rearm;
    os << ")";
  }
};

struct Delete : Cmd {
  int id = *rc::gen::inRange(0, kTimers);
  void apply(Model& m) const override { m.pending.erase(id); }
  void run(const Model& m, Sut& s) const override {
    const bool removed = gmpkit::time::deltimer(&s.timers[static_cast<std::size_t>(id)]);
    RC_ASSERT(removed == (m.pending.count(id) == 1u));  // false: never added, fired or deleted
    Model after = m;
    apply(after);
    check_heap(after, s);
  }
  void show(std::ostream& os) const override { os << "Delete(t" << id << ")"; }
};

// Go's modtimer on a pending timer: a new `when`, same timer.
struct Modify : Cmd {
  int id = *rc::gen::inRange(0, kTimers);
  std::int64_t delay = *rc::gen::inRange<std::int64_t>(0, 1000);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.pending.count(id) == 1u); }
  void apply(Model& m) const override { m.pending[id] = m.now + delay; }
  void run(const Model& m, Sut& s) const override {
    Timer& t = s.timers[static_cast<std::size_t>(id)];
    RC_ASSERT(gmpkit::time::deltimer(&t));
    t.when = s.base + m.now + delay;
    gmpkit::time::addtimer(s.pp, &t);
    Model after = m;
    apply(after);
    check_heap(after, s);
  }
  void show(std::ostream& os) const override { os << "Modify(t" << id << ", now+" << delay << ")"; }
};

// Virtual time advances by `step` and the P runs its due timers.
struct Run : Cmd {
  std::int64_t step = *rc::gen::inRange<std::int64_t>(0, 700);
  // The model fires due timers earliest first; a re-armed one goes back in.
  static std::vector<std::pair<int, std::int64_t>> fire(Model& m) {
    std::vector<std::pair<int, std::int64_t>> out;
    for (;;) {
      auto it = std::min_element(m.pending.begin(), m.pending.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
      if (it == m.pending.end() || it->second > m.now) break;
      auto [id, when] = *it;
      out.emplace_back(id, when);
      m.pending.erase(it);
      auto r = m.rearm.find(id);
      if (r != m.rearm.end()) {
        m.pending[id] = when + r->second;
        m.rearm.erase(r);
      }
    }
    return out;
  }
  void apply(Model& m) const override {
    m.now += step;
    (void)fire(m);
  }
  void run(const Model& m, Sut& s) const override {
    Model after = m;
    after.now += step;
    auto want = fire(after);
    s.fired.clear();
    std::int64_t now = s.base + after.now;
    bool ran = false;
    const std::int64_t next = gmpkit::time::checkTimers(s.pp, &now, &ran);
    RC_ASSERT(ran == !want.empty());
    // Same firings; `when` order (ties in any order).
    RC_ASSERT(std::is_sorted(s.fired.begin(), s.fired.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; }));
    auto key = [](auto v) {
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second, a.first) < std::tie(b.second, b.first);
      });
      return v;
    };
    if (key(s.fired) != key(want))
      gmpkit_property::fail("fired {" + gmpkit_property::join([&] {
                              std::vector<std::string> v;
                              for (auto [id, w] : s.fired)
                                v.push_back("t" + std::to_string(id) + "@" + std::to_string(w));
                              return v;
                            }()) +
                            "}, model fires " + std::to_string(want.size()));
    std::int64_t model_next = 0;
    for (auto [id, when] : after.pending)
      if (model_next == 0 || when + s.base < model_next) model_next = when + s.base;
    RC_ASSERT(next == model_next);
    check_heap(after, s);
  }
  void show(std::ostream& os) const override { os << "Run(now += " << step << ")"; }
};

RC_GTEST_PROP(TimerModel, PerPHeapMatchesSortedModel, ()) {
  const auto cmds = *rc::state::gen::commands(
      Model{}, rc::state::gen::execOneOfWithArgs<Add, Add, Add, Delete, Modify, Run, Run>());
  gmpkit::Config cfg;
  cfg.procs = 1;
  cfg.time_slice = std::chrono::hours(1);  // main is not preempted between a command and its check
  gmpkit::run(cfg, [&] {
    Sut s;
    s.pp = gmpkit::core::getm()->p;
    RC_ASSERT(s.pp != nullptr);
    s.base = gmpkit::rt::nanotime() + std::int64_t{3600} * 1000000000;
    Model m;
    try {
      rc::state::runAll(cmds, m, s);
    } catch (...) {
      for (auto& t : s.timers) (void)gmpkit::time::deltimer(&t);  // no timer outlives s
      throw;
    }
    for (auto& t : s.timers) (void)gmpkit::time::deltimer(&t);
    check_heap(Model{}, s);
  });
}

}  // namespace
