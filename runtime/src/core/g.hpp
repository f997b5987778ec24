// core/g.hpp — the goroutine (Go's g in runtime2.go).
//
// A G is a stackful coroutine: its saved registers (sched), its own mmap'd
// stack, its status word, and the links that put it on exactly one queue at
// a time (schedlink: a run queue, the global runq, a free list or a wait
// list). G structs are never freed during a run(): dead Gs keep their stack
// and go back to the per-P / global free lists (gfput/gfget), as in Go.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "core/gstatus.hpp"
#include "core/stack.hpp"
#include "gmpkit/detail/entry.hpp"
#include "observe/hooks.hpp"
#include "platform/atomic.hpp"
#include "time/timer.hpp"

namespace gmpkit::core {

struct M;
struct P;

// One recorded status change (the G's "last 16 transitions").
struct GTransition {
  GStatus from, to;
  std::int32_t m;  // M id that made it (-1: none)
  std::int64_t when;  // nanotime
};

// A goroutine waiting on a runtime semaphore (Go's sudog, as sema.go uses it).
struct SemaWaiter {
  void* addr = nullptr;
  struct G* next = nullptr;
  std::uint32_t ticket = 0;  // 1: the semaphore was handed off to us
};

struct G {
  Context sched;  // saved registers while not running (Go: gobuf)
  Stack stack;
  std::int64_t goid = 0;
  rt::Atomic<std::uint32_t> atomicstatus{static_cast<std::uint32_t>(GStatus::idle)};
  M* m = nullptr;  // current M while running or in a syscall
  G* schedlink = nullptr;  // the one queue/list this G is on
  G* alllink = nullptr;  // allgs (never unlinked)

  // The goroutine body, moved into the top of the stack by newproc.
  const detail::EntryOps* entry_ops = nullptr;
  void* entry_obj = nullptr;
  bool started = false;  // has entered its body (so has frames to unwind)

  // Written by the G's own M; read racily by debug::goroutines() and dumps
  // (relaxed everywhere: a diagnostic snapshot).
  rt::Atomic<WaitReason> waitreason{WaitReason::zero};
  rt::Atomic<std::int64_t> waitsince{0};
  bool unwinding = false;  // shutdown: resume only to throw forced_unwind
  // Stopped where it must not be unwound (sysmon/preempt.cpp): by the
  // preemption signal in user code (no landing pad at that pc), or in the
  // semaphore handoff's yield (often inside an unlock in a destructor).
  // Shutdown resumes such a G in place instead (sysmon::resume_at_exit),
  // with exit_resume set while it runs on to its end or its next
  // scheduling point, where it is unwound. Written only by the G itself and
  // by shutdown's m0 (nothing else runs then).
  enum class StoppedAt : std::uint8_t { none, signal, yield };
  StoppedAt resume_at_exit = StoppedAt::none;
  bool exit_resume = false;

  M* lockedm = nullptr;  // LockOSThread: the M this G is wired to

  // Scheduling-latency sampling (Go's g.tracking / trackingSeq /
  // runnableStamp; core/g.cpp casgstatus): every 8th time the G leaves
  // `running` (and at birth) it is tracked until it runs again, and the
  // time it spent runnable goes into sched.sched_latency. Touched only by
  // whoever makes the G's status change (ordered by the status CAS).
  std::uint8_t trackingSeq = 0;
  bool tracking = false;
  std::int64_t runnableStamp = 0;

  SemaWaiter sema;
  time::Timer timer;  // the G's own timer (sleep_for)

  // Sanitizer fiber state (unused in plain builds).
  void* asan_fake_stack = nullptr;
  void* tsan_fiber = nullptr;

  // Last 16 transitions, for fatal-error reports (checked builds).
  static constexpr unsigned kHistory = 16;
  GTransition history[kHistory]{};
  std::uint32_t history_n = 0;

