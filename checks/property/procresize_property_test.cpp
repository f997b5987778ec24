// procresize_property_test.cpp — model-based test (rapidcheck rc::state) of
// stop-the-world and GOMAXPROCS changes (stw/stw.cpp, stw/procresize.cpp)
// with goroutines in every place a resize must carry over: parked on
// channels, runnable or running (spinners that yield), asleep on timers of
// whatever P they ran on, and spawned while the world is stopped.
//
// The model counts the goroutines of each kind and knows which parked
// goroutine waits on which gate. After every command:
//   * debug::verify_invariants() (each runnable G on exactly one queue, no
//     G lost from the run queues, counts consistent, ...);
//   * no runnable G was lost: every spinner runs again (its counter moves;
//     a bounded wait, never a timing assertion);
//   * num_goroutine() and the number of goroutines parked in "chan receive"
//     are the model's (sleepers that woke meanwhile are accounted for);
//   * gomaxprocs() is the model's.
// At the end every parked goroutine gets exactly its own token, and every
// sleeper wakes: timers of Ps destroyed by a shrink were moved, not lost.
// A shrink that destroys Ps holding timers is counted (RC_CLASSIFY) so the
// distribution shows the case is exercised.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "property/property_util.hpp"

namespace {

GMPKIT_PROPERTY_DEFAULTS("max_success=40 max_size=30");

using namespace std::chrono_literals;

struct Model {
  int procs = 2;
  std::vector<int> parked;  // gate ids of parked goroutines
  int next_gate = 0;
  int spinners = 0;
  int sleepers = 0;  // spawned (each wakes eventually)
};

// Shared with the goroutines (they may outlive a failed sequence's frame).
struct Shared {
  std::atomic<bool> stop_spin{false};
  std::vector<std::unique_ptr<std::atomic<std::int64_t>>> spins;  // one per spinner
  std::atomic<int> sleepers_woken{0};
  std::vector<std::unique_ptr<std::atomic<int>>> got;  // token each gate's goroutine received
};

struct Sut {
  std::shared_ptr<Shared> sh = std::make_shared<Shared>();
  std::vector<gmpkit::Chan<int>> gates;
};

using Cmd = rc::state::Command<Model, Sut>;

void spawn_parked(Sut& s) {
  const int id = static_cast<int>(s.gates.size());
  s.gates.emplace_back(1);
  s.sh->got.push_back(std::make_unique<std::atomic<int>>(-1));
  std::atomic<int>* slot = s.sh->got.back().get();
  gmpkit::go([g = s.gates.back(), slot, sh = s.sh]() mutable {
    auto v = g.recv();
    slot->store(v ? *v : -2, std::memory_order_release);
  });
  (void)id;
}

void check_step(const Model& m, Sut& s) {
  gmpkit_property::assert_invariants();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  // No runnable G lost: every spinner runs again.
  std::vector<std::int64_t> before;
  for (auto& c : s.sh->spins) before.push_back(c->load(std::memory_order_relaxed));
  std::string why;
  for (;;) {
    why.clear();
    for (std::size_t i = 0; i < before.size() && why.empty(); i++)
      if (s.sh->spins[i]->load(std::memory_order_relaxed) == before[i])
        why = "spinner " + std::to_string(i) + " does not run any more";
    if (why.empty()) {
      // Sleepers keep waking: read their count around the others and
      // retry unless it stood still.
      const int woken = s.sh->sleepers_woken.load(std::memory_order_acquire);
      const std::int64_t n = gmpkit::num_goroutine();
      int parked = 0;
      for (const auto& g : gmpkit::debug::goroutines())
        if (g.status == "waiting" && g.wait_reason == "chan receive") parked++;
      const std::int64_t want =
          1 + static_cast<std::int64_t>(m.parked.size()) + m.spinners + (m.sleepers - woken);
      if (parked != static_cast<int>(m.parked.size()))
        why = std::to_string(parked) + " goroutines parked in chan receive, model " +
              std::to_string(m.parked.size());
      else if (n != want || woken != s.sh->sleepers_woken.load(std::memory_order_acquire))
        why = "num_goroutine " + std::to_string(n) + ", model " + std::to_string(want);
    }
    if (why.empty() || std::chrono::steady_clock::now() > deadline) break;
    gmpkit::sleep_for(50us);
  }
  if (!why.empty()) gmpkit_property::fail(why);
  RC_ASSERT(gmpkit::gomaxprocs() == m.procs);
}

struct SpawnParked : Cmd {
  int k = *rc::gen::inRange(1, 4);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.parked.size() < 16u); }
  void apply(Model& m) const override {
    for (int i = 0; i < k; i++) m.parked.push_back(m.next_gate++);
  }
  void run(const Model& m, Sut& s) const override {
    for (int i = 0; i < k; i++) spawn_parked(s);
    Model after = m;
    apply(after);
    check_step(after, s);
  }
  void show(std::ostream& os) const override { os << "SpawnParked(" << k << ")"; }
};

struct Wake : Cmd {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 1000);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.parked.empty()); }
  void apply(Model& m) const override {
    m.parked.erase(m.parked.begin() + static_cast<std::ptrdiff_t>(pick % m.parked.size()));
  }
  void run(const Model& m, Sut& s) const override {
    const int gate = m.parked[pick % m.parked.size()];
    s.gates[static_cast<std::size_t>(gate)].send(gate);
    Model after = m;
    apply(after);
    check_step(after, s);
  }
  void show(std::ostream& os) const override { os << "Wake(#" << pick << ")"; }
};

