// sysmon/sysmon.cpp — the system monitor (Go's sysmon): a dedicated M
// without a P that watches the scheduler.
//
// Each round (sleep 20 µs, doubling after 50 idle rounds up to 10 ms) it:
//   * retake: for every running P whose schedtick has not moved for
//     Config::time_slice, ask its G to yield (Go's preemptone, cooperative
//     part: the request is honoured at preempt_point() and runtime calls);
//   * during shutdown, reports every second which goroutines keep their M
//     from stopping, so a hung run() always has a diagnosis.
//   * retake: a P whose M has been in a syscall for more than one tick is
//     taken (CAS _Psyscall -> _Pidle) and handed to another M (handoffp)
//     if there is other work, or after 10 ms regardless.
//   * netpoll (non-blocking) if nobody has polled for 10 ms.
// While every P is idle it parks (Go's sysmonwait, sysmon_park below) until
// the earliest timer or until pidleget hands a P out again.
// Requests go through preemptone (sysmon/preempt.cpp): cooperative flag plus
// the preemption signal (async preemption of call-free loops), also during
// shutdown so such loops do not keep run() from returning.
#include "sysmon/sysmon.hpp"

#include <cinttypes>
#include <cstdio>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "netpoll/netpoll.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "platform/signal.hpp"
#include "sysmon/preempt.hpp"

