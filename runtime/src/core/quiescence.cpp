// core/quiescence.cpp — the lost-wakeup check the platform runs when every
// thread is blocked (platform/quiescence.hpp; only the simulator runs it).
//
// Go's rule (proc.go, "Worker thread parking/unparking"): whoever makes work
// runnable while a P is idle and no M spins calls wakep, so that work never
// waits for a thread that will not come. At quiescence no M runs at all:
// a runnable G in any run queue while a P sits on the idle list means the
// wakep was lost — except where Go's design leaves work for sysmon's retake
// of a P in a system call (below).
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

namespace {

// The G's last status change was running -> runnable (Gosched, a
// preemption). Unchecked builds keep no history: then every G counts as
// yielded (the check is only looser).
bool yielded(const G* gp) {
  if (gp->history_n == 0) return true;
  const GTransition& t = gp->history[(gp->history_n - 1) % G::kHistory];
  return t.from == GStatus::running && t.to == GStatus::runnable;
}

// Appends " G<id>, its last status changes: a->b by M<m> at <t> ns; ..."
// (checked builds keep each G's last transitions: who queued it, when).
int append_history(char* msg, std::size_t n, int k, const G* gp) {
  if (k < 0 || static_cast<std::size_t>(k) >= n) return k;
  k += std::snprintf(msg + k, n - static_cast<std::size_t>(k), "; G%lld's last status changes:",
                     static_cast<long long>(gp->goid));
  const std::uint32_t h = gp->history_n;
  for (std::uint32_t i = h > 4 ? h - 4 : 0; i < h && k > 0 && static_cast<std::size_t>(k) < n;
       i++) {
    const GTransition& t = gp->history[i % G::kHistory];
    k += std::snprintf(msg + k, n - static_cast<std::size_t>(k), " %s->%s by M%d at %lld ns;",
                       gstatus_name(t.from), gstatus_name(t.to), t.m,
                       static_cast<long long>(t.when));
  }
  return k;
}

}  // namespace

// NO_TSA: reads sched.runq without sched.lock, exact at quiescence (above).
bool quiescence_check(char* msg, std::size_t n) GMPKIT_NO_TSA {
  if (sched == nullptr) return false;
  if (sched->exiting.load(rt::relaxed) || sched->gcwaiting.load(rt::relaxed)) return false;
  const std::int32_t npidle = sched->npidle.load(rt::relaxed);
  if (npidle <= 0 || sched->nmspinning.load(rt::relaxed) != 0) return false;
  // Sysmon's retake hands off a P in a system call within 10 ms, and its
  // handoffp starts an M for global work too. Go leaves one kind of G on the
  // global queue without wakep: one that yielded or was preempted (its M
  // then takes a local G, which may enter a system call). A G *readied*
  // there (waiting/syscall/dead -> runnable: exitsyscall0, injectglist,
  // runqputslow) never waits so: its waker called wakep or found no idle P
  // under sched.lock, and an M that idles its P checks the global queue
  // under the same lock. So only yielded Gs are exempt while a P is in a
  // system call and sysmon is awake.
  bool retake_pending = false;
  for (P* pp : sched->allp)
    if (pp->pstatus() == PStatus::syscall && !sched->sysmonwait) retake_pending = true;
  const std::int32_t global = sched->runq.size();
  const G* readied = nullptr;
  for (const G* gp = sched->runq.peek(); gp != nullptr && readied == nullptr; gp = gp->schedlink)
    if (!yielded(gp)) readied = gp;
  if (global > 0 && (!retake_pending || readied != nullptr)) {
    int k = std::snprintf(msg, n,
                          "quiescence: %d G(s) runnable on the global run queue while %d P(s) idle "
                          "and every M is parked (a lost wakep: nobody will run them until a "
                          "timer or sysmon happens to look)",
                          global, npidle);
    if (readied != nullptr) k = append_history(msg, n, k, readied);
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
    // A P still running at quiescence: its M is busy in user code (a test's
    // virtual compute, sim::block_for outside a system call), and the same
    // race can leave work behind it until its G blocks or is preempted. The
    // liveness check bounds that in virtual time.
    if (pp->pstatus() == PStatus::running) continue;
    G* gp = pp->runq.runnext_peek();
    if (gp == nullptr) gp = pp->runq.slot(pp->runq.head());
    int k = std::snprintf(msg, n,
                          "quiescence: %u G(s) runnable on P%d's run queue (P%d %s) while %d "
                          "P(s) idle and every M is parked (a lost wakep: no M will steal them); "
                          "G%lld %s",
                          pp->runq.size() + (pp->runq.runnext_peek() != nullptr ? 1u : 0u),
                          pp->id, pp->id, pstatus_name(pp->pstatus()), npidle,
                          static_cast<long long>(gp->goid),
                          pp->runq.runnext_peek() == gp ? "in runnext" : "at the ring's head");
    (void)append_history(msg, n, k, gp);
    return true;
  }
  return false;
}

