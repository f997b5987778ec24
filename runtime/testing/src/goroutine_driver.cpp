// goroutine_driver.cpp — scripted goroutines for the G-state-machine
// property suite (see gmpkit/testing/goroutine_driver.hpp).
#include "gmpkit/testing/goroutine_driver.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "core/m.hpp"
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "platform/futex.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::testing {

using namespace std::chrono_literals;

const char* go_step_name(GoStep s) {
  switch (s) {
    case GoStep::yield:
      return "Yield";
    case GoStep::park:
      return "Park";
    case GoStep::enter_syscall:
      return "EnterSyscall";
    case GoStep::exit_syscall:
      return "ExitSyscall";
    case GoStep::preempt:
      return "Preempt";
    case GoStep::lock_os_thread:
      return "LockOSThread";
    case GoStep::unlock_os_thread:
      return "UnlockOSThread";
    case GoStep::exit:
      return "Exit";
    case GoStep::panic:
      return "Panic";
  }
  return "?";
}

const char* go_where_name(GoWhere w) {
  switch (w) {
    case GoWhere::starting:
      return "starting";
    case GoWhere::running:
      return "running";
    case GoWhere::idle:
      return "idle";
    case GoWhere::parked:
      return "parked";
    case GoWhere::syscall:
      return "syscall";
    case GoWhere::done:
      return "done";
  }
  return "?";
}

struct GoroutineDriver::Slot {
  rt::Mutex lock;
  // Set by the goroutine under `lock` before it first parks; read by the
  // driver after it saw `idle` under the same lock.
  core::G* g = nullptr;
  std::int64_t goid = 0;
  GoStep cmd = GoStep::yield;  // GUARDED_BY(lock)
  core::WaitReason reason = core::WaitReason::zero;  // GUARDED_BY(lock)
  bool quit = false;  // GUARDED_BY(lock): the driver is going away
  // history_n of g when its current step was handed over (the driver, or
  // the goroutine at its start under `lock`).
  std::uint32_t mark = 0;
  // acquire/release: a goroutine's store of where publishes what it did
  // before (its status change, its fields) to the driver that reads it.
  std::atomic<GoWhere> where{GoWhere::starting};
  std::atomic<std::int64_t> last_m{-1};  // relaxed: read after `where` (acquire)
  std::atomic<std::uint32_t> sys_release{0};  // the syscall's futex word
  std::atomic<bool> unwound{false};
};

