// core/schedule.cpp — one round of scheduling: find a runnable G and run it
// (Go's schedule, findRunnable, stealWork, execute).
//
// findrunnable looks in Go's order:
//   1. every 61st schedtick, the global runq first (fairness: a P with a
//      busy local queue would otherwise starve the global one);
//   2. the local runq (runnext first: it inherits the current time slice);
//   3. the global runq (a batch);
//   4. netpoll, non-blocking, if anyone waits on it;
//   5. stealing, if spinning is allowed (2*nmspinning < busy Ps): 4 passes
//      over all Ps in a random coprime order; on the last pass, run the
//      victim's expired timers and allow stealing its runnext;
//   6. give up the P: re-check the global runq under sched.lock, put the P
//      on the idle list, and if we were spinning do the delicate dance
//      (decrement nmspinning, full barrier, re-check all runqs and timers);
//   7. become the poller and sleep until the next timer, or park (stopm).
#include "core/schedule.hpp"

#include "core/lockosthread.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "netpoll/netpoll.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "platform/placement.hpp"
#include "stw/stw.hpp"

namespace gmpkit::core {

// NO_TSA: runq.put takes sched.lock itself, only on overflow (runqputslow);
// the analysis cannot follow a lock handed down by reference.
void runqput(P* pp, G* gp, bool next) GMPKIT_NO_TSA {
  if (pp->runq.put(gp, next, sched->runq, sched->lock))
    sched->nputslow.fetch_add(1, rt::relaxed);  // relaxed: statistics
}

G* runqget(P* pp, bool* inheritTime) { return pp->runq.get(inheritTime); }

// injectglist: make a batch of waiting Gs runnable; with a P, put them on
// our runq, else on the global queue, and start Ms for idle Ps.
void injectglist(GQueue* q) { injectglist(q, getm()); }

void injectglist(GQueue* q, M* mp) GMPKIT_NO_TSA {
  if (q->empty()) return;
  // Every caller is an M (findrunnable, the STW owner, sysmon with its own M).
  if (GMPKIT_UNLIKELY(mp == nullptr)) fatal("injectglist: called outside an M");
  P* pp = mp->p;
  // Without a P the batch goes to the global runq; until it is there the
  // Gs are runnable on no queue: mp->readying accounts them to this M
  // (M::readying). An M with a P cannot be in a stopped world.
  if (pp == nullptr) mp->readying.store(q->head, rt::release);  // release: before the CASes below
  std::int32_t n = 0;
  for (G* gp = q->head; gp; gp = gp->schedlink) {
    casgstatus(gp, GStatus::waiting, GStatus::runnable);
    n++;
  }
  if (pp == nullptr) {
    {
      rt::LockGuard g(sched->lock);
      sched->runq.put_batch(*q, n);
      mp->readying.store(nullptr, rt::relaxed);  // relaxed: under sched.lock, as the checker reads
    }
    *q = GQueue{};
    for (std::int32_t i = 0; i < n && sched->npidle.load(rt::seq_cst) != 0; i++)
      startm(nullptr, false);  // seq_cst: dance
    return;
  }
  while (G* gp = q->pop()) runqput(pp, gp, false);
  if (!GMPKIT_PLANTED_BUG(injectglist_no_wakep)) wakep();
}

namespace {

bool idlep_read(std::uint32_t id) {
  // seq_cst: read after the dance's full barrier.
  return (sched->idlepMask[id / 32].load(rt::seq_cst) & (1u << (id % 32))) != 0;
}

G* globrunqget_locked(P* pp, std::int32_t max) GMPKIT_NO_TSA {
  const std::int32_t before = sched->runq.size();
  G* gp = sched->runq.get(
      pp->runq, max,
      sched->gomaxprocs.load(rt::relaxed));  // relaxed: changes only with the world stopped
  if (gp != nullptr) {  // metrics: global-runq takes (we own pp)
    p_count(pp->nglobrunqbatch);
    p_count(pp->nglobrunqget, before - sched->runq.size());
  }
  return gp;
}

// stealWork: try to steal a runnable G or timer from any other P.
G* stealWork(M* mp, std::int64_t* now, bool* inheritTime, std::int64_t* pollUntil, bool* newWork) {
  P* pp = mp->p;
  bool ranTimer = false;
  *newWork = false;
  // NUMA-aware stealing (gmpkit/placement.hpp): remote nodes only after a
  // local-only window.
  const rt::StealScope numa = rt::numa_steal_begin(pp->id);
  for (int i = 0; i < kStealTries; i++) {
    bool stealTimersOrRunNextG = i == kStealTries - 1;
    const RandomOrder& order = sched->stealOrder;
    std::uint32_t r = mp->rand.next();
    std::uint32_t pos = r % order.count;
    std::uint32_t inc = order.coprimes[r % order.coprimes.size()];
    for (std::uint32_t k = 0; k < order.count; k++, pos = (pos + inc) % order.count) {
      // relaxed: both re-checked at findrunnable's top and under the lock.
      if (sched->exiting.load(rt::relaxed) || sched->gcwaiting.load(rt::relaxed)) {
        *newWork = true;
        return nullptr;
      }
      P* p2 = sched->allp[pos];
      if (p2 == pp) continue;
      if (GMPKIT_UNLIKELY(numa.local_only) && rt::g_p_node[p2->id] != numa.node) continue;
      // Timers of p2 on the last pass, before its runnext: stealing runnext
      // is the last resort.
      if (stealTimersOrRunNextG && !GMPKIT_PLANTED_BUG(steal_no_timers) &&
          p2->timers.numTimers.load(rt::acquire) > 0) {  // acquire: pairs with addtimer
        bool ran = false;
        std::int64_t w = time::checkTimers(p2, now, &ran);
        if (w != 0 && (*pollUntil == 0 || w < *pollUntil)) *pollUntil = w;
        if (ran) {
          // Timers may have readied Gs into our runq.
          if (G* gp = runqget(pp, inheritTime)) return gp;
          ranTimer = true;
        }
      }
      if (!idlep_read(pos)) {
        if (G* gp = pp->runq.steal(p2->runq, stealTimersOrRunNextG,
                                   p2->pstatus() == PStatus::running)) {
          sched->nsteals.fetch_add(1, rt::relaxed);  // relaxed: statistics
          rt::placement_stolen(pp->id, p2->id);
          if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceRunqSteal(pp, p2);
          *inheritTime = false;
          return gp;
        }
      }
    }
  }
  *newWork = ranTimer;
  return nullptr;
}

// checkRunqsNoP: after dropping our P, is there work left on some busy P?
// If so, take an idle P to go and steal it.
P* checkRunqsNoP() GMPKIT_NO_TSA {
  for (std::uint32_t id = 0; id < sched->allp.size(); id++) {
    if (!idlep_read(id) && !sched->allp[id]->runq.empty()) {
      rt::LockGuard g(sched->lock);
      return pidleget();  // nullptr: can't get a P, don't bother checking the rest
    }
  }
  return nullptr;
}

std::int64_t checkTimersNoP(std::int64_t pollUntil) {
  for (P* p2 : sched->allp) {
    std::int64_t w = time::nobarrierWakeTime(p2->timers);
    if (w != 0 && (pollUntil == 0 || w < pollUntil)) pollUntil = w;
  }
  return pollUntil;
}

// Returns the G to run, or nullptr if the runtime is exiting (the M then
// has no P).
G* findrunnable(M* mp, bool* inheritTime, bool* tryWakeP) GMPKIT_NO_TSA {
  *tryWakeP = false;
top:
  P* pp = mp->p;
  if (sched->exiting.load(rt::relaxed))
    return nullptr;  // relaxed: re-checked under sched.lock before parking
  if (sched->gcwaiting.load(
          rt::seq_cst)) {  // seq_cst: pairs with stopTheWorld's store before it counts Ps
    if (!stw::gcstopm(mp)) return nullptr;  // exiting
    goto top;
  }

  std::int64_t now = 0;
  bool ran = false;
  std::int64_t pollUntil = time::checkTimers(pp, &now, &ran);

  // 1. Fairness: the global queue every 61 schedticks.
  if (!GMPKIT_PLANTED_BUG(schedule_no_global_fairness) &&
      pp->schedtick.load(rt::relaxed) % kGlobalRunqCheckPeriod == 0 &&
      sched->runq.size() > 0) {  // relaxed: owner's own counter
    rt::LockGuard g(sched->lock);
    if (G* gp = globrunqget_locked(pp, 1)) {
      *inheritTime = false;
      return gp;
    }
  }
  // 2. Local runq.
  if (G* gp = runqget(pp, inheritTime)) return gp;
  // 3. Global runq.
  if (sched->runq.size() != 0) {
    rt::LockGuard g(sched->lock);
    if (G* gp = globrunqget_locked(pp, 0)) {
      *inheritTime = false;
      return gp;
    }
  }
  // 4. Non-blocking netpoll, an optimisation before spinning: if anyone
  // waits on an fd and nobody is blocked in netpoll already.
  if (netpoll::netpollWaiters.load(rt::seq_cst) > 0 &&
      sched->lastpoll.load(rt::seq_cst) != 0) {  // seq_cst: poller token
    GQueue list = netpoll::netpoll(0);
    if (!list.empty()) {
      G* gp = list.pop();
      injectglist(&list);
      casgstatus(gp, GStatus::waiting, GStatus::runnable);
      *inheritTime = false;
      return gp;
    }
  }
  // 5. Steal.
  if (mp->spinning || 2 * sched->nmspinning.load(rt::seq_cst) <
                          sched->gomaxprocs.load(rt::relaxed) -
                              sched->npidle.load(rt::seq_cst)) {  // seq_cst: dance
    if (!mp->spinning) {
      mp->spinning = true;
      sched->nmspinning.fetch_add(1, rt::seq_cst);  // seq_cst: dance
      p_count(pp->nspinning);  // metrics: spinning transitions
    }
    bool newWork = false;
    if (G* gp = stealWork(mp, &now, inheritTime, &pollUntil, &newWork)) return gp;
    if (newWork) goto top;  // a timer ran (or the runtime is exiting): look again
  }

  // 6. Give up the P.
  {
    rt::LockGuard g(sched->lock);
    if (sched->exiting.load(rt::relaxed)) return nullptr;  // relaxed: set under this lock
    if (sched->gcwaiting.load(rt::relaxed))
      goto top;  // relaxed: set under this lock; top stops our P
    if (sched->runq.size() != 0) {
      *inheritTime = false;
      return globrunqget_locked(pp, 0);
    }
    if (releasep(mp) != pp) fatal("findrunnable: wrong p");
    pidleput(pp);
  }
  bool wasSpinning = mp->spinning;
  if (mp->spinning) {
    mp->spinning = false;
    if (sched->nmspinning.fetch_sub(1, rt::seq_cst) - 1 < 0)
      fatal("findrunnable: negative nmspinning");  // seq_cst: dance
    // The full barrier: a producer publishes work then reads nmspinning;
    // we decremented nmspinning and now read the queues. One of us sees
    // the other.
    rt::fence_seq_cst();
    if (P* p2 =
            GMPKIT_PLANTED_BUG(findrunnable_no_recheck_after_drop) ? nullptr : checkRunqsNoP()) {
      acquirep(mp, p2);
      mp->spinning = true;
      sched->nmspinning.fetch_add(1, rt::seq_cst);  // seq_cst: dance
      p_count(p2->nspinning);  // metrics: spinning transitions
      goto top;
    }
    pollUntil = checkTimersNoP(pollUntil);
  }

  // 7. Become the poller until the next timer, or park.
  if ((netpoll::netpollWaiters.load(rt::seq_cst) > 0 || pollUntil != 0) &&
      sched->lastpoll.exchange(0, rt::seq_cst) !=
          0) {  // seq_cst: the poller token, paired with wakeNetPoller
    sched->pollUntil.store(pollUntil,
                           rt::seq_cst);  // seq_cst: read by wakeNetPoller after its timer store
    if (mp->p) fatal("findrunnable: netpoll with p");
    if (mp->spinning) fatal("findrunnable: netpoll with spinning");
    std::int64_t delay = -1;  // no timer: block until an fd is ready or a break
    if (pollUntil != 0) {
      now = rt::nanotime();
      delay = pollUntil - now;
      if (delay < 0) delay = 0;
    }
    GQueue list = netpoll::netpoll(delay);
    sched->pollUntil.store(0, rt::seq_cst);  // seq_cst: as above
    sched->lastpoll.store(rt::nanotime(), rt::seq_cst);  // seq_cst: gives the poller token back
    P* p2;
    {
      rt::LockGuard g(sched->lock);
      p2 = sched->exiting.load(rt::relaxed) ? nullptr : pidleget();  // relaxed: under sched.lock
    }
    if (p2 == nullptr) {
      if (!GMPKIT_PLANTED_BUG(findrunnable_poll_no_inject)) injectglist(&list);
      if (sched->exiting.load(rt::acquire)) return nullptr;  // acquire: pairs with begin_shutdown
    } else {
      acquirep(mp, p2);
      if (!list.empty()) {
        G* gp = list.pop();
        injectglist(&list);
        casgstatus(gp, GStatus::waiting, GStatus::runnable);
        *inheritTime = false;
        return gp;
      }
      if (wasSpinning) {
        mp->spinning = true;
        sched->nmspinning.fetch_add(1, rt::seq_cst);  // seq_cst: dance
        p_count(p2->nspinning);  // metrics: spinning transitions
      }
      goto top;
    }
  } else if (pollUntil != 0) {
    std::int64_t pollerPollUntil = sched->pollUntil.load(rt::seq_cst);  // seq_cst: as above
    if (pollerPollUntil == 0 || pollerPollUntil > pollUntil) netpoll::netpollBreak();
  }
  if (!stopm(mp)) return nullptr;
  goto top;
}

}  // namespace

void execute(M* mp, G* gp, bool inheritTime) {
  mp->curg = gp;
  gp->m = mp;
  casgstatus(gp, GStatus::runnable, GStatus::running);
  gp->waitsince.store(0, rt::relaxed);  // relaxed: diagnostics (g.hpp)
  P* pp = mp->p;
  // A new slice clears the P's preemption request. An inherited one (runnext
  // after a handoff) keeps sysmon's "slice over" request: the G that
  // continues the slice yields at its first check. Go clears p.preempt at
  // every schedule(), and its re-sent request lands a sysmon round later (up
  // to 10 ms); here a ping-pong pair whose requests all fell between a
  // member's last check and the next execute() kept the P for 60 ms in the
  // simulator (pingpong_hog: sysmon's 10 ms rounds phase-locked with the
  // pair's virtual-time period). Any other request (wake-up preemption for
  // the G in runnext) is met now that another G runs: kept, it made that G
  // yield too (Mutex.StarvationModeHandsOffFIFO under TSan: the woken
  // waiter was preempted before it re-queued at the front).
  // relaxed: hints; a stale request only costs an early yield.
  if (!inheritTime) {
    pp->preempt.store(false, rt::relaxed);
    pp->slice_over.store(false, rt::relaxed);
    pp->schedtick.store(pp->schedtick.load(rt::relaxed) + 1,
                        rt::relaxed);  // relaxed: single writer; sysmon reads a hint
  } else if (!pp->slice_over.load(rt::relaxed)) {
    pp->preempt.store(false, rt::relaxed);
  }
  if (GMPKIT_UNLIKELY(observe::trace_enabled()))
    observe::traceGoStart(mp, gp);  // carries this slice's schedtick
  gogo(mp, gp);
}

void schedule_loop(M* mp) {
  G* next = nullptr;
  bool inheritTime = false;
  for (;;) {
    if (next == nullptr && mp->exit_thread) {
      // Our locked G exited while locked: this thread goes away with it.
      // exit_thread stays set during mexit: the Ms its handoffp needs are
      // created by the template thread, not cloned from this dirty one.
      mexit(mp);
      mp->exit_thread = false;
      return;
    }
    if (next == nullptr && mp->lockedg != nullptr) {
      // A locked M runs nothing but its G: wait until it is handed back.
      if (!stoplockedm(mp)) return;
      next = mp->lockedg;
      inheritTime = false;
    }
    if (next == nullptr) {
      // Only an mcall handler that could not get a P and found the runtime
      // exiting (exitsyscall0) leaves us without one.
      if (mp->p == nullptr) return;
      if (mp->spinning && !mp->p->runq.empty()) fatal("schedule: spinning with local work");
      bool tryWakeP = false;
      next = findrunnable(mp, &inheritTime, &tryWakeP);
      if (next == nullptr) {
        // Exiting: we leave holding no P, or holding one nobody will use.
        if (mp->spinning) {
          mp->spinning = false;
          sched->nmspinning.fetch_sub(1, rt::seq_cst);  // seq_cst: dance
        }
        return;
      }
      // A spinning M that found work wakes another spinner.
      if (mp->spinning) resetspinning(mp);
      if (tryWakeP) wakep();
      if (next->lockedm != nullptr && !GMPKIT_PLANTED_BUG(lockedg_runs_on_any_m)) {
        // Locked to another M: hand it our P, then wait for work ourselves.
        bool ok = startlockedm(mp, next);
        next = nullptr;
        if (!ok) return;
        continue;
      }
    }
    execute(mp, next, inheritTime);
    // Back on g0: the G switched to us via mcall(fn). Run fn; it may hand
    // us the next G directly (e.g. a park whose unlock failed).
    G* gp = mp->curg;
    auto fn = mp->mcall_fn;
    mp->mcall_fn = nullptr;
    next = fn(mp, gp);
    inheritTime = true;
  }
}

}  // namespace gmpkit::core