namespace gmpkit::sysmon {

using namespace core;

namespace {
rt::Atomic<bool> g_sysmon_stop{false};

void report_stragglers(std::int64_t now) GMPKIT_NO_TSA {
  char buf[256];
  rt::LockGuard g(sched->allglock);
  for (G* gp : sched->allgs) {
    GStatus st = gp->status();
    if (st != GStatus::running && st != GStatus::syscall) continue;
    int n = std::snprintf(buf, sizeof buf,
                          "gmpkit: run() has waited %.1fs for goroutine %" PRId64
                          " to reach a scheduling point (%s)\n",
                          static_cast<double>(now - sched->exiting_since) / 1e9, gp->goid,
                          st == GStatus::syscall
                              ? "it is in a blocking gmpkit::syscall"
                              : "it runs without calling preempt_point() or any runtime function");
    rt::write_stderr(buf, static_cast<std::size_t>(n));
  }
}

// Go's incidlelocked, used around a retake so that the M we take the P
// from cannot exit its syscall, go idle and report a false deadlock.
void incidlelocked(std::int32_t v) GMPKIT_NO_TSA {
  bool dead = false;
  {
    rt::LockGuard g(sched->lock);
    sched->nmidlelocked += v;
    if (v > 0) dead = checkdead();
  }
  if (dead) report_deadlock();
}

// Go's sysmonwait: with every P idle there is nothing to retake or preempt,
// so sysmon sleeps until the earliest timer (at most 60 s, Go's
// forcegcperiod/2) instead of polling every 10 ms. Unlike Go, which wakes it
// only from exitsyscall and startTheWorld, pidleget wakes it whenever a P
// leaves the idle list, so a goroutine readied by the poller and looping
// without calls is still preempted on time. Both sides hold sched.lock, so
// exactly one wakeup pairs with each park. Returns true if it slept.
bool sysmon_park(std::int64_t now) GMPKIT_NO_TSA {
  std::int64_t next = 0;  // earliest timer of any P (0: none)
  for (P* pp : sched->allp) {
    std::int64_t w = time::nobarrierWakeTime(pp->timers);
    if (w != 0 && (next == 0 || w < next)) next = w;
  }
  if (next != 0 && next <= now) return false;
  {
    rt::LockGuard g(sched->lock);
    // relaxed: under sched.lock, which every pidleput/pidleget holds.
    if (sched->npidle.load(rt::relaxed) != sched->gomaxprocs.load(rt::relaxed)) return false;
    if (sched->exiting.load(rt::relaxed)) return false;  // relaxed: set under sched.lock
    sched->sysmonwait = true;
  }
  std::int64_t sleep = kMaxParkNs;
  if (next != 0 && next - now < sleep) sleep = next - now;
  sched->sysmon_note.tsleep(sleep);
  {
    rt::LockGuard g(sched->lock);
    sched->sysmonwait = false;
    // Any wakeup happened while sysmonwait was set, so before this point;
    // sysmon_stop's wakeup is covered by the stop flag the loop re-reads.
    sched->sysmon_note.clear();
  }
  return true;
}

// One round's sleep. With wake-up preemption on, publish when we will look
// again, then re-read the Ps' earliest timers: a timer added meanwhile is
// either seen here or its adder sees our wake_by (both sides: store, full
// fence, load) and kicks us (sysmon_kick_for_timer). Without it, a sleeper
// whose timer was added just after a round that saw no timer at all waited
// for sysmon's back-off sleep (up to 10 ms) or the time slice.
void sysmon_sleep(std::int64_t sleep_ns) GMPKIT_NO_TSA {
  const bool kickable = sched->cfg.min_slice.count() > 0;
  if (kickable) {
    const std::int64_t t = rt::nanotime();
    sched->sysmon_wake_by.store(t + sleep_ns,
                                rt::seq_cst);  // seq_cst: Dekker with addtimer (fence below)
    rt::fence_seq_cst();
    for (P* pp : sched->allp) {
      std::int64_t w = time::nobarrierWakeTime(pp->timers);
      if (w != 0 && w < t + sleep_ns)
        sleep_ns = w - t < kMinDelayUs * 1000 ? kMinDelayUs * 1000 : w - t;
    }
  }
  sched->sysmon_note.tsleep(sleep_ns);
  if (kickable)
    sched->sysmon_wake_by.store(
        0, rt::relaxed);  // relaxed: a hint; a stale value costs one spare kick
  if (sched->sysmon_note.is_set()) {  // kicked (or stopped): clear under the wakers' lock
    rt::LockGuard g(sched->lock);
    sched->sysmon_note.clear();
  }
}

// Go's retake: preemption requests for Gs over their time slice, and Ps
// taken back from Ms blocked in syscalls. Returns the number of Ps retaken.
int retake(std::int64_t now) {
  const std::int64_t slice = sched->cfg.time_slice.count();
  int n = 0;
  for (P* pp : sched->allp) {
    PStatus s = pp->pstatus();
    bool sysretake = false;
    // As Go, the time slice covers _Psyscall too: a G that loops on short
    // syscalls changes syscalltick at every call, so the one-tick rule
    // below would never see the same syscall twice, and exitsyscallfast
    // gets the P back each time — a G queued behind it (runnext) would wait
    // until a preemption signal happened to land in the few instructions it
    // runs between syscalls. After a slice the P is retaken regardless.
    if (s == PStatus::running || s == PStatus::syscall) {
      std::uint32_t t =
          pp->schedtick.load(rt::relaxed);  // relaxed: a sample; staleness costs one round
      // sysmon_schedwhen == 0: this P was never seen running. Its schedtick
      // is still 0 between acquirep and the first execute, equal to the
      // initial sysmon_schedtick, and the slice would be measured from
      // time 0 (nanotime is time since boot): a spurious preemption of the
      // first G at its first scheduling point (Scenario.BirthMoment and
      // Shutdown.NeverStartedCallablesAreDestroyed, procs 1 with a 1 h
      // slice, failed so under TSan and load: main yielded inside go()).
      if (pp->sysmon_schedtick != t || pp->sysmon_schedwhen == 0) {
        pp->sysmon_schedtick = t;
        pp->sysmon_schedwhen = now;
      } else if (pp->sysmon_schedwhen + slice <= now) {
        // sysmon/preempt.cpp: flag + SIGURG; re-sent every round until honoured
        if (!GMPKIT_PLANTED_BUG(retake_no_preempt)) {
          // relaxed: a hint (core/p.hpp); set before the request it qualifies.
          pp->slice_over.store(true, rt::relaxed);
          preemptone(pp);
        }
        sysretake = true;
      }
    }
    if (s == PStatus::syscall) {
      // Retake a P that has been in a syscall for more than one sysmon tick.
      std::uint32_t t = pp->syscalltick.load(rt::relaxed);  // relaxed: a sample
      if (!sysretake && pp->sysmon_syscalltick != t) {
        pp->sysmon_syscalltick = t;
        pp->sysmon_syscallwhen = now;
        continue;
      }
      // No other work and someone spinning or idle: leave it for up to
      // 10 ms (it keeps sysmon from sleeping deeply, so not forever).
      if (pp->runq.empty() &&
          sched->nmspinning.load(rt::seq_cst) + sched->npidle.load(rt::seq_cst) > 0 &&
          pp->sysmon_syscallwhen + kSyscallRetakeNs > now)
        continue;
      if (GMPKIT_PLANTED_BUG(retake_never_handoff_syscall_p)) continue;
      incidlelocked(-1);
      // acq_rel: winning makes us the P's owner (against exitsyscallfast).
      if (pp->status.cas(static_cast<std::uint32_t>(PStatus::syscall),
                         static_cast<std::uint32_t>(PStatus::idle), rt::acq_rel)) {
        n++;
        pp->syscalltick.store(pp->syscalltick.load(rt::relaxed) + 1,
                              rt::relaxed);  // relaxed: we own pp now
        sched->nhandoffs.fetch_add(1, rt::relaxed);  // relaxed: statistics
        if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceProcSteal(pp);
        handoffp(pp);
      }
      incidlelocked(1);
    }
  }
  return n;
}

void sysmon_main(void*) {
  void* sigstack = rt::signal_stack_enable();
  std::uint32_t idle = 0;
  std::int64_t delay = 0;  // this round's sleep, µs
  std::int64_t last_report = 0;
  std::int64_t wake_at = 0;  // wake-up preemption: next check due (0: none)
  observe::schedtrace_init();  // observe/schedtrace.cpp: GMPKIT_DEBUG / Config::schedtrace
  std::int64_t trace_at = 0;  // next schedtrace report due (0: off)
  while (!g_sysmon_stop.load(rt::acquire)) {  // acquire: pairs with sysmon_stop
    if (idle == 0)
      delay = kMinDelayUs;
    else if (idle > kIdleRoundsBeforeBackoff)
      delay *= 2;
    if (delay > kMaxDelayUs) delay = kMaxDelayUs;
    std::int64_t sleep_ns = static_cast<std::int64_t>(delay) * 1000;
    if (wake_at != 0) {
      std::int64_t until = wake_at - rt::nanotime();
      if (until < kMinDelayUs * 1000) until = kMinDelayUs * 1000;
      if (until < sleep_ns) sleep_ns = until;
    }
    if (trace_at != 0) {  // Go: sysmon keeps running while schedtrace is on
      std::int64_t until = trace_at - rt::nanotime();
      if (until < kMinDelayUs * 1000) until = kMinDelayUs * 1000;
      if (until < sleep_ns) sleep_ns = until;
    }
    sysmon_sleep(sleep_ns);
    std::int64_t now = rt::nanotime();
    // Park while every P is idle (not while schedtrace wants its reports).
    if (trace_at == 0 && !g_sysmon_stop.load(rt::acquire) &&  // acquire: pairs with sysmon_stop
        sched->npidle.load(rt::relaxed) ==
            sched->gomaxprocs.load(rt::relaxed) &&  // relaxed: rechecked under the lock
        sysmon_park(now)) {
      sched->nsysmonpark.fetch_add(1, rt::relaxed);  // relaxed: statistics
      idle = 0;
      continue;
    }
    if (sched->exiting.load(rt::acquire)) {  // acquire: exiting_since is visible
      if (now - sched->exiting_since >= kStragglerReportNs &&
          now - last_report >= kStragglerReportNs) {
        report_stragglers(now);
        last_report = now;
      }
      // Stop Gs that never reach a scheduling point (call-free loops) so
      // their Ms can leave; cooperative-only builds keep waiting on them.
      // The signal only after a grace period: a G stopped by it in user
      // code is retired without unwinding (no landing pad at an arbitrary
      // pc: its destructors never run, its exception in flight leaks), while
      // one that reaches a runtime call within the grace is unwound
      // properly from there. Only call-free loops are left for the signal.
      preemptall(now - sched->exiting_since >= kShutdownAsyncGraceNs);
      idle = kIdleRoundsBeforeBackoff + 1;  // back off at once
      trace_at = 0;  // no schedtrace reports while exiting (and no 20 µs naps for them)
      continue;
    }
    // Poll the network if nobody has for 10 ms: fd-ready goroutines must
    // not wait for every P to run out of work.
    std::int64_t lastpoll = sched->lastpoll.load(rt::seq_cst);  // seq_cst: the poller token
    if (!GMPKIT_PLANTED_BUG(sysmon_no_forced_netpoll) && lastpoll != 0 &&
        lastpoll + kForcedPollNs < now && netpoll::netpollWaiters.load(rt::seq_cst) > 0) {
      sched->lastpoll.cas(lastpoll, now, rt::seq_cst);
      GQueue list = netpoll::netpoll(0);
      if (!list.empty()) {
        incidlelocked(-1);
        injectglist(&list, sched->sysmon_m);  // our thread has no getm()
        incidlelocked(1);
      }
    }
    // Go resets idle only when a P was retaken from a syscall; preemption
    // requests alone let sysmon back off to 10 ms.
    if (retake(now) != 0)
      idle = 0;
    else
      idle++;
    wake_at = wakeup_preempt(now);  // sysmon/preempt.cpp
    observe::verifier_tick(now);  // Config::verify_every (observe/invariant_verifier.cpp)
    trace_at = observe::schedtrace_poll(now);  // observe/schedtrace.cpp
  }
  rt::signal_stack_disable(sigstack);
}
}  // namespace

void sysmon_start() GMPKIT_NO_TSA {
  bool over;
  {
    rt::LockGuard g(sched->lock);
    over = sched->mnext + 1 > sched->maxmcount;
    if (!over) {
      sched->mnext++;
      sched->nmsys++;
    }
  }
  if (over) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "runtime: program exceeds %d-thread limit: thread exhaustion",
                  sched->maxmcount);
    record_panic(std::make_exception_ptr(thread_exhaustion_error(msg)));
    begin_shutdown();
    return;
  }
  preempt_init();  // SIGURG handler and the async-preemption switch, before the only sender starts
  g_sysmon_stop.store(
      false, rt::relaxed);  // relaxed: the thread starts after this (thread creation orders it)
  M* mp = allocm(nullptr, false);
  mp->id = sched->mnext - 1;
  sched->sysmon_m = mp;
  sched->nthreads.fetch_add(1, rt::relaxed);  // relaxed: statistics
  if (!rt::thread_create(&mp->thread, sysmon_main, nullptr, kThreadStackBytes)) {
    mp->thread.handle = 0;
    sched->sysmon_m = nullptr;
    mp->thread_state.store(M::kNoThread, rt::release);  // release: shutdown's join sweep skips it
  } else {
    mp->thread_state.store(M::kThreadRunning,
                           rt::release);  // release: as above (joined by sysmon_stop)
  }
}