namespace {

struct PanicStep {};  // what a panic step throws; the body recovers it

struct UnwindMark {
  GoroutineDriver::Slot* s;
  ~UnwindMark() { s->unwound.store(true, std::memory_order_release); }
};

// Parks the goroutine on its slot as `w` (idle or parked); the driver
// wakes it with goready after seeing `w` under the slot lock. Returns
// whether the driver asked it to quit.
bool park_on_slot(GoroutineDriver::Slot& s, GoWhere w, core::WaitReason reason) {
  s.lock.lock();
  s.where.store(w, std::memory_order_release);  // release: see Slot::where
  core::goparkunlock(&s.lock, reason);  // unlocks once the G is waiting
  rt::LockGuard l(s.lock);
  return s.quit;
}

void do_step(GoroutineDriver::Slot& s, GoStep c, core::WaitReason r) {
  switch (c) {
    case GoStep::yield:
      gmpkit::yield();
      return;
    case GoStep::park:
      (void)park_on_slot(s, GoWhere::parked, r);
      return;
    case GoStep::enter_syscall:
      gmpkit::syscall([&s] {
        s.where.store(GoWhere::syscall, std::memory_order_release);  // release: see Slot::where
        // acquire: pairs with the driver's release store of 1.
        // The platform's futex (a blocked simulated thread under the
        // simulator; std::atomic::wait would block the whole simulation).
        while (s.sys_release.load(std::memory_order_acquire) == 0)
          rt::futexsleep(&s.sys_release, 0, -1);
        s.sys_release.store(0, std::memory_order_relaxed);  // relaxed: only we read it now
      });
      return;
    case GoStep::preempt: {
      // The request sysmon makes for a G past its time slice: the P's
      // preempt flag, acted on at the next preemption point (gopreempt:
      // running -> runnable on the global run queue). Done once the G was
      // descheduled and has run again (a new schedtick or another P).
      core::P* pp = core::getm()->p;
      const std::uint32_t tick = pp->schedtick.load(rt::relaxed);  // relaxed: our own P's counter
      for (;;) {
        pp->preempt.store(true, rt::relaxed);  // relaxed: a hint, as sysmon's
        gmpkit::preempt_point();
        core::P* now = core::getm()->p;
        if (now != pp || now->schedtick.load(rt::relaxed) != tick) return;
      }
    }
    case GoStep::lock_os_thread:
      gmpkit::lock_os_thread();
      return;
    case GoStep::unlock_os_thread:
      gmpkit::unlock_os_thread();
      return;
    case GoStep::exit:
    case GoStep::exit_syscall:
      return;
    case GoStep::panic: {
      UnwindMark mark{&s};
      throw PanicStep{};
    }
  }
}

void script(GoroutineDriver::Slot& s) {
  {
    rt::LockGuard l(s.lock);
    s.g = core::getg();
    s.goid = s.g->goid;
    // The transitions of its start (dead -> runnable -> running) count as
    // the spawn's, as if spawn() were its first step.
    s.mark = s.g->history_n >= 2 ? s.g->history_n - 2 : 0;
  }
  for (;;) {
    if (park_on_slot(s, GoWhere::idle, kDriverIdleReason)) return;
    GoStep c;
    core::WaitReason r;
    {
      rt::LockGuard l(s.lock);
      c = s.cmd;
      r = s.reason;
    }
    s.last_m.store(core::getm()->id, std::memory_order_relaxed);
    if (c == GoStep::exit) return;
    do_step(s, c, r);
  }
}

}  // namespace

GoroutineDriver::GoroutineDriver() {
  if (core::getg() == nullptr) throw usage_error("GoroutineDriver: must be created on a goroutine");
}

GoroutineDriver::~GoroutineDriver() {
  // Every live goroutine exits: idle ones are told to quit, parked ones
  // woken (they then idle and quit), syscalls released. Bounded: whatever
  // is left (a failed test) is unwound by run()'s shutdown; the slots are
  // shared with the goroutines, so nothing dangles.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    bool all_done = true;
    for (auto& sp : slots_) {
      Slot& s = *sp;
      const GoWhere w = s.where.load(std::memory_order_acquire);
      // Done, and its callable destroyed (the goroutine's copy of the slot
      // released): from there on it runs only runtime code, which is never
      // async-preempted, so run()'s shutdown cannot retire it with its
      // captures alive (an ASan leak report).
      if (w == GoWhere::done && sp.use_count() == 1) continue;
      all_done = false;
      if (w == GoWhere::syscall) {
        s.sys_release.store(1, std::memory_order_release);  // release: pairs with the waiter
        rt::futexwakeup(&s.sys_release, 1);
        continue;
      }
      if (w != GoWhere::idle && w != GoWhere::parked) continue;
      bool wake = false;
      {
        rt::LockGuard l(s.lock);
        if (s.where.load(std::memory_order_relaxed) == w) {  // relaxed: under the lock
          s.quit = true;
          s.where.store(GoWhere::running, std::memory_order_relaxed);
          wake = true;
        }
      }
      if (wake) core::goready(s.g);
    }
    if (all_done || std::chrono::steady_clock::now() > deadline) return;
    gmpkit::sleep_for(20us);
  }
}

