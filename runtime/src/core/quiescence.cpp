// core/quiescence.cpp — the lost-wakeup check the platform runs when every
// thread is blocked (platform/quiescence.hpp; only the simulator runs it).
//
// Go's rule (proc.go, "Worker thread parking/unparking"): whoever makes work
// runnable while a P is idle and no M spins calls wakep, so that work never
// waits for a thread that will not come. At quiescence no M runs at all:
// a runnable G in any run queue while a P sits on the idle list means the
// wakep was lost — with one exception Go's design allows, a P in a system
// call whose queue sysmon's retake will hand off (below).
// Not checked while the world is being stopped (stopped Ps are not idle
// anyway) or once run() is ending (shutdown empties queues its own way).
//
// Lock rules: none taken. Nothing runs at quiescence, so plain reads are
// exact; the loads below are relaxed for that reason.
#include "core/quiescence.hpp"

#include <cstdio>

#include "core/g.hpp"
#include "core/gstatus.hpp"
#include "core/p.hpp"
#include "core/sched.hpp"

namespace gmpkit::core {

// NO_TSA: reads sched.runq without sched.lock, exact at quiescence (above).
bool quiescence_check(char* msg, std::size_t n) GMPKIT_NO_TSA {
  if (sched == nullptr) return false;
  if (sched->exiting.load(rt::relaxed) || sched->gcwaiting.load(rt::relaxed)) return false;
  const std::int32_t npidle = sched->npidle.load(rt::relaxed);
  if (npidle <= 0 || sched->nmspinning.load(rt::relaxed) != 0) return false;
  const std::int32_t global = sched->runq.size();
  if (global > 0) {
    std::snprintf(msg, n,
                  "quiescence: %d G(s) runnable on the global run queue while %d P(s) idle and "
                  "every M is parked (a lost wakep: nobody will run them until a timer or "
                  "sysmon happens to look)",
                  global, npidle);
    return true;
  }
  for (P* pp : sched->allp) {
    if (pp->runq.empty()) continue;
    // Go allows one such state: work on the queue of a P whose M is in a
    // system call. A spinning M that found work calls wakep while the other
    // P is still held by an M that will drop it without rechecking (it was
    // not spinning), so nobody is woken; sysmon's retake hands the P off
    // (its run queue is not empty) within one tick. Only if sysmon is parked
    // too (sysmonwait) is the work truly stranded.
    if (pp->pstatus() == PStatus::syscall && !sched->sysmonwait) continue;
    G* gp = pp->runq.runnext_peek();
    if (gp == nullptr) gp = pp->runq.slot(pp->runq.head());
    int k = std::snprintf(msg, n,
                          "quiescence: %u G(s) runnable on P%d's run queue (P%d %s) while %d "
                          "P(s) idle and every M is parked (a lost wakep: no M will steal them); "
                          "G%lld %s, its last status changes:",
                          pp->runq.size() + (pp->runq.runnext_peek() != nullptr ? 1u : 0u),
                          pp->id, pp->id, pstatus_name(pp->pstatus()), npidle,
                          static_cast<long long>(gp->goid),
                          pp->runq.runnext_peek() == gp ? "in runnext" : "at the ring's head");
    // Checked builds keep each G's last transitions: who queued it, when.
    const std::uint32_t h = gp->history_n;
    for (std::uint32_t i = h > 4 ? h - 4 : 0; i < h && k > 0 && static_cast<std::size_t>(k) < n;
         i++) {
      const GTransition& t = gp->history[i % G::kHistory];
      k += std::snprintf(msg + k, n - static_cast<std::size_t>(k), " %s->%s by M%d at %lld ns;",
                         gstatus_name(t.from), gstatus_name(t.to), t.m,
                         static_cast<long long>(t.when));
    }
    return true;
  }
  return false;
}

}  // namespace gmpkit::core
