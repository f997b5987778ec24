// gstate_property_test.cpp — model-based test (rapidcheck rc::state) of the
// G state machine, driven against the real runtime through scripted
// goroutines (gmpkit::testing::GoroutineDriver, the test-only library).
//
// Commands: Spawn, Yield(g), Park(g, reason), Ready(g), EnterSyscall(g),
// ExitSyscall(g), Preempt(g), LockOSThread(g), UnlockOSThread(g),
// StopTheWorld, StartTheWorld, Gomaxprocs(n), Exit(g), Panic(g).
//
// The model is the legal-transition table (core/gstatus.cpp, ARCHITECTURE
// §3) plus, for every scripted G, where it must be: idle (parked on the
// driver), parked with the command's wait reason, in a syscall on an M
// without a P, runnable in the stopped world's P (runnext, or the ring at a
// position: a spawn or ready while the world is stopped kicks the previous
// runnext to the ring's tail, Go's runqput(next)), or gone. Its LockOSThread
// count says whether it is wired to an M; a wired G must stay on that M
// (every step it runs and every runnable -> running transition are made by
// it). After every command the whole world is stopped once and checked:
// each G's status, wait reason, M, locked M, run queue and position; the
// transitions it made since the command started (checked builds record the
// last 16 of every G) are exactly the command's path through the table
// (e.g. Yield: waiting -> runnable -> running -> runnable -> running ->
// waiting; ExitSyscall: the fast path syscall -> running or the slow path
// syscall -> runnable -> running); num_goroutine(); and
// debug::verify_invariants().
//
// Determinism: sysmon's time-slice preemption and wake-up preemption are
// off (time_slice 1 h, min_slice 0), so no G makes a transition the model
// does not know about; waits for a G to reach its place are bounded (10 s)
// but never asserted on.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/gstatus.hpp"
#include "core/m.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/goroutine_driver.hpp"
#include "property/property_util.hpp"

namespace {

GMPKIT_PROPERTY_DEFAULTS("max_success=100 max_size=60");

using gmpkit::core::GStatus;
using gmpkit::core::WaitReason;
using gmpkit::testing::GoSnapshot;
using gmpkit::testing::GoStep;
using gmpkit::testing::GoTransition;

constexpr int kMaxLive = 8;

enum class Place { idle, parked, syscall, runnable, done };
const char* place_name(Place p) {
  switch (p) {
    case Place::idle:
      return "idle";
    case Place::parked:
      return "parked";
    case Place::syscall:
      return "syscall";
    case Place::runnable:
      return "runnable";
    case Place::done:
      return "done";
  }
  return "?";
}

using Path = std::vector<std::pair<GStatus, GStatus>>;

struct GModel {
  Place place = Place::idle;
  WaitReason reason = WaitReason::zero;  // parked
  int locks = 0;  // LockOSThread nesting
  // The transitions since the last command that touched this G: any one
  // of these (several: ExitSyscall's fast and slow paths).
  std::vector<Path> paths = {{}};
};

struct Model {
  std::vector<GModel> gs;
  int procs = 2;
  bool stopped = false;
  // The stopped world's P (main's) while stopped: runnext and the ring.
  std::optional<int> runnext;
  std::deque<int> ring;

