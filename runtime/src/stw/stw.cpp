// stw/stw.cpp — stop-the-world and start-the-world (Go's stopTheWorld,
// stopTheWorldWithSema, startTheWorldWithSema, gcstopm, GOMAXPROCS).
//
// Stopping (the caller is a goroutine; its M keeps its P, in gcstop):
//   1. worldsema serialises callers (a second one parks on it).
//   2. Under sched.lock: stopwait = gomaxprocs, gcwaiting = true; preempt
//      every running P (cooperative flag + signal, preemptall); the caller's
//      own P goes to gcstop; Ps in a syscall are CASed syscall -> gcstop (a
//      syscall exit that loses that race takes the slow path); idle Ps are
//      taken off the idle list into gcstop. Each of those decrements stopwait.
//   3. The remaining running Ps stop themselves at their next scheduling
//      point: schedule/findrunnable see gcwaiting and call gcstopm (P to
//      gcstop, stopwait--, the last one wakes stopnote); so do entersyscall
//      and handoffp for Ps they would otherwise leave behind. The caller
//      sleeps on stopnote, re-preempting every 100 µs in case a request was
//      lost to a race (Go's loop).
//   Invariant while stopped: every live P is in gcstop, only the caller's P
//   is attached to an M, and no other G is running.
// Starting: poll the network once (ready Gs are injected onto the caller's
// P), procresize (applies a pending gomaxprocs change and returns the Ps
// that have work), clear gcwaiting, hand each P with work to an idle M or a
// new one, and wakep() for the rest.
//
// time-to-stop (decision -> all stopped) and the pause (decision -> world
// restarted) go into observe/'s histograms (record_stw_stopping /
// record_stw_total; gmpkit::metrics()).
#include "stw/stw.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/runtime.hpp"
#include "gmpkit/stw.hpp"
#include "netpoll/netpoll.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "stw/procresize.hpp"
#include "sync/sema.hpp"
#include "sysmon/preempt.hpp"

