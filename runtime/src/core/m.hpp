// core/m.hpp — the machine (Go's m): an OS thread.
//
// Each M has a g0: the scheduler context that runs on the thread's own
// stack. Every scheduling decision happens on g0: a G gives up the CPU by
// mcall(fn), which switches to g0 and runs fn(g) there (park_m, gosched_m,
// goexit0, ...); g0 then finds the next G and gogo()s to it.
//
// Invariants: m->p != nullptr iff the M may run Go code; a spinning M holds
// a P and has no G (m->curg == nullptr); an idle M is on sched.midle, parked
// on its note, and holds no P.
#pragma once

#include <cstdint>

#include "core/g.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"
#include "platform/random.hpp"
#include "platform/thread.hpp"

namespace gmpkit::core {

struct P;

struct M {
  std::int64_t id = 0;
  G g0;  // scheduler context (its stack is the thread stack)
  G* curg = nullptr;  // G running on this M
  P* p = nullptr;  // attached P
  P* nextp = nullptr;
  P* oldp = nullptr;  // P held before a syscall
  std::uint32_t syscalltick = 0;  // oldp's syscalltick at entersyscall
  bool spinning = false;  // looking for work (counted in sched.nmspinning)
  bool blocked = false;  // parked on `park`
  // LockOSThread (core/lockosthread.cpp): the G wired to this M, Go's
  // external nesting count, and whether the M is parked waiting for it.
  G* lockedg = nullptr;
  std::uint32_t lockedExt = 0;
  bool lockedwait = false;  // GUARDED_BY(sched->lock)
  bool exit_thread = false;  // its locked G exited: leave schedule_loop and end the thread
  int stw_syscalls = 0;  // syscalls made by the G holding the stopped world (run inline)
  int locks = 0;  // acquirem depth: >0 forbids async preemption
  rt::Note park;
  // Gs this M has made runnable and not yet queued: a schedlink chain
  // (exitsyscall0: its G alone; injectglist without a P: the batch). Set
  // (release) before the first status change, cleared under sched.lock
  // once the Gs are on the global runq. However long the M is descheduled
  // in between, the invariant checker (which holds sched.lock) accounts
  // the Gs to this M instead of finding them "runnable and nowhere".
  rt::Atomic<G*> readying{nullptr};
  M* schedlink = nullptr;  // sched.midle
  M* alllink = nullptr;  // sched.allm
  rt::FastRand rand;
  rt::Thread thread;
  bool is_m0 = false;
  rt::Atomic<bool> exited{false};
  // newm's progress, for shutdown's joiner: kThreadCreating until
  // thread_create returned (then `thread` is valid), or kNoThread.
  static constexpr std::uint32_t kThreadCreating = 0, kThreadRunning = 1, kNoThread = 2;
  rt::Atomic<std::uint32_t> thread_state{kThreadCreating};
  bool joined = false;  // m0 (shutdown) only

  // mcall: the function g0 runs on behalf of curg. Returns the G to run
  // next, or nullptr to schedule().
  G* (*mcall_fn)(M* mp, G* gp) = nullptr;

  // gopark's unlock function (Go's m.waitunlockf / waitlock).
  bool (*waitunlockf)(G* gp, void* lock) = nullptr;
  void* waitlock = nullptr;
  WaitReason waitreason = WaitReason::zero;

  // Preemption signal (sysmon/preempt.cpp): the OS thread id signals are sent
  // to (Go's m.procid, set by the thread itself before it takes a P), and
  // Go's m.signalPending (one signal in flight at a time; the handler clears it).
  std::int64_t procid = 0;
  rt::Atomic<std::uint32_t> signalPending{0};

  void* sigstack = nullptr;
  void* g0_stack_lo = nullptr;  // for sanitizer fiber switches
  std::size_t g0_stack_size = 0;
};

}  // namespace gmpkit::core
