// sysmon/syscall.cpp — system calls (Go's entersyscall, entersyscallblock,
// exitsyscall, exitsyscallfast, exitsyscall0).
//
// entersyscall: the G goes running -> syscall; its P goes to _Psyscall and
// is detached from the M (pp->m = nullptr, m->oldp = pp). Nobody owns the P
// now: the M may take it back with a CAS _Psyscall -> _Pidle on exit (the
// fast path), or sysmon's retake may win that CAS first and hand the P to
// another M (handoffp). Whoever wins the CAS owns the P.
// entersyscallblock: hands the P off at once.
// exitsyscall: fast path (old P by CAS, else any idle P) keeps running on
// this M; otherwise mcall(exitsyscall0): G -> runnable, onto an idle P if
// one appeared, else the global runq, and this M parks (stopm).
#include "sysmon/syscall.hpp"

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/syscall.hpp"
#include "stw/stw.hpp"

namespace gmpkit::sysmon {

using namespace core;

namespace {

// Go's exitsyscallfast. True if this M has a P again.
bool exitsyscallfast(M* mp, P* oldp) GMPKIT_NO_TSA {
  if (sched->exiting.load(rt::relaxed))
    return false;  // relaxed: the slow path re-checks under the lock
  // acq_rel: winning the CAS is acquiring the P (see its owner's writes);
  // losing means sysmon took it.
  if (oldp != nullptr && oldp->status.cas(static_cast<std::uint32_t>(PStatus::syscall),
                                          static_cast<std::uint32_t>(PStatus::idle), rt::acq_rel)) {
    acquirep(mp, oldp);  // wirep
    return true;
  }
  if (sched->npidle.load(rt::relaxed) > 0) {  // relaxed: a hint, pidleget decides under the lock
    P* pp;
    {
      rt::LockGuard g(sched->lock);
      pp = pidleget();
    }
    if (pp) {
      acquirep(mp, pp);
      return true;
    }
  }
  return false;
}

// Go's exitsyscall0, on g0: no P could be had.
G* exitsyscall0(M* mp, G* gp) GMPKIT_NO_TSA {
  casgstatus(gp, GStatus::syscall, GStatus::runnable);
  dropg(mp);
  P* pp = nullptr;
  {
    rt::LockGuard g(sched->lock);
    if (!sched->exiting.load(rt::relaxed)) pp = pidleget();  // relaxed: under sched.lock
    if (pp == nullptr) sched->runq.put(gp);
  }
  if (pp) {
    acquirep(mp, pp);
    pp->schedtick.store(pp->schedtick.load(rt::relaxed) + 1,
                        rt::relaxed);  // relaxed: a new slice (execute(gp, false))
    return gp;
  }
  // A locked M waits for its G (now on the global runq) in stoplockedm,
  // which schedule_loop runs when we return nothing.
  if (mp->lockedg != nullptr) return nullptr;
  stopm(mp);  // false (exiting): schedule_loop sees no P and returns
  return nullptr;
}

}  // namespace

void entersyscall() {
  M* mp = getm();
  G* gp = mp ? mp->curg : nullptr;
  if (gp == nullptr) throw usage_error("gmpkit: syscall() called outside a goroutine");
  if (stw::holds_stopped_world(mp)) {
    mp->stw_syscalls++;  // the world is stopped: nothing to hand off, run it inline
    return;
  }
  mp->locks++;
  casgstatus(gp, GStatus::running, GStatus::syscall);
  P* pp = mp->p;
  mp->syscalltick = pp->syscalltick.load(rt::relaxed);  // relaxed: our own P's counter
  pp->m = nullptr;
  mp->oldp = pp;
  mp->p = nullptr;
  // seq_cst: either stopTheWorld (store gcwaiting, then scan for syscall
  // Ps) sees this status, or we see gcwaiting below (Go's entersyscall_gcwait).
  pp->status.store(static_cast<std::uint32_t>(PStatus::syscall), rt::seq_cst);
  if (sched->gcwaiting.load(rt::seq_cst)) {  // seq_cst: as above
    rt::LockGuard g(sched->lock);
    // acq_rel: the CAS competes with stopTheWorld's and sysmon's for the P.
    if (pp->status.cas(static_cast<std::uint32_t>(PStatus::syscall),
                       static_cast<std::uint32_t>(PStatus::gcstop), rt::acq_rel))
      stw::stw_stop_p_locked(pp);
  }
  mp->locks--;
}

void entersyscallblock() {
  M* mp = getm();
  G* gp = mp ? mp->curg : nullptr;
  if (gp == nullptr) throw usage_error("gmpkit: syscall_block() called outside a goroutine");
  if (stw::holds_stopped_world(mp)) {
    mp->stw_syscalls++;  // as in entersyscall
    return;
  }
  mp->locks++;
  casgstatus(gp, GStatus::running, GStatus::syscall);
  P* pp = releasep(mp);
  pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1,
                        rt::relaxed);  // relaxed: statistics for sysmon
  mp->oldp = nullptr;
  handoffp(pp);
  mp->locks--;
}

void exitsyscall() {
  M* mp = getm();
  G* gp = mp->curg;
  if (mp->stw_syscalls > 0) {
    mp->stw_syscalls--;
    return;
  }
  mp->locks++;
  gp->waitsince.store(0, rt::relaxed);  // relaxed: diagnostics (g.hpp)
  P* oldp = mp->oldp;
  mp->oldp = nullptr;
  if (exitsyscallfast(mp, oldp)) {
    P* pp = mp->p;
    pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1,
                          rt::relaxed);  // relaxed: sysmon reads a sample
    casgstatus(gp, GStatus::syscall, GStatus::running);
    mp->locks--;
    if (gp->unwinding) throw forced_unwind{};
    return;
  }
  mp->locks--;
  sched->nsyscallslow.fetch_add(1, rt::relaxed);  // relaxed: statistics
  mcall(exitsyscall0);  // resumes on some M with a P (or throws forced_unwind at shutdown)
  P* pp = getm()->p;
  pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1, rt::relaxed);  // relaxed: as above
}

}  // namespace gmpkit::sysmon

namespace gmpkit::detail {
void entersyscall(bool block) {
  if (block)
    sysmon::entersyscallblock();
  else
    sysmon::entersyscall();
  core::sched->nsyscalls.fetch_add(1, rt::relaxed);  // relaxed: statistics
}
void exitsyscall() { sysmon::exitsyscall(); }
}  // namespace gmpkit::detail