int GoroutineDriver::spawn() {
  auto s = std::make_shared<Slot>();
  slots_.push_back(s);
  gmpkit::go([s] {
    try {
      script(*s);
    } catch (const PanicStep&) {
      // recovered (Go's recover in a deferred call): the goroutine exits normally
    }
    s->where.store(GoWhere::done, std::memory_order_release);  // release: see Slot::where
  });
  // The birth moment: go() leaves the new G in this P's runnext. With the
  // world stopped by the caller nobody can take it from there, so the
  // driver knows its G before it first runs (a snapshot finds it runnable).
  // relaxed: only the G holding the stopped world stores itself there.
  if (core::sched->stw_owner.load(rt::relaxed) == core::getg()) {
    core::G* born = core::getm()->p->runq.runnext_peek();
    if (born == nullptr) throw std::runtime_error("GoroutineDriver: go() left runnext empty");
    rt::LockGuard l(s->lock);
    s->g = born;
    s->goid = born->goid;
    s->mark = born->history_n >= 1 ? born->history_n - 1 : 0;  // its dead -> runnable
  }
  return static_cast<int>(slots_.size()) - 1;
}

void GoroutineDriver::wait_for(int g, GoWhere w, const char* what) {
  Slot& s = *slots_.at(static_cast<std::size_t>(g));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    GoWhere now;
    if (w == GoWhere::idle || w == GoWhere::parked) {
      // Under the lock: the G releases it only once parked (goparkunlock),
      // so seeing idle/parked here also orders everything its park did
      // (status, dropg) before our later reads.
      rt::LockGuard l(s.lock);
      now = s.where.load(std::memory_order_relaxed);  // relaxed: under the lock
    } else {
      now = s.where.load(std::memory_order_acquire);  // acquire: see Slot::where
    }
    if (now == w) return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(std::string("GoroutineDriver: goroutine ") + std::to_string(g) +
                               " did not get " + go_where_name(w) + " after " + what + " (it is " +
                               go_where_name(now) + ")");
    gmpkit::sleep_for(20us);
  }
}

void GoroutineDriver::wait_idle(int g) { wait_for(g, GoWhere::idle, "spawn"); }

void GoroutineDriver::step(int g, GoStep st, core::WaitReason park_reason) {
  Slot& s = *slots_.at(static_cast<std::size_t>(g));
  if (st == GoStep::exit_syscall) {
    if (s.where.load(std::memory_order_acquire) != GoWhere::syscall)
      throw usage_error("GoroutineDriver: exit_syscall of a goroutine not in a syscall");
    s.mark = s.g->history_n;  // stable: the G's M wrote it before publishing `syscall`
    s.where.store(GoWhere::running, std::memory_order_relaxed);  // relaxed: only we read it now
    s.sys_release.store(1, std::memory_order_release);  // release: pairs with the waiter
    rt::futexwakeup(&s.sys_release, 1);
    wait_for(g, GoWhere::idle, go_step_name(st));
    return;
  }
  {
    rt::LockGuard l(s.lock);
    if (s.where.load(std::memory_order_relaxed) != GoWhere::idle)  // relaxed: under the lock
      throw usage_error("GoroutineDriver: step() of a goroutine that is not idle");
    s.cmd = st;
    s.reason = park_reason;
    s.mark = s.g->history_n;  // stable: the G is parked
    s.where.store(GoWhere::running, std::memory_order_relaxed);  // relaxed: under the lock
  }
  core::goready(s.g);
  switch (st) {
    case GoStep::park:
      wait_for(g, GoWhere::parked, go_step_name(st));
      return;
    case GoStep::enter_syscall:
      wait_for(g, GoWhere::syscall, go_step_name(st));
      return;
    case GoStep::exit:
    case GoStep::panic: {
      wait_for(g, GoWhere::done, go_step_name(st));
      // `done` is stored just before the body returns; the G is gone only
      // once goexit made it dead (a stop-the-world in between would find
      // it preempted, runnable). Nobody else creates Gs meanwhile, so the
      // G struct cannot have been reused yet.
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (s.g->status() != core::GStatus::dead) {
        if (std::chrono::steady_clock::now() > deadline)
          throw std::runtime_error("GoroutineDriver: goroutine " + std::to_string(g) +
                                   " did not exit");
        gmpkit::sleep_for(20us);
      }
      return;
    }
    default:
      wait_for(g, GoWhere::idle, go_step_name(st));
  }
}