namespace gmpkit::stw {

using namespace core;

namespace {

// While stopTheWorld waits: every P already in _Pgcstop but stopwait still
// above zero means a P was stopped outside this stop's count, and nothing
// will ever wake us. Abort with the state instead of hanging.
void check_stop_progress() GMPKIT_NO_TSA {
  rt::LockGuard g(sched->lock);
  if (sched->stopwait <= 0) return;
  for (P* pp : sched->allp)
    if (pp->pstatus() != PStatus::gcstop) return;
  std::string msg = "stopTheWorld: every P is stopped but stopwait=" +
                    std::to_string(sched->stopwait) +
                    " (a P was stopped outside this stop's count; the stop would never end)";
  fatal(msg.c_str());
}

void stop_the_world_with_sema(M* mp) GMPKIT_NO_TSA {
  {
    rt::LockGuard g(sched->lock);
    sched->stopwait =
        sched->gomaxprocs.load(rt::relaxed);  // relaxed: changes only under STW, which we hold
    sched->gcwaiting.store(
        true, rt::seq_cst);  // seq_cst: Ps that see it stop; the stopwait count is under the lock
    sysmon::preemptall();
    // Our own P.
    mp->p->set_status(PStatus::gcstop);
    sched->stopwait--;
    // Ps in syscalls: whoever wins the CAS owns the P (exitsyscallfast competes).
    for (P* pp : sched->allp) {
      // acq_rel: winning the CAS is acquiring the P, as in exitsyscallfast.
      if (!GMPKIT_PLANTED_BUG(stw_skips_syscall_ps) &&
          pp->status.cas(static_cast<std::uint32_t>(PStatus::syscall),
                         static_cast<std::uint32_t>(PStatus::gcstop), rt::acq_rel)) {
        pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1,
                              rt::relaxed);  // relaxed: sysmon's sample
        sched->stopwait--;
      }
    }
    // Idle Ps.
    while (P* pp = pidleget()) {
      pp->set_status(PStatus::gcstop);
      sched->stopwait--;
    }
    if (sched->stopwait == 0) return;
  }
  // The rest stop at their next scheduling point.
  for (;;) {
    if (sched->stopnote.tsleep(kRepreemptNs)) {
      sched->stopnote.clear();
      break;
    }
    if (sched->exiting.load(rt::acquire))
      return;  // acquire: pairs with begin_shutdown; Ms leave without stopping
    check_stop_progress();
    sysmon::preemptall();
  }
  // Every P must be stopped now.
  rt::LockGuard g(sched->lock);
  bool bad = sched->stopwait != 0;
  for (P* pp : sched->allp) bad |= pp->pstatus() != PStatus::gcstop;
  if (bad && !sched->exiting.load(rt::relaxed)) {  // relaxed: under sched.lock
    std::string msg =
        "stopTheWorld: not stopped (stopwait=" + std::to_string(sched->stopwait) + "):";
    for (P* pp : sched->allp)
      msg += " p" + std::to_string(pp->id) + "=" + pstatus_name(pp->pstatus());
    fatal(msg.c_str());
  }
}

void start_the_world_with_sema(M* mp) GMPKIT_NO_TSA {
  mp->locks++;  // acquirem: our P is in a local variable of procresize's caller
  if (netpoll::netpollinited()) {
    GQueue list = netpoll::netpoll(0);  // non-blocking
    injectglist(&list);  // onto our P: the others are stopped
  }
  P* runnable;
  {
    rt::LockGuard g(sched->lock);
    if (sched->exiting.load(rt::relaxed)) {  // relaxed: set under this lock
      // The stop may have given up (stop_the_world_with_sema returns once
      // the runtime exits: exiting Ms never stop), so other Ms may still
      // hold Ps, or be about to take one from their nextp. procresize would
      // destroy or re-hand those Ps: a new M's mstart then found its P dead,
      // or running on another M (fuzz_ops_threads: a goroutine threw during
      // gomaxprocs(n)). Shutdown resets every P; leave them to it.
      sched->newprocs = 0;
      mp->p->set_status(PStatus::running);  // ours, set to gcstop by the stop
      sched->gcwaiting.store(false, rt::seq_cst);  // seq_cst: as below
      mp->locks--;
      return;
    }
    std::int32_t procs = sched->gomaxprocs.load(rt::relaxed);  // relaxed: we are the only writer
    if (sched->newprocs != 0) {
      procs = sched->newprocs;
      sched->newprocs = 0;
    }
    runnable = procresize(procs);
    sched->gcwaiting.store(false,
                           rt::seq_cst);  // seq_cst: read lock-free by findrunnable/entersyscall
  }
  while (P* pp = runnable) {
    runnable = pp->link;
    pp->link = nullptr;
    if (M* nmp = pp->m) {
      pp->m = nullptr;
      if (nmp->nextp != nullptr) fatal("startTheWorld: inconsistent mp->nextp");
      nmp->nextp = pp;
      nmp->park.wakeup();
    } else {
      newm(pp, false);
    }
  }
  // Global work while Ps are idle: a G that left a system call during the
  // stop found no idle P (every P was stopped) and went to the global queue
  // (exitsyscall0), and procresize has just put Ps idle without looking
  // there. Go's wakep below defers to a spinning M, but that M may have
  // checked the global queue (under sched.lock, before the stop) and be
  // about to park: the G then waited for a busy P's next schedule (up to a
  // time slice) with a P idle. Found by the simulator's quiescence check in
  // fuzz/sim program stw_retake. Start an M for each such G instead, as
  // injectglist does for a batch; startm re-checks for an idle P under the
  // lock.
  for (std::int32_t n = sched->runq.size();  // relaxed hint (GlobalRunQueue::size)
       n > 0 && sched->npidle.load(rt::seq_cst) > 0; n--)  // seq_cst: as in wakep
    startm(nullptr, false);
  // More Ps may be idle with local work (from destroyed Ps) or timers.
  wakep();
  mp->locks--;
}

G* require_g(const char* what) {
  M* mp = getm();
  G* gp = mp ? mp->curg : nullptr;
  if (gp == nullptr)
    throw usage_error(std::string("gmpkit: ") + what + " called outside a goroutine");
  return gp;
}

}  // namespace