  GStatus status() const noexcept {
    // acquire: a reader that sees a status also sees what its writer did before.
    return static_cast<GStatus>(atomicstatus.load(rt::acquire));
  }
};

// casgstatus's out-of-line parts (core/g.cpp).
// Checked builds: the whole casgstatus, with the table check and history.
void casgstatus_checked(G* gp, GStatus from, GStatus to);
// A tracked (sampled) G changes status: the runnable time stamps.
void casgstatus_track(G* gp, GStatus from, GStatus to);
// The CAS found gp in another status than `from`: abort with its history.
[[noreturn, gnu::cold]] void casgstatus_failed(const G* gp, GStatus from, GStatus to);

// Go's casgstatus tracking period (gTrackingPeriod): the runnable -> running
// latency of every 8th run of each G, plus its first, is sampled.
inline constexpr std::uint8_t kTrackingPeriod = 8;

// casgstatus without the checked builds' table check and history.
inline void casgstatus_nocheck(G* gp, GStatus from, GStatus to) {
  // Before the CAS: the caller owns gp until the CAS publishes it (a G
  // made runnable may be running on another M right after).
  if (from == GStatus::running || from == GStatus::dead) {
    if (gp->trackingSeq % kTrackingPeriod == 0) gp->tracking = true;
    gp->trackingSeq++;
  }
  if (GMPKIT_UNLIKELY(gp->tracking)) casgstatus_track(gp, from, to);
  // acq_rel: release publishes what the G's owner did before (e.g. a
  // parked G's wait state) to whoever observes the new status; acquire
  // orders our later accesses after the previous owner's.
  if (GMPKIT_UNLIKELY(!gp->atomicstatus.cas(static_cast<std::uint32_t>(from),
                                            static_cast<std::uint32_t>(to), rt::acq_rel)))
    casgstatus_failed(gp, from, to);
  // After the CAS, before the caller publishes gp (runq, wait queue): the
  // event's place in the trace order precedes the G's next transition.
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceTransition(gp, from, to);
}

// The one function that changes a G's status (Go's casgstatus). Aborts with
// the G's id and recent transitions if the G is not in `from`, or (checked
// builds) if from -> to is not in the table. Inline: nearly every call site
// passes constant statuses, so the tracking branches fold away; the sampled
// time stamps (1 run in 8), the trace hook and the failure stay out of line.
inline void casgstatus(G* gp, GStatus from, GStatus to) {
#if GMPKIT_CHECKED
  casgstatus_checked(gp, from, to);
#else
  casgstatus_nocheck(gp, from, to);
#endif
}

// Fatal runtime error about gp: prints msg, the G's id, status and its last
// transitions, then aborts. Never returns.
[[noreturn]] void throw_g(const char* msg, const G* gp);
// Fatal runtime error (Go's throw). Never returns.
[[noreturn]] void fatal(const char* msg);

// A FIFO of Gs linked through schedlink (Go's gQueue).
struct GQueue {
  G* head = nullptr;
  G* tail = nullptr;
  bool empty() const noexcept { return head == nullptr; }
  void push_back(G* gp) noexcept {
    gp->schedlink = nullptr;
    if (tail)
      tail->schedlink = gp;
    else
      head = gp;
    tail = gp;
  }
  void push_front(G* gp) noexcept {
    gp->schedlink = head;
    head = gp;
    if (!tail) tail = gp;
  }
  void push_back_all(GQueue q) noexcept {
    if (q.empty()) return;
    if (tail)
      tail->schedlink = q.head;
    else
      head = q.head;
    tail = q.tail;
  }
  G* pop() noexcept {
    G* gp = head;
    if (gp) {
      head = gp->schedlink;
      if (!head) tail = nullptr;
      gp->schedlink = nullptr;
    }
    return gp;
  }
};

// A LIFO of Gs linked through schedlink (Go's gList).
struct GList {
  G* head = nullptr;
  bool empty() const noexcept { return head == nullptr; }
  void push(G* gp) noexcept {
    gp->schedlink = head;
    head = gp;
  }
  G* pop() noexcept {
    G* gp = head;
    if (gp) {
      head = gp->schedlink;
      gp->schedlink = nullptr;
    }
    return gp;
  }
};

}  // namespace gmpkit::core
