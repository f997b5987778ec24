// core/park.cpp — the only places a stack changes (docs/ARCHITECTURE.md §2 seam 3):
// gogo (g0 -> G) and mcall (G -> g0), with the sanitizer fiber annotations;
// and on top of them gopark/goready, gosched and cooperative preemption.
//
// Protocol. A G never switches to another G directly. It mcall()s: saves
// its registers, switches to its M's g0 and has g0 run a handler (park_m,
// gosched_m, goexit0, ...) on the scheduler stack, where the G's status can
// change safely because no code runs on the G's stack any more. The
// handler returns the next G to run or nullptr (schedule). A resumed G
// re-reads its M: it may be on another thread now.
#include "core/park.hpp"

#include <cstdio>

#include "core/m.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "stw/stw.hpp"

#if GMPKIT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if GMPKIT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace gmpkit::core {

void dropg(M* mp) {
  if (mp->curg) mp->curg->m = nullptr;
  mp->curg = nullptr;
}

namespace {

void check_stack(G* gp) {
  // The canary tier's overflow check (guarded stacks fault instead).
  char here;
  if (&here < gp->stack.lo + StackPool::kCanaryBytes || !StackPool::canary_intact(gp->stack)) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "gmpkit: goroutine %lld stack overflow (stack size %zu)\n",
                  static_cast<long long>(gp->goid), gp->stack.size());
    fatal(msg);
  }
}

G* park_m(M* mp, G* gp) {
  casgstatus(gp, GStatus::running, GStatus::waiting);
  gp->waitsince.store(rt::nanotime(), rt::relaxed);  // relaxed: diagnostics (g.hpp)
  dropg(mp);
  if (auto fn = mp->waitunlockf) {
    bool ok = fn(gp, mp->waitlock);
    mp->waitunlockf = nullptr;
    mp->waitlock = nullptr;
    if (!ok) {
      casgstatus(gp, GStatus::waiting, GStatus::runnable);
      return gp;  // run it again right away, in the same time slice
    }
  }
  return nullptr;
}

G* gosched_m(M* mp, G* gp) GMPKIT_NO_TSA {
  casgstatus(gp, GStatus::running, GStatus::runnable);
  dropg(mp);
  rt::LockGuard g(sched->lock);
  sched->runq.put(gp);
  return nullptr;
}

// Go's gopreempt_m: a preempted G goes to the global runq, like Gosched.
G* gopreempt_m(M* mp, G* gp) {
  sched->npreempted.fetch_add(1, rt::relaxed);  // relaxed: statistics
  if (GMPKIT_UNLIKELY(observe::trace_enabled()))
    observe::traceNotePreempt(observe::TraceStopReason::preempt_coop);
  return gosched_m(mp, gp);
}

bool unlock_mutex(G*, void* lock) GMPKIT_NO_TSA {
  static_cast<rt::Mutex*>(lock)->unlock();
  return true;
}

}  // namespace

void gogo(M* mp, G* gp) {
#if GMPKIT_ASAN
  __sanitizer_start_switch_fiber(&mp->g0.asan_fake_stack, gp->stack.lo, gp->stack.size());
#endif
#if GMPKIT_TSAN
  __tsan_switch_to_fiber(gp->tsan_fiber, 0);
#endif
  gmpkit_ctx_switch(&mp->g0.sched, &gp->sched);
#if GMPKIT_ASAN
  __sanitizer_finish_switch_fiber(mp->g0.asan_fake_stack, nullptr, nullptr);
#endif
}

// The switch G -> g0 (exiting: the G will never run on this stack frame
// again, so ASan may drop its fake stack).
GMPKIT_NO_TSAN_FRAME static void switch_to_g0(M* mp, G* gp, bool exiting) {
#if GMPKIT_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &gp->asan_fake_stack, mp->g0_stack_lo,
                                 mp->g0_stack_size);
#else
  (void)exiting;
#endif
#if GMPKIT_TSAN
  __tsan_switch_to_fiber(mp->g0.tsan_fiber, 0);
#endif
  gmpkit_ctx_switch(&gp->sched, &mp->g0.sched);
#if GMPKIT_ASAN
  __sanitizer_finish_switch_fiber(gp->asan_fake_stack, nullptr, nullptr);
#endif
}