void GoroutineDriver::ready(int g, bool wait) {
  Slot& s = *slots_.at(static_cast<std::size_t>(g));
  {
    rt::LockGuard l(s.lock);
    if (s.where.load(std::memory_order_relaxed) != GoWhere::parked)  // relaxed: under the lock
      throw usage_error("GoroutineDriver: ready() of a goroutine that is not parked");
    s.mark = s.g->history_n;
    s.where.store(GoWhere::running, std::memory_order_relaxed);  // relaxed: under the lock
  }
  core::goready(s.g);
  if (wait) wait_for(g, GoWhere::idle, "Ready");
}

GoWhere GoroutineDriver::where(int g) const {
  return slots_.at(static_cast<std::size_t>(g))->where.load(std::memory_order_acquire);
}
std::int64_t GoroutineDriver::goid(int g) const {
  return slots_.at(static_cast<std::size_t>(g))->goid;
}
std::int64_t GoroutineDriver::last_step_m(int g) const {
  return slots_.at(static_cast<std::size_t>(g))->last_m.load(std::memory_order_relaxed);
}
bool GoroutineDriver::unwound(int g) const {
  return slots_.at(static_cast<std::size_t>(g))->unwound.load(std::memory_order_acquire);
}
int GoroutineDriver::count() const { return static_cast<int>(slots_.size()); }

GoSnapshot GoroutineDriver::snapshot(int g) GMPKIT_NO_TSA {
  Slot& s = *slots_.at(static_cast<std::size_t>(g));
  core::Sched* sc = core::sched;
  // relaxed: only the G holding the stopped world stores itself there.
  const bool held = sc->stw_owner.load(rt::relaxed) == core::getg();
  if (!held) gmpkit::stop_the_world("GoroutineDriver::snapshot");
  GoSnapshot out;
  core::G* gp = s.g;
  const bool exited = s.where.load(std::memory_order_acquire) == GoWhere::done;
  if (gp != nullptr && !(exited && (gp->goid != s.goid || gp->status() == core::GStatus::dead))) {
    out.found = true;
    out.status = gp->status();
    out.wait_reason = gp->waitreason.load(rt::relaxed);  // relaxed: world stopped
    if (gp->m != nullptr) {
      out.m = gp->m->id;
      out.m_has_p = gp->m->p != nullptr;
    }
    if (gp->lockedm != nullptr) {
      out.locked_m = gp->lockedm->id;
      out.lock_pair_ok = gp->lockedm->lockedg == gp;
    }
    for (core::P* pp : sc->allp) {
      if (pp->runq.runnext_peek() == gp) {
        out.queue = GoSnapshot::Queue::runnext;
        out.queue_p = pp->id;
      }
      const std::uint32_t h = pp->runq.head(), t = pp->runq.tail();
      for (std::uint32_t i = h; i != t && t - h <= core::LocalRunQueue::kSize; i++)
        if (pp->runq.slot(i) == gp) {
          out.queue = GoSnapshot::Queue::local;
          out.queue_p = pp->id;
          out.queue_pos = static_cast<std::int32_t>(i - h);
        }
    }
    {
      rt::LockGuard l(sc->lock);
      core::GQueue rest;
      std::int32_t pos = 0;
      while (core::G* x = sc->runq.pop()) {
        if (x == gp) {
          out.queue = GoSnapshot::Queue::global;
          out.queue_pos = pos;
        }
        pos++;
        rest.push_back(x);
      }
      while (core::G* x = rest.pop()) sc->runq.put(x);
    }
    const std::uint32_t n = gp->history_n;
    std::uint32_t from = s.mark;
    if (n - from > core::G::kHistory) {
      out.history_overflow = true;
      from = n - core::G::kHistory;
    }
    for (std::uint32_t i = from; i != n; i++) {
      const core::GTransition& tr = gp->history[i % core::G::kHistory];
      out.transitions.push_back(GoTransition{tr.from, tr.to, tr.m});
    }
  }
  if (!held) gmpkit::start_the_world();
  return out;
}

}  // namespace gmpkit::testing