void sysmon_wake_locked() GMPKIT_NO_TSA {
  if (!sched->sysmon_note.is_set()) sched->sysmon_note.wakeup();
}

void sysmon_kick_for_timer(std::int64_t when) GMPKIT_NO_TSA {
  if (sched->cfg.min_slice.count() <= 0) return;
  // An idle P means a poller or a spinning M runs timers (wakeNetPoller).
  if (sched->npidle.load(rt::relaxed) != 0)
    return;  // relaxed: a hint; sysmon re-checks every round
  rt::fence_seq_cst();  // Dekker with sysmon_sleep: timer published, then read wake_by
  const std::int64_t by = sched->sysmon_wake_by.load(rt::seq_cst);  // seq_cst: as above
  if (by == 0 || by - when <= kKickSlackNs)
    return;  // awake, parked, or waking in time anyway (no when + x: when may be INT64_MAX)
  rt::LockGuard g(sched->lock);
  if (sched->sysmon_wake_by.load(rt::relaxed) - when <= kKickSlackNs)
    return;  // relaxed: under the lock; re-check
  sched->sysmon_wake_by.store(when, rt::relaxed);  // relaxed: later adders see it under this lock
  sched->nsysmonkick.fetch_add(1, rt::relaxed);  // relaxed: statistics
  sysmon_wake_locked();
}

void sysmon_stop() {
  M* mp = sched->sysmon_m;
  if (mp == nullptr) return;
  {
    // Under sched.lock, with sysmonwait cleared: pidleget must not wake a
    // parked sysmon a second time. A note still set was woken by pidleget
    // and is not yet cleared by sysmon_park (which clears it under this
    // lock): sysmon is awake and re-reads the stop flag.
    rt::LockGuard g(sched->lock);
    g_sysmon_stop.store(true, rt::release);  // release: pairs with the loop's acquire
    sched->sysmonwait = false;
    sysmon_wake_locked();
  }
  rt::thread_join(mp->thread);
  sched->sysmon_m = nullptr;
}

}  // namespace gmpkit::sysmon