  int live() const {
    int n = 0;
    for (const auto& g : gs) n += g.place != Place::done;
    return n;
  }
  // runqput(next=true) on main's P.
  void put_next(int g) {
    if (runnext) ring.push_back(*runnext);
    runnext = g;
  }
};

constexpr auto R = GStatus::runnable;
constexpr auto RUN = GStatus::running;
constexpr auto W = GStatus::waiting;
constexpr auto S = GStatus::syscall;
constexpr auto D = GStatus::dead;

const Path kWake = {{W, R}, {R, RUN}};
Path cat(Path a, const Path& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Sut {
  gmpkit::testing::GoroutineDriver d;
  std::map<int, std::int64_t> locked_m;  // the M each wired G got at LockOSThread
  bool stopped = false;
};

using Cmd = rc::state::Command<Model, Sut>;

std::string path_str(const std::vector<GoTransition>& v) {
  std::ostringstream os;
  for (const auto& t : v)
    os << gmpkit::core::gstatus_name(t.from) << "->" << gmpkit::core::gstatus_name(t.to) << "(m"
       << t.m << ") ";
  return os.str();
}

// Stops the world once (unless the model has it stopped) and checks every
// G against the model.
void check_world(const Model& m, Sut& s) {
  RC_ASSERT(s.stopped == m.stopped);
  if (!m.stopped) gmpkit::stop_the_world("gstate property");
  std::string fail;
  const std::int32_t my_p = gmpkit::core::getm()->p->id;
  for (int i = 0; i < static_cast<int>(m.gs.size()) && fail.empty(); i++) {
    const GModel& gm = m.gs[static_cast<std::size_t>(i)];
    const GoSnapshot sn = s.d.snapshot(i);
    const std::string who = "g" + std::to_string(i) + " (" + place_name(gm.place) + "): ";
    auto expect = [&](bool ok, const std::string& what) {
      if (!ok && fail.empty()) fail = who + what;
    };
    if (gm.place == Place::done) {
      expect(!sn.found || sn.status == D, "still alive");
      continue;
    }
    expect(sn.found, "not found");
    if (!sn.found) break;
    switch (gm.place) {
      case Place::idle:
        expect(sn.status == W && sn.wait_reason == gmpkit::testing::kDriverIdleReason,
               "not parked idle");
        expect(sn.queue == GoSnapshot::Queue::none, "on a run queue");
        expect(sn.m == -1, "has an M");
        break;
      case Place::parked:
        expect(sn.status == W && sn.wait_reason == gm.reason,
               std::string("not waiting with reason '") +
                   gmpkit::core::wait_reason_string(gm.reason) + "'");
        expect(sn.queue == GoSnapshot::Queue::none, "on a run queue");
        break;
      case Place::syscall:
        expect(sn.status == S, "not in a syscall");
        expect(sn.m != -1 && !sn.m_has_p, "its M holds a P or there is none");
        expect(sn.queue == GoSnapshot::Queue::none, "on a run queue");
        break;
      case Place::runnable: {
        expect(sn.status == R, "not runnable");
        if (m.runnext == i) {
          expect(sn.queue == GoSnapshot::Queue::runnext && sn.queue_p == my_p,
                 "not in the stopped world's runnext");
        } else {
          int pos = -1;
          for (std::size_t k = 0; k < m.ring.size(); k++)
            if (m.ring[k] == i) pos = static_cast<int>(k);
          expect(sn.queue == GoSnapshot::Queue::local && sn.queue_p == my_p && sn.queue_pos == pos,
                 "not at position " + std::to_string(pos) + " of the stopped world's ring (queue " +
                     std::to_string(static_cast<int>(sn.queue)) + " p" +
                     std::to_string(sn.queue_p) + " pos " + std::to_string(sn.queue_pos) + ")");
        }
        break;
      }
      case Place::done:
        break;
    }
    // Wired to an M exactly while locked, always the same M, the pair symmetric.
    expect((sn.locked_m != -1) == (gm.locks > 0), "lockedm does not match the lock count");
    expect(sn.lock_pair_ok, "lockedm/lockedg not symmetric");
    if (gm.locks > 0 && s.locked_m.count(i)) {
      expect(sn.locked_m == s.locked_m.at(i), "wired to another M than at LockOSThread");
      if (gm.place == Place::syscall) expect(sn.m == s.locked_m.at(i), "in a syscall on another M");
    }
#if GMPKIT_CHECKED
    // Its path through the table since the command (legal, and the model's).
    bool matched = false;
    Path got;
    for (const auto& t : sn.transitions) {
      expect(gmpkit::core::gstatus_transition_legal(t.from, t.to), "illegal transition");
      got.emplace_back(t.from, t.to);
    }
    // A stop-the-world by another command (Gomaxprocs, StopTheWorld) preempts
    // every running G: running -> runnable -> running round trips are legal
    // and invisible to the model, so they are also matched with those pairs
    // taken out (seen under ASan, where a G still runs when the STW comes).
    Path squeezed;
    for (const auto& t : got) {
      if (!squeezed.empty() && squeezed.back().first == gmpkit::core::GStatus::running &&
          squeezed.back().second == gmpkit::core::GStatus::runnable &&
          t.first == gmpkit::core::GStatus::runnable &&
          t.second == gmpkit::core::GStatus::running) {
        squeezed.pop_back();
        continue;
      }
      squeezed.push_back(t);
    }
    for (const auto& p : gm.paths) matched = matched || p == got || p == squeezed;
    expect(!sn.history_overflow && matched,
           "transitions " + path_str(sn.transitions) + "are not the command's path");
    if (gm.locks > 0 && s.locked_m.count(i))
      for (const auto& t : sn.transitions)
        if (t.to == RUN) expect(t.m == s.locked_m.at(i), "a wired G ran on another M");
#endif
  }
  std::int64_t n = gmpkit::num_goroutine();
  const auto r = gmpkit::debug::verify_invariants(gmpkit::debug::InvariantMode::report);
  if (!m.stopped) gmpkit::start_the_world();
  if (!fail.empty()) gmpkit_property::fail(fail);
  if (!r.ok()) gmpkit_property::fail(r.str());
  RC_ASSERT(n == 1 + m.live());
  RC_ASSERT(gmpkit::gomaxprocs() == m.procs);
}

// A command on one G: `pick` chooses among the Gs it applies to.
struct OnG : Cmd {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 1000);
  virtual bool applies(const GModel& g) const { return g.place == Place::idle; }
  virtual bool needs_world() const { return true; }
  int who(const Model& m) const {
    std::vector<int> c;
    for (std::size_t i = 0; i < m.gs.size(); i++)
      if (applies(m.gs[i])) c.push_back(static_cast<int>(i));
    return c.empty() ? -1 : c[pick % c.size()];
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(who(m) != -1);
    if (needs_world()) RC_PRE(!m.stopped);
  }
  void run(const Model& m, Sut& s) const override {
    const int g = who(m);
    act(m, s, g);
    Model after = m;
    apply(after);
    check_world(after, s);
  }
  virtual void act(const Model& m, Sut& s, int g) const = 0;
};

struct Spawn : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.live() < kMaxLive); }
  void apply(Model& m) const override {
    GModel g;
    if (m.stopped) {
      g.place = Place::runnable;  // waits in the stopped world's runnext for the restart
      g.paths = {{{D, R}}};
      m.put_next(static_cast<int>(m.gs.size()));
    } else {
      g.paths = {{{D, R}, {R, RUN}, {RUN, W}}};
    }
    m.gs.push_back(g);
  }
  void run(const Model& m, Sut& s) const override {
    const int g = s.d.spawn();
    if (!m.stopped) s.d.wait_idle(g);
    Model after = m;
    apply(after);
    check_world(after, s);
  }
  void show(std::ostream& os) const override { os << "Spawn"; }
};