// Go's gcstopm. Our P goes to gcstop; park until startTheWorld gives us a P.
bool gcstopm(M* mp) GMPKIT_NO_TSA {
  if (!sched->gcwaiting.load(rt::relaxed))
    fatal("gcstopm: not waiting for gc");  // relaxed: we just saw it set
  if (mp->spinning) {
    mp->spinning = false;
    // OK to just drop nmspinning: startTheWorld unparks Ms as needed.
    if (sched->nmspinning.fetch_sub(1, rt::seq_cst) - 1 < 0)
      fatal("gcstopm: negative nmspinning");  // seq_cst: dance
  }
  P* pp = releasep(mp);
  {
    rt::LockGuard g(sched->lock);
    pp->set_status(PStatus::gcstop);
    if (--sched->stopwait == 0) sched->stopnote.wakeup();
  }
  return stopm(mp);
}

// Called with sched.lock held by handoffp and entersyscall when the world is
// stopping: pp (no M) goes straight to gcstop.
void stw_stop_p_locked(P* pp) GMPKIT_NO_TSA {
  pp->set_status(PStatus::gcstop);
  if (--sched->stopwait == 0) sched->stopnote.wakeup();
}

}  // namespace gmpkit::stw

namespace gmpkit {

using namespace core;
using stw::require_g;
using stw::start_the_world_with_sema;
using stw::stop_the_world_with_sema;

void stop_the_world(const char* reason) {
  G* gp = require_g("stop_the_world()");
  if (sched->stw_owner.load(rt::relaxed) == gp)  // relaxed: only gp itself stores gp there
    throw usage_error(
        "gmpkit: stop_the_world() called by the goroutine that already stopped the world");
  // A second caller waits here with the reason its stop is for: Go's
  // "GOMAXPROCS" for gomaxprocs(n), "stopping the world" otherwise.
  const bool for_gomaxprocs = reason != nullptr && std::strcmp(reason, "GOMAXPROCS") == 0;
  sync::semacquire(&sched->worldsema,
                   for_gomaxprocs ? WaitReason::gomaxprocs : WaitReason::stopping_the_world);
  M* mp = getm();  // after the semaphore: we may be on another M now
  const std::int64_t t0 = rt::nanotime();
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceSTWBegin(reason);  // the decision
  // Go marks the caller _Gwaiting while it waits; our transition table has
  // no waiting -> running edge, so the caller stays `running` (it is, on
  // its M) with preemption off.
  mp->locks++;
  stop_the_world_with_sema(mp);
  mp->locks--;
  const std::int64_t t1 = rt::nanotime();
  observe::record_stw_stopping(t1 - t0);
  sched->stw_begin = t0;
  sched->stw_owner.store(gp, rt::relaxed);  // relaxed: read back by gp, or compared with other Gs
  (void)reason;
}

void start_the_world() {
  G* gp = require_g("start_the_world()");
  if (sched->stw_owner.load(rt::relaxed) != gp)  // relaxed: as above
    throw usage_error(
        "gmpkit: start_the_world() called by a goroutine that did not stop the world");
  M* mp = getm();
  sched->stw_owner.store(nullptr, rt::relaxed);  // relaxed: as above
  start_the_world_with_sema(mp);
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceSTWEnd();  // the world runs again
  observe::record_stw_total(rt::nanotime() - sched->stw_begin);
  sched->nstw.fetch_add(1, rt::relaxed);  // relaxed: statistics
  sync::semrelease(&sched->worldsema, false);
}

int gomaxprocs(int n) {
  if (sched == nullptr) throw usage_error("gmpkit: gomaxprocs() called with no runtime running");
  const int ret = sched->gomaxprocs.load(rt::relaxed);  // relaxed: a snapshot
  if (n <= 0 || n == ret) return ret;
  if (n > AllP::kMax)
    throw usage_error("gmpkit: gomaxprocs(" + std::to_string(n) + "): at most 1024 Ps");
  stop_the_world("GOMAXPROCS");
  const int prev = sched->gomaxprocs.load(rt::relaxed);  // relaxed: stable while stopped
  sched->newprocs = n;
  start_the_world();
  return prev;
}

}  // namespace gmpkit