struct SpawnSpinners : Cmd {
  int k = *rc::gen::inRange(1, 3);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.spinners + k <= 3); }
  void apply(Model& m) const override { m.spinners += k; }
  void run(const Model& m, Sut& s) const override {
    for (int i = 0; i < k; i++) {
      s.sh->spins.push_back(std::make_unique<std::atomic<std::int64_t>>(0));
      std::atomic<std::int64_t>* c = s.sh->spins.back().get();
      gmpkit::go([c, sh = s.sh] {
        while (!sh->stop_spin.load(std::memory_order_acquire)) {
          const auto n = c->fetch_add(1, std::memory_order_relaxed);
          gmpkit::yield();
          if (n % 32 == 31) gmpkit::sleep_for(30us);  // a timer now and then, too
        }
      });
    }
    Model after = m;
    apply(after);
    check_step(after, s);
  }
  void show(std::ostream& os) const override { os << "SpawnSpinners(" << k << ")"; }
};

struct SpawnSleepers : Cmd {
  int k = *rc::gen::inRange(1, 7);
  int ms = *rc::gen::inRange(1, 20);
  void apply(Model& m) const override { m.sleepers += k; }
  void run(const Model& m, Sut& s) const override {
    for (int i = 0; i < k; i++)
      gmpkit::go([sh = s.sh, d = ms + i] {
        gmpkit::sleep_for(std::chrono::milliseconds(d));
        sh->sleepers_woken.fetch_add(1, std::memory_order_release);
      });
    Model after = m;
    apply(after);
    check_step(after, s);
  }
  void show(std::ostream& os) const override {
    os << "SpawnSleepers(" << k << " x " << ms << ".." << ms + k - 1 << " ms)";
  }
};

struct Gomaxprocs : Cmd {
  int n = *rc::gen::inRange(1, 7);
  void apply(Model& m) const override { m.procs = n; }
  void run(const Model& m, Sut& s) const override {
    if (n < m.procs) {  // which Ps that are about to go hold timers?
      std::uint32_t timers = 0;
      {
        gmpkit::WorldStopped w("procresize property");
        for (std::int32_t i = n; i < m.procs; i++)
          timers += gmpkit::core::sched->allp[static_cast<std::size_t>(i)]->timers.numTimers.load(
              gmpkit::rt::relaxed);  // relaxed: world stopped
      }
      RC_CLASSIFY(timers > 0, "a shrink destroyed Ps holding timers");
    }
    RC_ASSERT(gmpkit::gomaxprocs(n) == m.procs);
    Model after = m;
    apply(after);
    check_step(after, s);
  }
  void show(std::ostream& os) const override { os << "Gomaxprocs(" << n << ")"; }
};

// Spawns while the world is stopped (they wait in our run queue), checks
// the invariants with the world still stopped, restarts it.
struct StoppedSpawn : Cmd {
  int k = *rc::gen::inRange(0, 4);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.parked.size() < 16u); }
  void apply(Model& m) const override {
    for (int i = 0; i < k; i++) m.parked.push_back(m.next_gate++);
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::debug::InvariantReport r;
    {
      gmpkit::WorldStopped w("procresize property");
      for (int i = 0; i < k; i++) spawn_parked(s);
      r = gmpkit::debug::verify_invariants(gmpkit::debug::InvariantMode::report);
    }
    if (!r.ok()) gmpkit_property::fail(r.str());
    Model after = m;
    apply(after);
    check_step(after, s);
  }
  void show(std::ostream& os) const override { os << "StoppedSpawn(" << k << ")"; }
};

RC_GTEST_PROP(ProcresizeModel, NoGoroutineLostOrDuplicatedAcrossResizes, ()) {
  Model m0;
  m0.procs = *rc::gen::inRange(1, 5);
  const auto cmds = *rc::state::gen::commands(
      m0, rc::state::gen::execOneOfWithArgs<SpawnParked, Wake, SpawnSpinners, SpawnSleepers,
                                            Gomaxprocs, Gomaxprocs, StoppedSpawn>());
  gmpkit::Config cfg;
  cfg.procs = m0.procs;
  gmpkit_property::run_case(cfg, [&] {
    Sut s;
    auto finish = [&s] {
      s.sh->stop_spin.store(true, std::memory_order_release);
      for (std::size_t i = 0; i < s.gates.size(); i++) {  // the not yet woken get their token
        gmpkit::select(gmpkit::send_case(s.gates[i], static_cast<int>(i)), gmpkit::default_case());
      }
    };
    try {
      check_step(m0, s);
      rc::state::runAll(cmds, m0, s);
    } catch (...) {
      finish();
      throw;
    }
    Model end = m0;
    rc::state::applyAll(cmds, end);
    finish();
    // Every goroutine ends: parked ones with exactly their own token, every
    // sleeper woken (also those whose timers sat on destroyed Ps).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((gmpkit::num_goroutine() > 1 ||
            s.sh->sleepers_woken.load(std::memory_order_acquire) < end.sleepers) &&
           std::chrono::steady_clock::now() < deadline)
      gmpkit::sleep_for(100us);
    RC_ASSERT(s.sh->sleepers_woken.load() == end.sleepers);
    for (std::size_t i = 0; i < s.sh->got.size(); i++)
      RC_ASSERT(s.sh->got[i]->load(std::memory_order_acquire) == static_cast<int>(i));
    RC_ASSERT(gmpkit::num_goroutine() == 1);
    gmpkit_property::assert_invariants();
  });
}

}  // namespace