struct Yield : OnG {
  void apply(Model& m) const override {
    m.gs[static_cast<std::size_t>(who(m))].paths = {cat(kWake, {{RUN, R}, {R, RUN}, {RUN, W}})};
  }
  void act(const Model&, Sut& s, int g) const override { s.d.step(g, GoStep::yield); }
  void show(std::ostream& os) const override { os << "Yield(#" << pick << ")"; }
};

struct Preempt : OnG {
  void apply(Model& m) const override {
    m.gs[static_cast<std::size_t>(who(m))].paths = {cat(kWake, {{RUN, R}, {R, RUN}, {RUN, W}})};
  }
  void act(const Model&, Sut& s, int g) const override { s.d.step(g, GoStep::preempt); }
  void show(std::ostream& os) const override { os << "Preempt(#" << pick << ")"; }
};

struct Park : OnG {
  // Reasons whose Gs the invariant checker does not expect on a runtime
  // structure (sleep, IO wait and the sema reasons must be on a timer, a
  // poll descriptor or a sema root; the driver parks on none of them).
  WaitReason reason = *rc::gen::element(WaitReason::chan_receive, WaitReason::chan_send,
                                        WaitReason::select, WaitReason::sync_cond_wait,
                                        WaitReason::chan_receive_nil, WaitReason::select_no_cases);
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    g.place = Place::parked;
    g.reason = reason;
    g.paths = {cat(kWake, {{RUN, W}})};
  }
  void act(const Model&, Sut& s, int g) const override { s.d.step(g, GoStep::park, reason); }
  void show(std::ostream& os) const override {
    os << "Park(#" << pick << ", " << gmpkit::core::wait_reason_string(reason) << ")";
  }
};