// --- liveness (every 256 scheduling points; the simulator only) ---
//
// Progress bugs break no data structure: the runtime just does less, later,
// or never. Two bounds in virtual time, each well beyond what Go's own
// design allows:
//  - a G runnable on a P's queue while a P idles and no M spins is picked up
//    within kStrandedNs. Go allows this state for a moment (a spinning M's
//    wakep sees no idle P just before a non-spinning M drops its P without
//    rechecking) until the running G blocks or is preempted; on a P in a
//    system call, while sysmon is awake, within kSyscallStrandedNs (sysmon's
//    retake hands the P off).
//  - the G at the head of the global run queue is taken within
//    kGlobalTicks x GOMAXPROCS new time slices (schedticks) of all Ps: every
//    P looks there at each 61st of its own.
namespace {

constexpr std::int64_t kStrandedNs = 2'000'000;
// Sysmon sleeps up to 10 ms a round and retakes a P in a system call once it
// has seen the same syscall in two rounds (sysmon.cpp retake): two rounds and
// a margin.
constexpr std::int64_t kSyscallStrandedNs = 30'000'000;
constexpr std::uint64_t kGlobalTicks = 4 * 61;

struct Liveness {
  const G* stranded = nullptr;
  std::int64_t stranded_since = 0;
  const G* global_head = nullptr;
  std::uint64_t global_pops = 0;  // sched.runq.pops() when global_head was first seen there
  std::uint64_t global_ticks = 0;
};
Liveness g_live;  // the simulator runs one run() at a time, on one OS thread

// The first G queued on a P (runnext first) that no M is coming for, or
// null; Ps in a system call (sysmon's to repair) only if no other has one.
// NO_TSA: reads sysmonwait without sched.lock (see liveness_check).
G* stranded_g(P** where, bool* in_syscall) GMPKIT_NO_TSA {
  if (sched->npidle.load(rt::relaxed) <= 0 || sched->nmspinning.load(rt::relaxed) != 0)
    return nullptr;
  P* found = nullptr;
  for (P* pp : sched->allp) {
    if (pp->runq.empty()) continue;
    const bool sys = pp->pstatus() == PStatus::syscall && !sched->sysmonwait;
    if (found == nullptr || !sys) found = pp;
    if (!sys) break;
  }
  if (found == nullptr) return nullptr;
  *where = found;
  *in_syscall = found->pstatus() == PStatus::syscall && !sched->sysmonwait;
  G* gp = found->runq.runnext_peek();
  return gp != nullptr ? gp : found->runq.slot(found->runq.head());
}

}  // namespace

void liveness_reset() { g_live = Liveness{}; }

// NO_TSA: reads sched.runq and sysmonwait without sched.lock; nothing else
// runs while the simulator runs this check.
bool liveness_check(std::int64_t now, char* msg, std::size_t n) GMPKIT_NO_TSA {
  if (sched == nullptr) return false;
  if (sched->exiting.load(rt::relaxed) || sched->gcwaiting.load(rt::relaxed)) {
    liveness_reset();
    return false;
  }
  P* where = nullptr;
  bool in_syscall = false;
  const G* gp = stranded_g(&where, &in_syscall);
  if (gp == nullptr || gp != g_live.stranded) {
    g_live.stranded = gp;
    g_live.stranded_since = now;
  } else if (now - g_live.stranded_since > (in_syscall ? kSyscallStrandedNs : kStrandedNs)) {
    std::snprintf(msg, n,
                  "liveness: G%lld runnable on P%d's run queue (P%d %s) for %lld us while %d "
                  "P(s) idle and no M spins (%s)",
                  static_cast<long long>(gp->goid), where->id, where->id,
                  pstatus_name(where->pstatus()),
                  static_cast<long long>((now - g_live.stranded_since) / 1000),
                  sched->npidle.load(rt::relaxed),
                  in_syscall ? "sysmon never retook the P from its system call"
                             : "a missing wakep: the work waits for its P's current G instead of "
                               "an idle P");
    return true;
  }
  std::uint64_t ticks = 0;
  for (P* pp : sched->allp) ticks += pp->schedtick.load(rt::relaxed);
  const G* head = sched->runq.peek();
  const std::uint64_t pops = sched->runq.pops();
  // The same G at the head with more pops was taken and queued again in
  // between (a spinner that yields): a new wait. (A GOMAXPROCS shrink drops
  // Ps from the sum: start counting again.)
  if (head == nullptr || head != g_live.global_head || pops != g_live.global_pops ||
      ticks < g_live.global_ticks) {
    g_live.global_head = head;
    g_live.global_pops = pops;
    g_live.global_ticks = ticks;
  } else {
    const std::uint64_t bound =
        kGlobalTicks * static_cast<std::uint64_t>(sched->gomaxprocs.load(rt::relaxed));
    if (ticks - g_live.global_ticks > bound) {
      std::snprintf(msg, n,
                    "liveness: G%lld at the head of the global run queue while the Ps began %llu "
                    "new time slices (bound %llu: every P looks there at each 61st; global-queue "
                    "fairness is off)",
                    static_cast<long long>(head->goid),
                    static_cast<unsigned long long>(ticks - g_live.global_ticks),
                    static_cast<unsigned long long>(bound));
      return true;
    }
  }
  return false;
}

}  // namespace gmpkit::core
