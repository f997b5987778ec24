// stw/procresize.cpp — changing the number of Ps (Go's procresize,
// p.init, p.destroy).
//
// Runs with the world stopped (startTheWorld, or run() before any other
// thread exists) and sched.lock held. Nothing is lost when Ps go away: the
// run queue (runnext included) of a destroyed P goes to the head of the
// global run queue in order, its timers move to the caller's P and its free
// Gs to the global free list. Ps are never freed before run() ends (see
// AllP in core/p.hpp): a destroyed P is marked dead and revived if
// gomaxprocs grows again, so stale P pointers (an M's oldp in a syscall,
// sysmon's loop) stay valid and merely see a P that is not theirs.
#include "stw/procresize.hpp"

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"

namespace gmpkit::stw {

using namespace core;

namespace {

// Go's p.init: a new or revived P starts stopped; the placement loop at the
// end of procresize makes it idle or runnable.
void pinit(P* pp, std::int32_t id) {
  pp->id = id;
  pp->preempt.store(false, rt::relaxed);  // relaxed: world stopped
  pp->slice_over.store(false, rt::relaxed);
  pp->set_status(PStatus::gcstop);
}

// Go's p.destroy. `to` is the caller's P, which takes the timers.
void pdestroy(P* pp, P* to) GMPKIT_REQUIRES(sched->lock) {
  // runnext first: it was next to run
  GQueue q = GMPKIT_PLANTED_BUG(procresize_runq_not_moved) ? GQueue{} : pp->runq.drain();
  std::int32_t n = 0;
  for (G* gp = q.head; gp; gp = gp->schedlink) n++;
  if (n) {
    // Ahead of everything already in the global queue, keeping their order.
    GQueue rest;
    while (G* gp = sched->runq.pop()) rest.push_back(gp);
    sched->runq.put_batch(q, n);
    while (G* gp = rest.pop()) sched->runq.put(gp);
  }
  if (!GMPKIT_PLANTED_BUG(procresize_timers_not_moved)) time::moveTimers(to, pp);
  {
    rt::LockGuard g(sched->gFree.lock);
    while (G* gp = pp->gFree.pop()) {
      sched->gFree.list.push(gp);
      sched->gFree.n.store(sched->gFree.n.load(rt::relaxed) + 1,
                           rt::relaxed);  // relaxed: under gFree.lock
    }
    pp->gFreeCount = 0;
  }
  pp->goidcache = pp->goidcacheend = 0;  // unused ids are simply skipped
  pp->m = nullptr;
  pp->link = nullptr;
  pp->set_status(PStatus::dead);
}

}  // namespace

P* procresize(std::int32_t nprocs) GMPKIT_NO_TSA {
  if (nprocs <= 0 || nprocs > AllP::kMax) fatal("procresize: invalid arg");
  const std::int32_t old = static_cast<std::int32_t>(sched->allp.size());
  M* mp = getm();

  // Grow: make or revive Ps.
  for (std::int32_t i = old; i < nprocs; i++) {
    P* pp = i < sched->allp.allocated() ? sched->allp.slot(i) : nullptr;
    if (pp == nullptr) {
      pp = new P;
      sched->allp.set_slot(i, pp);
    }
    pinit(pp, i);
  }

  // The caller keeps its P if it survives; otherwise it moves to allp[0].
  if (mp->p != nullptr && mp->p->id < nprocs) {
    mp->p->set_status(PStatus::running);
  } else {
    if (mp->p != nullptr) {
      mp->p->m = nullptr;  // destroyed below
      mp->p = nullptr;
    }
    P* pp = sched->allp.slot(0);
    pp->m = nullptr;
    pp->set_status(PStatus::idle);
    acquirep(mp, pp);
  }

  // Shrink: destroy the Ps past nprocs (their work moves, see above).
  for (std::int32_t i = nprocs; i < old; i++) pdestroy(sched->allp.slot(i), mp->p);
  sched->allp.set_size(nprocs);

  // Place the others: idle if they have no work, else runnable with an M
  // (startTheWorld starts or wakes it).
  P* runnablePs = nullptr;
  for (std::int32_t i = nprocs - 1; i >= 0; i--) {
    P* pp = sched->allp.slot(i);
    if (pp == mp->p) continue;
    pp->set_status(PStatus::idle);
    if (pp->runq.empty()) {
      pidleput(pp);
    } else {
      pp->m = mget();
      pp->link = runnablePs;
      runnablePs = pp;
    }
  }
  sched->stealOrder.reset(static_cast<std::uint32_t>(nprocs));
  sched->gomaxprocs.store(nprocs, rt::relaxed);  // relaxed: readers only need some recent value
  return runnablePs;
}

}  // namespace gmpkit::stw
