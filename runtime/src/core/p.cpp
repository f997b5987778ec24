// core/p.cpp — P management: acquirep/releasep, the idle-P list and the
// free-G caches (Go's acquirep, pidleput, gfput, gfget). procresize lives
// with stop-the-world in stw/procresize.cpp.
#include <cstdio>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "observe/hooks.hpp"
#include "platform/placement.hpp"
#include "sysmon/sysmon.hpp"

namespace gmpkit::core {

const char* pstatus_name(PStatus s) noexcept {
  switch (s) {
    case PStatus::idle:
      return "idle";
    case PStatus::running:
      return "running";
    case PStatus::syscall:
      return "syscall";
    case PStatus::gcstop:
      return "gcstop";
    case PStatus::dead:
      return "dead";
  }
  return "???";
}

void RandomOrder::reset(std::uint32_t n) {
  count = n;
  coprimes.clear();
  auto gcd = [](std::uint32_t a, std::uint32_t b) {
    while (b) {
      std::uint32_t t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  for (std::uint32_t i = 1; i <= n; i++)
    if (gcd(i, n) == 1) coprimes.push_back(i);
}

void acquirep(M* mp, P* pp) {
  if (mp->p != nullptr || pp->m != nullptr || pp->pstatus() != PStatus::idle) {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "acquirep: invalid p state (m%lld holds p%d; p%d is %s, held by another m: %d)",
                  static_cast<long long>(mp->id), mp->p ? mp->p->id : -1, pp->id,
                  pstatus_name(pp->pstatus()), pp->m != nullptr);
    fatal(msg);
  }
  mp->p = pp;
  pp->m = mp;
  pp->set_status(PStatus::running);
  rt::placement_acquired(pp->id);  // Config::placement: bind this thread to the P's cpuset
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceProcStart(mp, pp);
}

P* releasep(M* mp) {
  P* pp = mp->p;
  if (pp == nullptr || pp->m != mp || pp->pstatus() != PStatus::running)
    fatal("releasep: invalid p state");
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceProcStop(mp, pp);
  mp->p = nullptr;
  pp->m = nullptr;
  pp->set_status(PStatus::idle);
  return pp;
}

namespace {
void idlep_set(std::int32_t id, bool on) {
  auto& word = sched->idlepMask[static_cast<std::size_t>(id) / 32];
  std::uint32_t bit = 1u << (id % 32);
  // seq_cst: read in the spinning dance after a full barrier.
  if (on)
    word.fetch_or(bit, rt::seq_cst);
  else
    word.fetch_and(~bit, rt::seq_cst);
}
}  // namespace

void pidleput(P* pp) {
  if (!pp->runq.empty()) fatal("pidleput: P has non-empty run queue");
  idlep_set(pp->id, true);
  pp->link = sched->pidle;
  sched->pidle = pp;
  sched->npidle.fetch_add(
      1, rt::seq_cst);  // seq_cst: wakep's check of npidle races with this (Go's Xadd)
}

P* pidleget() {
  P* pp = sched->pidle;
  if (pp) {
    idlep_set(pp->id, false);
    sched->pidle = pp->link;
    pp->link = nullptr;
    sched->npidle.fetch_sub(1, rt::seq_cst);  // seq_cst: as in pidleput
    // A P goes busy: a parked sysmon must watch it again (Go wakes it in
    // exitsyscall and startTheWorld only; see sysmon_park).
    if (!GMPKIT_PLANTED_BUG(pidleget_no_sysmon_wake) && sched->sysmonwait) {
      sched->sysmonwait = false;
      sysmon::sysmon_wake_locked();
    }
  }
  return pp;
}

// gfput: put a dead G on pp's free list; keep fewer than kGFreeLocalMax
// locally, moving down to kGFreeLocalLow to the global list (Go's numbers).
void gfput(P* pp, G* gp) {
  if (gp->status() != GStatus::dead) throw_g("gfput: bad status (not dead)", gp);
  pp->gFree.push(gp);
  pp->gFreeCount++;
  if (pp->gFreeCount >= kGFreeLocalMax) {
    rt::LockGuard g(sched->gFree.lock);
    while (pp->gFreeCount >= kGFreeLocalLow) {
      G* x = pp->gFree.pop();
      pp->gFreeCount--;
      sched->gFree.list.push(x);
      sched->gFree.n.store(sched->gFree.n.load(rt::relaxed) + 1,
                           rt::relaxed);  // relaxed: under gFree.lock
    }
  }
}

// gfget: a dead G with a stack from pp's free list, refilling up to
// kGFreeLocalLow from the global list; nullptr if none.
G* gfget(P* pp) {
  if (pp->gFree.empty() &&
      sched->gFree.n.load(rt::relaxed) > 0)  // relaxed: a hint, re-checked under the lock
  {
    rt::LockGuard g(sched->gFree.lock);
    while (pp->gFreeCount < kGFreeLocalLow && !sched->gFree.list.empty()) {
      G* x = sched->gFree.list.pop();
      sched->gFree.n.store(sched->gFree.n.load(rt::relaxed) - 1,
                           rt::relaxed);  // relaxed: under gFree.lock
      pp->gFree.push(x);
      pp->gFreeCount++;
    }
  }
  G* gp = pp->gFree.pop();
  if (gp) pp->gFreeCount--;
  return gp;
}

}  // namespace gmpkit::core