void mcall(G* (*fn)(M*, G*)) {
  M* mp = getm();
  G* gp = mp->curg;
  check_stack(gp);
  mp->mcall_fn = fn;
  switch_to_g0(mp, gp, false);
  // Resumed, possibly on another M. mp is stale from here on.
  if (gp->unwinding) throw forced_unwind{};
}

// The last switch of a G's life (goexit1 -> goexit0).
[[noreturn]] GMPKIT_NO_TSAN_FRAME void mcall_exit(G* (*fn)(M*, G*)) {
  M* mp = getm();
  G* gp = mp->curg;
  check_stack(gp);
  mp->mcall_fn = fn;
  switch_to_g0(mp, gp, true);
  fatal("goexit: dead goroutine resumed");
}

[[noreturn]] static void park_while_unwinding(G* gp) {
  throw_g(
      "a goroutine blocked (or swallowed gmpkit::forced_unwind) while being unwound at shutdown; "
      "catch (...) blocks inside goroutines must rethrow, and destructors must not block",
      gp);
}

void unwind_exit_resumed(G* gp) {
  gp->exit_resume = false;
  gp->unwinding = true;
  throw forced_unwind{};
}

namespace {
inline void unwind_if_exit_resumed(G* gp) {
  if (GMPKIT_UNLIKELY(gp->exit_resume)) unwind_exit_resumed(gp);
}
}  // namespace

void gopark(bool (*unlockf)(G*, void*), void* lock, WaitReason reason) {
  M* mp = getm();
  G* gp = mp->curg;
  if (gp == nullptr) fatal("gopark: not on a goroutine");
  if (GMPKIT_UNLIKELY(gp->exit_resume)) {
    // Release what park_m would release after the switch: the caller's
    // unwind handler re-takes the lock to undo its enqueue, exactly as for
    // a G that parked and was then unwound by shutdown.
    if (unlockf) (void)unlockf(gp, lock);
    unwind_exit_resumed(gp);
  }
  if (gp->unwinding) park_while_unwinding(gp);
  if (stw::holds_stopped_world(mp)) {
    // Every other P is stopped: nothing could ever wake us. Go would hang.
    char msg[200];
    std::snprintf(msg, sizeof msg,
                  "gmpkit: goroutine %lld would block (%s) while it has the world stopped; "
                  "call start_the_world() first",
                  static_cast<long long>(gp->goid), wait_reason_string(reason));
    throw_g(msg, gp);
  }
  mp->waitlock = lock;
  mp->waitunlockf = unlockf;
  gp->waitreason.store(reason, rt::relaxed);  // relaxed: diagnostics (g.hpp)
  mcall(park_m);
}

// NO_TSA: *lock is released on g0 by unlock_mutex, after the switch.
void goparkunlock(rt::Mutex* lock, WaitReason reason) GMPKIT_NO_TSA {
  gopark(unlock_mutex, lock, reason);
}

void goready(G* gp) GMPKIT_NO_TSA {
  M* mp = getm();
  if (mp != nullptr && mp->p != nullptr) {
    casgstatus(gp, GStatus::waiting, GStatus::runnable);
    mp->locks++;  // acquirem: no preemption between reading mp->p and runqput
    runqput(mp->p, gp, true);
    mp->locks--;
  } else {
    // Readied from a thread that is not running Go code (a foreign thread,
    // or an M without a P): the global queue. The status changes under
    // sched.lock, so no stopped world sees gp runnable and on no queue
    // (there may be no M to account it to, as exitsyscall0 does).
    rt::LockGuard g(sched->lock);
    casgstatus(gp, GStatus::waiting, GStatus::runnable);
    sched->runq.put(gp);
  }
  if (!GMPKIT_PLANTED_BUG(ready_no_wakep)) wakep();
}

void gosched() {
  M* mp = getm();
  G* gp = mp->curg;
  if (gp->unwinding) return;  // shutdown: nothing else will run
  unwind_if_exit_resumed(gp);
  if (stw::holds_stopped_world(mp)) return;  // the world is stopped: nothing else may run
  mcall(gosched_m);
}

void gopreempt() {
  M* mp = getm();
  G* gp = mp->curg;
  if (gp->unwinding) return;
  unwind_if_exit_resumed(gp);
  if (stw::holds_stopped_world(mp)) return;  // Go: preemptoff while the world is stopped
  mcall(gopreempt_m);
}

}  // namespace gmpkit::core