// goready of a parked G; allowed with the world stopped (it then waits in
// the stopped world's runnext).
struct Ready : OnG {
  bool applies(const GModel& g) const override { return g.place == Place::parked; }
  bool needs_world() const override { return false; }
  void apply(Model& m) const override {
    const int i = who(m);
    GModel& g = m.gs[static_cast<std::size_t>(i)];
    if (m.stopped) {
      g.place = Place::runnable;
      g.paths = {{{W, R}}};
      m.put_next(i);
    } else {
      g.place = Place::idle;
      g.paths = {cat(kWake, {{RUN, W}})};
    }
  }
  void act(const Model& m, Sut& s, int g) const override { s.d.ready(g, !m.stopped); }
  void show(std::ostream& os) const override { os << "Ready(#" << pick << ")"; }
};

struct EnterSyscall : OnG {
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    g.place = Place::syscall;
    g.paths = {cat(kWake, {{RUN, S}})};
  }
  void act(const Model&, Sut& s, int g) const override { s.d.step(g, GoStep::enter_syscall); }
  void show(std::ostream& os) const override { os << "EnterSyscall(#" << pick << ")"; }
};

struct ExitSyscall : OnG {
  bool applies(const GModel& g) const override { return g.place == Place::syscall; }
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    g.place = Place::idle;
    g.paths = {{{S, RUN}, {RUN, W}},  // exitsyscall fast path: its P (or an idle one)
               {{S, R}, {R, RUN}, {RUN, W}}};  // slow path: no P, queued
  }
  void act(const Model&, Sut& s, int g) const override { s.d.step(g, GoStep::exit_syscall); }
  void show(std::ostream& os) const override { os << "ExitSyscall(#" << pick << ")"; }
};

struct LockOSThread : OnG {
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    g.locks++;
    g.paths = {cat(kWake, {{RUN, W}})};
  }
  void act(const Model& m, Sut& s, int g) const override {
    s.d.step(g, GoStep::lock_os_thread);
    if (m.gs[static_cast<std::size_t>(g)].locks == 0)
      s.locked_m[g] = s.d.last_step_m(g);
    else
      RC_ASSERT(s.d.last_step_m(g) == s.locked_m.at(g));  // ran on its M
  }
  void show(std::ostream& os) const override { os << "LockOSThread(#" << pick << ")"; }
};

struct UnlockOSThread : OnG {
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    if (g.locks > 0) g.locks--;
    g.paths = {cat(kWake, {{RUN, W}})};
  }
  void act(const Model& m, Sut& s, int g) const override {
    s.d.step(g, GoStep::unlock_os_thread);
    if (m.gs[static_cast<std::size_t>(g)].locks > 0) {
      RC_ASSERT(s.d.last_step_m(g) == s.locked_m.at(g));  // ran on its M
      if (m.gs[static_cast<std::size_t>(g)].locks == 1) s.locked_m.erase(g);
    }
  }
  void show(std::ostream& os) const override { os << "UnlockOSThread(#" << pick << ")"; }
};

struct Exit : OnG {
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    g.place = Place::done;
    g.locks = 0;
  }
  void act(const Model&, Sut& s, int g) const override {
    s.d.step(g, GoStep::exit);
    s.locked_m.erase(g);
  }
  void show(std::ostream& os) const override { os << "Exit(#" << pick << ")"; }
};

