// Property test of the scheduler against a model (rapidcheck rc::state):
// random sequences of spawn / park-on-channel / ready / yield / sleep /
// syscall / LockOSThread / GOMAXPROCS change / stop-the-world-and-spawn, with
// debug::verify_invariants() after every step, and num_goroutine() and
// debug::goroutines() compared with the model (how many goroutines are
// parked on the gate channel) once the step has settled.
//
// The sequences are generated outside the runtime, then run inside one
// gmpkit::run() each. Kept quick for the default ctest run: unless
// RC_PARAMS is set, 25 sequences of at most 40 steps.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "gmpkit/gmpkit.hpp"

namespace {

using gmpkit::debug::InvariantMode;
using namespace std::chrono_literals;

struct Model {
  int procs = 2;
  int parked = 0;  // goroutines that end up waiting on the gate ("chan receive")
};

struct Sut {
  gmpkit::Chan<int> gate{0};
};

using Cmd = rc::state::Command<Model, Sut>;

// Every step: the invariants hold right now; then, once spawned goroutines
// have reached their park (bounded wait, no timing assertion), the runtime's
// counts and statuses are the model's.
void check_step(const Model& after) {
  const auto r = gmpkit::debug::verify_invariants(InvariantMode::report);
  if (!r.ok()) RC_FAIL(r.str());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int waiting = -1, others = -1;
  std::int64_t n = -1;
  for (;;) {
    n = gmpkit::num_goroutine();
    waiting = 0;
    others = 0;
    for (const auto& g : gmpkit::debug::goroutines()) {
      if (g.id == gmpkit::goroutine_id()) continue;
      if (g.status == "waiting" && g.wait_reason == "chan receive")
        waiting++;
      else
        others++;
    }
    if ((n == 1 + after.parked && waiting == after.parked && others == 0) ||
        std::chrono::steady_clock::now() > deadline)
      break;
    gmpkit::sleep_for(50us);
  }
  RC_ASSERT(n == 1 + after.parked);
  RC_ASSERT(waiting == after.parked);
  RC_ASSERT(others == 0);
  RC_ASSERT(gmpkit::gomaxprocs() == after.procs);
}

Model next(const Model& m, const Cmd& c) {
  Model s = m;
  c.apply(s);
  return s;
}

struct Spawn : Cmd {
  void apply(Model& m) const override { m.parked++; }
  void run(const Model& m, Sut& s) const override {
    gmpkit::go([c = s.gate]() mutable { (void)c.recv(); });
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "Spawn (parks on the gate)"; }
};

struct Ready : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.parked > 0); }
  void apply(Model& m) const override { m.parked--; }
  void run(const Model& m, Sut& s) const override {
    s.gate.send(0);  // unbuffered: returns once a parked goroutine has it (it then exits)
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "Ready (one parked goroutine exits)"; }
};

struct SpawnRunners : Cmd {
  int n = *rc::gen::inRange(1, 8);
  void apply(Model&) const override {}
  void run(const Model& m, Sut&) const override {
    for (int i = 0; i < n; i++)
      gmpkit::go([] {
        for (int k = 0; k < 3; k++) gmpkit::yield();
      });
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "SpawnRunners(" << n << ")"; }
};

struct Yield : Cmd {
  void apply(Model&) const override {}
  void run(const Model& m, Sut&) const override {
    gmpkit::yield();
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "Yield"; }
};

struct Sleep : Cmd {
  int us = *rc::gen::inRange(0, 1500);
  void apply(Model&) const override {}
  void run(const Model& m, Sut&) const override {
    gmpkit::sleep_for(std::chrono::microseconds(us));
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "Sleep(" << us << "us)"; }
};

struct SpawnSleeper : Cmd {
  int us = *rc::gen::inRange(0, 1500);
  void apply(Model& m) const override { m.parked++; }
  void run(const Model& m, Sut& s) const override {
    gmpkit::go([c = s.gate, d = us]() mutable {
      gmpkit::sleep_for(std::chrono::microseconds(d));
      (void)c.recv();
    });
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "SpawnSleeper(" << us << "us, then parks)"; }
};

