// sync/sema.cpp — the runtime semaphore (Go's sema.go: semacquire1,
// semrelease1, cansemacquire, readyWithTime + goyield). See sema.hpp.
#include "sync/sema.hpp"

#include "core/m.hpp"
#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "platform/determinism.hpp"

namespace gmpkit::sync {

using core::G;

namespace {

struct alignas(64) SemaRoot {
  rt::Mutex lock;
  G* head GMPKIT_GUARDED_BY(lock) = nullptr;
  G* tail GMPKIT_GUARDED_BY(lock) = nullptr;
  rt::Atomic<std::uint32_t> nwait{0};
};

constexpr std::size_t kSemTabSize = 251;
SemaRoot g_semtable[kSemTabSize];

SemaRoot& semroot(const void* addr) {
  // Under the simulator one root for every address: which addresses share
  // a root (and its lock and nwait) must not depend on the heap's layout
  // (platform/determinism.hpp). A root serves any number of addresses.
  if constexpr (rt::kReplayable) return g_semtable[0];
  return g_semtable[(reinterpret_cast<std::uintptr_t>(addr) >> 3) % kSemTabSize];
}

bool cansemacquire(std::uint32_t* addr) {
  rt::AtomicRef<std::uint32_t> a(*addr);
  for (;;) {
    std::uint32_t v =
        a.load(rt::acquire);  // acquire: a successful acquire sees the releaser's writes
    if (v == 0) return false;
    if (a.cas(v, v - 1, rt::acq_rel)) return true;  // acq_rel: as above
  }
}

void enqueue(SemaRoot& root, G* gp, bool lifo) GMPKIT_REQUIRES(root.lock) {
  if (lifo) {
    // In front of every waiter: dequeue() takes the first match for addr.
    gp->sema.next = root.head;
    root.head = gp;
    if (root.tail == nullptr) root.tail = gp;
    return;
  }
  gp->sema.next = nullptr;
  if (root.tail)
    root.tail->sema.next = gp;
  else
    root.head = gp;
  root.tail = gp;
}

// Removes and returns the first waiter on addr (nullptr if none).
G* dequeue(SemaRoot& root, const void* addr) GMPKIT_REQUIRES(root.lock) {
  G* prev = nullptr;
  for (G* gp = root.head; gp; prev = gp, gp = gp->sema.next) {
    if (gp->sema.addr != addr) continue;
    if (prev)
      prev->sema.next = gp->sema.next;
    else
      root.head = gp->sema.next;
    if (root.tail == gp) root.tail = prev;
    gp->sema.next = nullptr;
    return gp;
  }
  return nullptr;
}

// Removes gp itself if still queued (forced unwind at shutdown).
bool remove(SemaRoot& root, G* target) GMPKIT_REQUIRES(root.lock) {
  G* prev = nullptr;
  for (G* gp = root.head; gp; prev = gp, gp = gp->sema.next) {
    if (gp != target) continue;
    if (prev)
      prev->sema.next = gp->sema.next;
    else
      root.head = gp->sema.next;
    if (root.tail == gp) root.tail = prev;
    gp->sema.next = nullptr;
    return true;
  }
  return false;
}

bool unlock_root(G*, void* lock) GMPKIT_NO_TSA {
  static_cast<rt::Mutex*>(lock)->unlock();
  return true;
}

// Go's goyield_m: like Gosched, but the G goes to the tail of the local run
// queue instead of the global one, so the waiter we just readied into
// runnext runs first and we follow on the same P.
G* goyield_m(core::M* mp, G* gp) {
  core::casgstatus(gp, core::GStatus::running, core::GStatus::runnable);
  core::dropg(mp);
  core::runqput(mp->p, gp, false);
  return nullptr;
}

}  // namespace

void semaForEachWaiter(void (*fn)(G* gp, std::size_t root, std::uint32_t nwait, void* arg),
                       void* arg) GMPKIT_NO_TSA {
  for (std::size_t i = 0; i < kSemTabSize; i++) {
    SemaRoot& root = g_semtable[i];
    rt::LockGuard g(root.lock);
    const std::uint32_t nwait = root.nwait.load(rt::relaxed);  // relaxed: under the lock
    if (root.head == nullptr && nwait != 0) fn(nullptr, i, nwait, arg);
    for (G* gp = root.head; gp; gp = gp->sema.next) fn(gp, i, nwait, arg);
  }
}

std::uint32_t semnwait(const std::uint32_t* addr) {
  return semroot(addr).nwait.load(
      rt::seq_cst);  // seq_cst: a test hook, ordering is irrelevant but cheap
}

void semacquire(std::uint32_t* addr, core::WaitReason reason, bool lifo) GMPKIT_NO_TSA {
  core::preempt_check_at_entry();  // Go's prologue check (core/proc.hpp)
  if (cansemacquire(addr)) return;
  G* gp = core::getg();
  if (gp == nullptr) throw usage_error("gmpkit: blocking call outside a goroutine");
  SemaRoot& root = semroot(addr);
  gp->sema.addr = addr;
  gp->sema.ticket = 0;
  for (;;) {
    root.lock.lock();
    // Add ourselves to nwait to disable the "easy case" in semrelease.
    root.nwait.fetch_add(1, rt::seq_cst);  // seq_cst: Dekker with semrelease's add-then-check
    if (!GMPKIT_PLANTED_BUG(semacquire_no_recheck_after_nwait) && cansemacquire(addr)) {
      root.nwait.fetch_sub(1, rt::seq_cst);
      root.lock.unlock();
      break;
    }
    enqueue(root, gp, lifo);
    try {
      core::gopark(unlock_root, &root.lock, reason);
    } catch (const forced_unwind&) {
      rt::LockGuard g(root.lock);
      if (remove(root, gp)) root.nwait.fetch_sub(1, rt::seq_cst);
      throw;
    }
    if (gp->sema.ticket != 0 || cansemacquire(addr)) break;
  }
  gp->sema.addr = nullptr;
}

void semrelease(std::uint32_t* addr, bool handoff) GMPKIT_NO_TSA {
  SemaRoot& root = semroot(addr);
  rt::AtomicRef<std::uint32_t>(*addr).fetch_add(
      1, rt::seq_cst);  // seq_cst: Dekker with semacquire's nwait
  if (root.nwait.load(rt::seq_cst) == 0) return;  // easy case: nobody to wake
  G* gp;
  {
    rt::LockGuard g(root.lock);
    if (root.nwait.load(rt::relaxed) == 0) return;  // relaxed: under the lock; someone else woke it
    gp = dequeue(root, addr);
    if (gp) root.nwait.fetch_sub(1, rt::seq_cst);
  }
  if (gp == nullptr) return;
  bool handed = handoff && !GMPKIT_PLANTED_BUG(semrelease_no_handoff) && cansemacquire(addr);
  if (handed) gp->sema.ticket = 1;
  core::goready(gp);  // gp may run (and clear its ticket) from here on
  if (handed) {
    // Direct handoff: let the waiter run now, in our time slice's place
    // (Go: "if s.ticket == 1 && getg().m.locks == 0 { goyield() }").
    core::M* mp = core::getm();
    // Not while shutdown runs the G (unwinding, or resumed after an async
    // stop: only it runs; and this is often inside an unlock in a destructor).
    if (mp && mp->curg && mp->p && mp->locks == 0 && !mp->curg->unwinding &&
        !mp->curg->exit_resume) {
      // No unwinding from here if shutdown comes first (we may be in a
      // noexcept destructor): it resumes us in place (G::resume_at_exit).
      core::G* gp = mp->curg;
      gp->resume_at_exit = core::G::StoppedAt::yield;
      core::mcall(goyield_m);
      gp->resume_at_exit = core::G::StoppedAt::none;
    }
  }
}

}  // namespace gmpkit::sync