// The G throws; its frames unwind (destructors run) and the driver's frame
// recovers it, as Go's recover, so only this goroutine ends.
struct Panic : OnG {
  void apply(Model& m) const override {
    GModel& g = m.gs[static_cast<std::size_t>(who(m))];
    g.place = Place::done;
    g.locks = 0;
  }
  void act(const Model&, Sut& s, int g) const override {
    s.d.step(g, GoStep::panic);
    RC_ASSERT(s.d.unwound(g));
    s.locked_m.erase(g);
  }
  void show(std::ostream& os) const override { os << "Panic(#" << pick << ")"; }
};

struct StopTheWorld : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.stopped); }
  void apply(Model& m) const override {
    m.stopped = true;  // no G moves: their paths stay those of their last command
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::stop_the_world("gstate property");
    s.stopped = true;
    Model after = m;
    apply(after);
    check_world(after, s);
  }
  void show(std::ostream& os) const override { os << "StopTheWorld"; }
};

struct StartTheWorld : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.stopped); }
  void apply(Model& m) const override {
    m.stopped = false;
    // Queued Gs run: a spawned one parks idle, a readied one goes back idle.
    for (auto& g : m.gs)
      if (g.place == Place::runnable) {
        g.place = Place::idle;
        g.paths = {cat(g.paths[0], {{R, RUN}, {RUN, W}})};
      }
    m.runnext.reset();
    m.ring.clear();
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::start_the_world();
    s.stopped = false;
    for (std::size_t i = 0; i < m.gs.size(); i++)
      if (m.gs[i].place == Place::runnable) s.d.wait_idle(static_cast<int>(i));
    Model after = m;
    apply(after);
    check_world(after, s);
  }
  void show(std::ostream& os) const override { os << "StartTheWorld"; }
};

struct Gomaxprocs : Cmd {
  int n = *rc::gen::inRange(1, 5);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.stopped); }
  void apply(Model& m) const override {
    m.procs = n;  // a resize moves no parked, idle or syscall G: paths unchanged
  }
  void run(const Model& m, Sut& s) const override {
    RC_ASSERT(gmpkit::gomaxprocs(n) == m.procs);
    Model after = m;
    apply(after);
    check_world(after, s);
  }
  void show(std::ostream& os) const override { os << "Gomaxprocs(" << n << ")"; }
};

RC_GTEST_PROP(GStateModel, ScriptedGoroutinesFollowTheTransitionTable, ()) {
  Model m0;
  m0.procs = *rc::gen::inRange(1, 5);
  const auto cmds = *rc::state::gen::commands(
      m0,
      rc::state::gen::execOneOfWithArgs<Spawn, Spawn, Yield, Park, Ready, Ready, EnterSyscall,
                                        ExitSyscall, Preempt, LockOSThread, UnlockOSThread,
                                        StopTheWorld, StartTheWorld, Gomaxprocs, Exit, Panic>());
  // The distribution printed on success: how long the sequences are and
  // which commands they reach.
  RC_CLASSIFY(cmds.size() >= 20, ">= 20 commands");
  for (const char* kind : {"Preempt", "ExitSyscall", "LockOSThread", "StartTheWorld", "Panic"}) {
    bool seen = false;
    for (const auto& c : cmds) {
      std::ostringstream os;
      c->show(os);
      seen = seen || os.str().rfind(kind, 0) == 0;
    }
    RC_CLASSIFY(seen, kind);
  }
  gmpkit::Config cfg;
  cfg.procs = m0.procs;
  cfg.time_slice = std::chrono::hours(1);  // no time-slice preemption the model does not know of
  cfg.min_slice = std::chrono::nanoseconds(0);  // nor wake-up preemption
  gmpkit_property::run_case(cfg, [&] {
    Sut s;
    try {
      check_world(m0, s);
      rc::state::runAll(cmds, m0, s);
    } catch (...) {
      if (s.stopped) gmpkit::start_the_world();  // the driver's goroutines need the world
      throw;
    }
    if (s.stopped) gmpkit::start_the_world();
  });
}

}  // namespace