struct Syscall : Cmd {
  int us = *rc::gen::inRange(0, 800);
  bool block = *rc::gen::arbitrary<bool>();
  void apply(Model&) const override {}
  void run(const Model& m, Sut&) const override {
    auto fn = [d = us] { usleep(static_cast<useconds_t>(d)); };
    if (block)
      gmpkit::syscall_block(fn);
    else
      gmpkit::syscall(fn);
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override {
    os << (block ? "SyscallBlock(" : "Syscall(") << us << "us)";
  }
};

struct SpawnSyscaller : Cmd {
  int us = *rc::gen::inRange(0, 800);
  void apply(Model& m) const override { m.parked++; }
  void run(const Model& m, Sut& s) const override {
    gmpkit::go([c = s.gate, d = us]() mutable {
      gmpkit::syscall([d] { usleep(static_cast<useconds_t>(d)); });
      (void)c.recv();
    });
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "SpawnSyscaller(" << us << "us, then parks)"; }
};

// A goroutine wired to its thread (LockOSThread) parks: its M waits for it
// in stoplockedm, and the lockedg/lockedm pair must stay symmetric.
struct SpawnLocked : Cmd {
  void apply(Model& m) const override { m.parked++; }
  void run(const Model& m, Sut& s) const override {
    gmpkit::go([c = s.gate]() mutable {
      gmpkit::lock_os_thread();
      (void)c.recv();
      gmpkit::unlock_os_thread();
    });
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "SpawnLocked (locks its thread, parks)"; }
};

struct SetProcs : Cmd {
  int n = *rc::gen::inRange(1, 5);
  void apply(Model& m) const override { m.procs = n; }
  void run(const Model& m, Sut&) const override {
    RC_ASSERT(gmpkit::gomaxprocs(n) == m.procs);
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "GOMAXPROCS(" << n << ")"; }
};

// Spawns while the world is stopped (the new G waits in our run queue) and
// checks with the world still stopped.
struct StoppedSpawn : Cmd {
  void apply(Model& m) const override { m.parked++; }
  void run(const Model& m, Sut& s) const override {
    gmpkit::debug::InvariantReport r;
    {
      gmpkit::WorldStopped stw("property");
      gmpkit::go([c = s.gate]() mutable { (void)c.recv(); });
      r = gmpkit::debug::verify_invariants(InvariantMode::report);
    }
    if (!r.ok()) RC_FAIL(r.str());
    check_step(next(m, *this));
  }
  void show(std::ostream& os) const override { os << "StoppedSpawn"; }
};

TEST(InvariantsProperty, SchedulerMatchesModelAndInvariantsHoldAfterEveryStep) {
  // Quick by default; RC_PARAMS (read once, at rapidcheck's first use) wins.
  setenv("RC_PARAMS", "max_success=25 max_size=40", 0);
  const bool ok = rc::check("scheduler steps keep every invariant", [] {
    Model m0;
    m0.procs = *rc::gen::inRange(1, 5);
    const auto cmds = *rc::state::gen::commands(
        m0, rc::state::gen::execOneOfWithArgs<Spawn, Ready, SpawnRunners, Yield, Sleep,
                                              SpawnSleeper, Syscall, SpawnSyscaller, SpawnLocked,
                                              SetProcs, StoppedSpawn>());
    gmpkit::Config cfg;
    cfg.procs = m0.procs;
    gmpkit::run(cfg, [&] {
      Sut sut;
      check_step(m0);
      rc::state::runAll(cmds, m0, sut);
      sut.gate.close();  // every parked goroutine wakes (closed) and exits
      Model empty;
      empty.procs = gmpkit::gomaxprocs();
      check_step(empty);
    });
  });
  EXPECT_TRUE(ok);
}

}  // namespace
