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
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/syscall.hpp"
#include "observe/hooks.hpp"
#include "platform/placement.hpp"
#include "stw/stw.hpp"

namespace gmpkit::sysmon {

using namespace core;

namespace {

[[noreturn, gnu::cold, gnu::noinline]] void outside_goroutine(bool block) {
  throw usage_error(block ? "gmpkit: syscall_block() called outside a goroutine"
                          : "gmpkit: syscall() called outside a goroutine");
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_forced_unwind() { throw forced_unwind{}; }

// Go's entersyscall_gcwait: stopTheWorld began while pp was being put in
// _Psyscall; stop it for the world unless sysmon or the STW took it first.
// Only while a stop is still in progress (Go: sched.stopwait > 0): by the
// time we hold sched.lock that STW may have taken pp itself, finished and
// restarted the world, and pp may be in a syscall of *another* M — stopping
// it then left a _Pgcstop P that no STW counts, and the next STW waited for
// it forever (stw_bench StopStartTheWorld hog:3, 1 run in ~3).
[[gnu::cold, gnu::noinline]] void entersyscall_gcwait(P* pp) GMPKIT_NO_TSA {
  rt::LockGuard g(sched->lock);
  // acq_rel: the CAS competes with stopTheWorld's and sysmon's for the P.
  if ((sched->stopwait > 0 || GMPKIT_PLANTED_BUG(entersyscall_gcwait_no_stopwait_check)) &&
      pp->status.cas(static_cast<std::uint32_t>(PStatus::syscall),
                     static_cast<std::uint32_t>(PStatus::gcstop), rt::acq_rel)) {
    pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1,
                          rt::relaxed);  // relaxed: sysmon's sample (as stopTheWorld's CAS)
    stw::stw_stop_p_locked(pp);
  }
}

// wirep after this M won oldp back (CAS _Psyscall -> _Pidle): the P has no
// M and this M no P by construction, which acquirep re-checks in checked
// builds.
inline void wirep_reacquired(M* mp, P* pp) {
#if GMPKIT_CHECKED
  acquirep(mp, pp);
#else
  mp->p = pp;
  pp->m = mp;
  pp->set_status(PStatus::running);
  rt::placement_acquired(pp->id);  // as acquirep: Config::placement binds this thread
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceProcStart(mp, pp);
#endif
}

// Second half of Go's exitsyscallfast: oldp is gone, try any idle P.
[[gnu::noinline]] bool exitsyscallfast_pidle(M* mp) GMPKIT_NO_TSA {
  if (sched->npidle.load(rt::relaxed) <= 0) return false;  // relaxed: a hint, pidleget decides
  P* pp;
  {
    rt::LockGuard g(sched->lock);
    pp = pidleget();
  }
  if (pp == nullptr) return false;
  acquirep(mp, pp);
  return true;
}

// Go's exitsyscallfast. True if this M has a P again.
inline bool exitsyscallfast(M* mp, P* oldp) {
  if (GMPKIT_UNLIKELY(sched->exiting.load(rt::relaxed)))
    return false;  // relaxed: the slow path re-checks under the lock
  // acquire: winning the CAS is acquiring the P (see the writes of whoever
  // owned it last); nothing of ours needs publishing with it. Losing
  // means sysmon or the STW took it.
  if (oldp != nullptr &&
      (GMPKIT_PLANTED_BUG(exitsyscall_fast_no_cas)
           ? (oldp->pstatus() == PStatus::syscall && (oldp->set_status(PStatus::idle), true))
           : oldp->status.cas(static_cast<std::uint32_t>(PStatus::syscall),
                              static_cast<std::uint32_t>(PStatus::idle), rt::acquire))) {
    wirep_reacquired(mp, oldp);
    return true;
  }
  return exitsyscallfast_pidle(mp);
}

// Go's exitsyscall0, on g0: no P could be had.
G* exitsyscall0(M* mp, G* gp) GMPKIT_NO_TSA {
  // From the status change until the global runq holds gp (or an idle P
  // lets us run it), gp is runnable on no queue: mp->readying accounts it
  // to this M (M::readying; the invariant checker reads it).
  gp->schedlink = nullptr;  // a chain of one
  mp->readying.store(gp, rt::release);  // release: before the CAS that makes gp runnable
  casgstatus(gp, GStatus::syscall, GStatus::runnable);
  dropg(mp);
  P* pp = nullptr;
  {
    rt::LockGuard g(sched->lock);
    if (!sched->exiting.load(rt::relaxed)) pp = pidleget();  // relaxed: under sched.lock
    if (pp == nullptr) sched->runq.put(gp);
    mp->readying.store(nullptr, rt::relaxed);  // relaxed: under sched.lock, as the checker reads
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

// exitsyscall without a P: park on g0 until exitsyscall0 or a scheduler
// hands the G a P again.
[[gnu::noinline]] void exitsyscall_slow(M* mp) {
  mp->locks--;
  sched->nsyscallslow.fetch_add(1, rt::relaxed);  // relaxed: statistics
  mcall(exitsyscall0);  // resumes on some M with a P (or throws forced_unwind at shutdown)
  P* pp = getm()->p;  // maybe another M than mp now
  pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1, rt::relaxed);  // relaxed: as above
}

// The bodies below have internal linkage so that detail::entersyscall /
// detail::exitsyscall (the fast path's only callers) inline them: the
// library is PIC, and GCC does not inline interposable global functions.
inline void entersyscall_impl(M* mp) {
  G* gp = mp ? mp->curg : nullptr;
  if (GMPKIT_UNLIKELY(gp == nullptr)) outside_goroutine(false);
  // Resumed in place at shutdown: a syscall is a scheduling point (and
  // exitsyscall could not get a P back from an exiting runtime).
  if (GMPKIT_UNLIKELY(gp->exit_resume)) unwind_exit_resumed(gp);
  P* pp = mp->p;
  p_count(pp->nsyscall);  // we own pp until the status store below
  if (GMPKIT_UNLIKELY(stw::holds_stopped_world(mp))) {
    mp->stw_syscalls++;  // the world is stopped: nothing to hand off, run it inline
    return;
  }
  mp->locks++;
  casgstatus(gp, GStatus::running, GStatus::syscall);
  mp->syscalltick = pp->syscalltick.load(rt::relaxed);  // relaxed: our own P's counter
  pp->m = nullptr;
  mp->oldp = pp;
  mp->p = nullptr;
  // seq_cst: either stopTheWorld (store gcwaiting, then scan for syscall
  // Ps) sees this status, or we see gcwaiting below (Go's entersyscall_gcwait).
  pp->status.store(static_cast<std::uint32_t>(PStatus::syscall), rt::seq_cst);
  if (GMPKIT_UNLIKELY(sched->gcwaiting.load(rt::seq_cst)))  // seq_cst: as above
    entersyscall_gcwait(pp);
  mp->locks--;
}

[[gnu::noinline]] void entersyscallblock_impl(M* mp) {
  G* gp = mp ? mp->curg : nullptr;
  if (gp == nullptr) outside_goroutine(true);
  if (gp->exit_resume) unwind_exit_resumed(gp);  // as in entersyscall
  p_count(mp->p->nsyscall);  // we own the P until releasep
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

inline void exitsyscall_impl(M* mp) {
  if (GMPKIT_UNLIKELY(mp->stw_syscalls > 0)) {
    mp->stw_syscalls--;
    return;
  }
  G* gp = mp->curg;
  mp->locks++;
  gp->waitsince.store(0, rt::relaxed);  // relaxed: diagnostics (g.hpp)
  P* oldp = mp->oldp;
  mp->oldp = nullptr;
  if (GMPKIT_UNLIKELY(!exitsyscallfast(mp, oldp))) return exitsyscall_slow(mp);
  P* pp = mp->p;
  pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1,
                        rt::relaxed);  // relaxed: sysmon reads a sample
  casgstatus(gp, GStatus::syscall, GStatus::running);
  mp->locks--;
  if (GMPKIT_UNLIKELY(gp->unwinding)) throw_forced_unwind();
}

}  // namespace

void entersyscall(M* mp) { entersyscall_impl(mp); }
void entersyscallblock(M* mp) { entersyscallblock_impl(mp); }
void exitsyscall(M* mp) { exitsyscall_impl(mp); }

}  // namespace gmpkit::sysmon

namespace gmpkit::detail {
void* entersyscall(bool block) {
  core::M* mp = core::getm();
  if (GMPKIT_UNLIKELY(block))
    sysmon::entersyscallblock_impl(mp);
  else
    sysmon::entersyscall_impl(mp);
  return mp;
}
void exitsyscall(void* m) { sysmon::exitsyscall_impl(static_cast<core::M*>(m)); }
}  // namespace gmpkit::detail
