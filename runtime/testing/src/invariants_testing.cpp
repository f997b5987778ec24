// testing/src/invariants_testing.cpp — the test-only corruption hook (see
// invariants_testing.hpp). Compiled into the library so tests link it
// through gmpkit_internal; nothing in the runtime calls it.
#include <functional>
#include <string>
#include <vector>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/testing/invariants_testing.hpp"
#include "observe/invariants.hpp"

namespace gmpkit::testing {

using namespace core;

namespace {

std::vector<std::function<void()>> g_undo;  // the stopped world's owner only

// A G taken from our P's run queue (runnext first), and whether it was runnext.
G* take_runnable(P* pp, bool* wasNext) {
  G* gp = pp->runq.get(wasNext);  // we are pp's only user: the world is stopped
  if (gp == nullptr)
    throw usage_error("gmpkit: testing::corrupt needs a runnable G in the caller's run queue");
  return gp;
}

}  // namespace

const char* violation_kind(Corruption c) {
  switch (c) {
    case Corruption::lost_runnable:
      return "runnable_lost";
    case Corruption::duplicate_runq_entry:
      return "runq_duplicate";
    case Corruption::runq_bounds:
      return "runq_bounds";
    case Corruption::wrong_npidle:
      return "npidle";
    case Corruption::wrong_nmspinning:
      return "nmspinning";
    case Corruption::p_m_link:
      return "p_m_link";
    case Corruption::locked_pair:
      return "locked_pair";
    case Corruption::goroutine_count:
      return "goroutine_count";
    case Corruption::free_list:
      return "free_list";
    case Corruption::global_runq_size:
      return "global_runq";
    default:
      return "?";
  }
}

const char* corruption_name(Corruption c) {
  switch (c) {
    case Corruption::lost_runnable:
      return "lost_runnable";
    case Corruption::duplicate_runq_entry:
      return "duplicate_runq_entry";
    case Corruption::runq_bounds:
      return "runq_bounds";
    case Corruption::wrong_npidle:
      return "wrong_npidle";
    case Corruption::wrong_nmspinning:
      return "wrong_nmspinning";
    case Corruption::p_m_link:
      return "p_m_link";
    case Corruption::locked_pair:
      return "locked_pair";
    case Corruption::goroutine_count:
      return "goroutine_count";
    case Corruption::free_list:
      return "free_list";
    case Corruption::global_runq_size:
      return "global_runq_size";
    default:
      return "?";
  }
}

void corrupt(Corruption c) GMPKIT_NO_TSA {
  M* mp = getm();
  G* self = mp ? mp->curg : nullptr;
  if (self == nullptr || sched == nullptr ||
      sched->stw_owner.load(rt::relaxed) != self)  // relaxed: only self stores self
    throw usage_error(
        "gmpkit: testing::corrupt called by a goroutine that has not stopped the world");
  P* pp = mp->p;
  // All relaxed below: the world is stopped and we are the only writer.
  if (c & Corruption::lost_runnable) {
    bool wasNext = false;
    G* gp = take_runnable(pp, &wasNext);
    g_undo.push_back([pp, gp, wasNext] { runqput(pp, gp, wasNext); });
  }
  if (c & Corruption::duplicate_runq_entry) {
    bool wasNext = false;
    G* gp = take_runnable(pp, &wasNext);
    runqput(pp, gp, wasNext);  // back where it was (runnext), or at the ring's tail
    {
      rt::LockGuard g(sched->lock);
      sched->runq.put(gp);  // ...and on the global runq (its size stays consistent)
    }
    g_undo.push_back([gp] {
      rt::LockGuard g(sched->lock);
      GQueue& q = observe::InvariantsAccess::list(sched->runq);
      GQueue kept;
      while (G* x = q.pop())
        if (x != gp) kept.push_back(x);
      q = kept;
      auto& size = observe::InvariantsAccess::size(sched->runq);
      size.store(size.load(rt::relaxed) - 1, rt::relaxed);
    });
  }
  if (c & Corruption::runq_bounds) {
    auto& tail = observe::InvariantsAccess::tail(pp->runq);
    tail.store(tail.load(rt::relaxed) + 300, rt::relaxed);
    g_undo.push_back([&tail] { tail.store(tail.load(rt::relaxed) - 300, rt::relaxed); });
  }
  if (c & Corruption::wrong_npidle) {
    sched->npidle.fetch_add(1, rt::seq_cst);  // seq_cst: as the real writers
    g_undo.push_back([] { sched->npidle.fetch_sub(1, rt::seq_cst); });
  }
  if (c & Corruption::wrong_nmspinning) {
    sched->nmspinning.fetch_add(1, rt::seq_cst);  // seq_cst: as the real writers
    g_undo.push_back([] { sched->nmspinning.fetch_sub(1, rt::seq_cst); });
  }
  if (c & Corruption::p_m_link) {
    pp->m = nullptr;
    g_undo.push_back([pp, mp] { pp->m = mp; });
  }
  if (c & Corruption::locked_pair) {
    if (self->lockedm != nullptr || mp->lockedg != nullptr)
      throw usage_error("gmpkit: testing::corrupt(locked_pair) needs an unlocked caller");
    self->lockedm = mp;  // mp->lockedg stays nullptr
    g_undo.push_back([self] { self->lockedm = nullptr; });
  }
  if (c & Corruption::goroutine_count) {
    P* p0 = sched->allp[0];
    p0->ngcreated.store(p0->ngcreated.load(rt::relaxed) + 1, rt::relaxed);
    g_undo.push_back(
        [p0] { p0->ngcreated.store(p0->ngcreated.load(rt::relaxed) - 1, rt::relaxed); });
  }
  if (c & Corruption::free_list) {
    pp->gFreeCount++;
    g_undo.push_back([pp] { pp->gFreeCount--; });
  }
  if (c & Corruption::global_runq_size) {
    rt::LockGuard g(sched->lock);
    auto& size = observe::InvariantsAccess::size(sched->runq);
    size.store(size.load(rt::relaxed) + 1, rt::relaxed);
    g_undo.push_back([&size] {
      rt::LockGuard g2(sched->lock);
      size.store(size.load(rt::relaxed) - 1, rt::relaxed);
    });
  }
}

void repair() {
  while (!g_undo.empty()) {
    auto fn = std::move(g_undo.back());
    g_undo.pop_back();
    fn();
  }
}

}  // namespace gmpkit::testing
