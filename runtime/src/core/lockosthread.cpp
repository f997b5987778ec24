// core/lockosthread.cpp — locked G/M pairs (Go's LockOSThread,
// UnlockOSThread, stoplockedm, startlockedm, mexit).
//
// A locked pair: g.lockedm == m and m.lockedg == g (set and cleared only by
// the G itself, on its M). Invariants:
//   * a locked M runs nothing but its G: when the G stops running (park,
//     yield, preemption, syscall slow path), schedule_loop calls stoplockedm
//     instead of findrunnable: the M hands its P off (handoffp) and parks on
//     its note, counted in sched.nmidlelocked (so checkdead still works);
//   * the G is scheduled like any other (runq, global runq, netpoll...);
//     whichever M picks it up calls startlockedm: it hands its own P to the
//     locked M (m.nextp + wakeup) and stops itself (stopm);
//   * M.lockedwait is true exactly while the M is parked in stoplockedm (or
//     wedged in mexit), and is flipped under sched.lock by whoever wakes it
//     (startlockedm, begin_shutdown), so every wakeup happens once.
// A G that exits while locked takes its M down with it (mexit): the P is
// handed off and the thread returns from mstart. m0 — the thread inside
// run() — cannot exit; Go wedges it forever, we park it until shutdown.
#include "core/lockosthread.hpp"

#include <string>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "core/template_thread.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/os_thread.hpp"
#include "platform/diag_word.hpp"

namespace gmpkit::core {

namespace {

// Park mp until a wakeup with lockedwait cleared. False: woken for shutdown.
bool park_locked(M* mp) GMPKIT_NO_TSA {
  mp->blocked = true;
  mp->park.sleep();
  mp->park.clear();
  mp->blocked = false;
  // Under sched.lock, as startlockedm writes it: a wakeup for shutdown can
  // race with a startlockedm that still hands us a P (TSan saw it).
  rt::LockGuard g(sched->lock);
  return mp->nextp != nullptr;
}

}  // namespace

bool stoplockedm(M* mp) GMPKIT_NO_TSA {
  G* lg = mp->lockedg;
  if (lg == nullptr || lg->lockedm != mp) fatal("stoplockedm: inconsistent locking");
  if (mp->p != nullptr) handoffp(releasep(mp));  // someone else runs our P meanwhile
  bool dead = false, park = false;
  {
    rt::LockGuard g(sched->lock);
    if (sched->exiting.load(rt::relaxed)) return false;  // relaxed: set under this lock
    // startlockedm may have handed us a P already (our G was readied and
    // picked up before we got here): then do not park at all.
    if (mp->nextp == nullptr) {
      park = true;
      mp->lockedwait = true;
      sched->nmidlelocked++;
      dead = checkdead();
    }
  }
  if (dead) report_deadlock();
  if (park && !park_locked(mp)) {
    if (!sched->exiting.load(rt::acquire))
      fatal("stoplockedm: woken without a P");  // acquire: pairs with begin_shutdown
    return false;
  }
  if (lg->status() != GStatus::runnable) throw_g("stoplockedm: locked goroutine not runnable", lg);
  acquirep(mp, mp->nextp);
  mp->nextp = nullptr;
  return true;
}

bool startlockedm(M* mp, G* gp) GMPKIT_NO_TSA {
  M* lm = gp->lockedm;
  if (lm == mp) fatal("startlockedm: locked to me");
  P* pp = releasep(mp);
  {
    rt::LockGuard g(sched->lock);
    if (lm->nextp != nullptr) fatal("startlockedm: m has p");
    lm->nextp = pp;  // direct handoff of our P
    if (lm->lockedwait) {
      lm->lockedwait = false;
      sched->nmidlelocked--;  // Go's incidlelocked(-1): lm is about to run
      lm->park.wakeup();
    }  // else lm has not parked yet: stoplockedm will find nextp
  }
  return stopm(mp);
}

void mexit(M* mp) GMPKIT_NO_TSA {
  if (mp->p != nullptr) handoffp(releasep(mp));
  bool dead, wedge = false;
  {
    rt::LockGuard g(sched->lock);
    sched->nmfreed++;
    // m0 is wedged until shutdown wakes it — unless shutdown already began
    // (begin_shutdown wakes lockedwait Ms under this same lock).
    if (mp->is_m0 && !sched->exiting.load(rt::relaxed)) {  // relaxed: set under this lock
      mp->lockedwait = true;
      wedge = true;
    }
    dead = checkdead();
  }
  if (dead) report_deadlock();
  if (wedge && park_locked(mp)) fatal("mexit: locked m0 woke up with a P");
}

void wake_locked_ms_for_shutdown() GMPKIT_NO_TSA {
  // sched.lock held by the caller (begin_shutdown).
  for (M* mp = sched->allm.load(rt::acquire); mp;
       mp = mp->alllink) {  // acquire: pairs with allocm's publish
    if (mp->lockedwait) {
      mp->lockedwait = false;
      mp->nextp = nullptr;
      mp->park.wakeup();
    }
  }
}

}  // namespace gmpkit::core

namespace gmpkit {

using namespace core;

namespace {
G* require_g(const char* what) {
  M* mp = getm();
  G* gp = mp ? mp->curg : nullptr;
  if (gp == nullptr)
    throw usage_error(std::string("gmpkit: ") + what + " called outside a goroutine");
  return gp;
}
}  // namespace

void lock_os_thread() {
  G* gp = require_g("lock_os_thread()");
  M* mp = gp->m;
  if (mp->lockedExt + 1 == 0) throw usage_error("gmpkit: lock_os_thread() nesting overflow");
  // From now on this thread may be changed by the program; Ms are created
  // by the template thread, started here while this thread is still clean
  // (Go's LockOSThread → startTemplateThread).
  if (mp->lockedExt == 0) template_thread_start();
  mp->lockedExt++;
  mp->lockedg = gp;  // dolockOSThread
  rt::diag_store(gp->lockedm, mp);  // dumps read it from any thread
}

void unlock_os_thread() {
  G* gp = require_g("unlock_os_thread()");
  M* mp = gp->m;
  if (mp->lockedExt == 0) return;
  mp->lockedExt--;
  if (mp->lockedExt != 0) return;  // dounlockOSThread
  mp->lockedg = nullptr;
  rt::diag_store(gp->lockedm, nullptr);  // dumps read it from any thread
}

}  // namespace gmpkit
