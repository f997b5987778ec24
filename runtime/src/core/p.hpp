// core/p.hpp — the processor (Go's p in runtime2.go): the right to run Go
// code. gomaxprocs Ps exist; an M must hold one to run a G.
//
// Invariants: a P in `running` is held by exactly one M (pp->m) and that M's
// m->p == pp; a P in `idle` is on sched.pidle (and its bit is set in
// sched.idlepMask); `gcstop` only while the world is stopped.
#pragma once

#include <cstdint>

#include "core/g.hpp"
#include "core/runq.hpp"
#include "platform/atomic.hpp"
#include "time/timer.hpp"

namespace gmpkit::core {

struct M;

enum class PStatus : std::uint32_t { idle = 0, running = 1, syscall = 2, gcstop = 3, dead = 4 };
const char* pstatus_name(PStatus s) noexcept;

struct alignas(64) P {
  std::int32_t id = 0;
  rt::Atomic<std::uint32_t> status{static_cast<std::uint32_t>(PStatus::idle)};
  P* link = nullptr;  // sched.pidle list
  // schedtick: incremented by execute on every new time slice (read by
  // sysmon without the owner's cooperation, hence atomic).
  rt::Atomic<std::uint32_t> schedtick{0};
  rt::Atomic<std::uint32_t> syscalltick{0};
  M* m = nullptr;  // back-link to the M holding it
  // Preemption request for whatever G runs on this P (Go's pp.preempt):
  // set by sysmon (time slice used up, or wake-up preemption), stop-the-world
  // and shutdown; checked by the G at preempt_point(), go() and the entry of
  // channel, select and semaphore operations; cleared when a new time slice
  // starts (execute). slice_over: the request is sysmon's "this slice has
  // run out" (retake), which also holds for a G that inherits the slice
  // from runnext, so execute keeps the request then; any other request is
  // met once another G runs and is cleared. Both written by sysmon and the
  // owner M; relaxed: hints, re-sent every sysmon round until honoured.
  rt::Atomic<bool> preempt{false};
  rt::Atomic<bool> slice_over{false};

  LocalRunQueue runq;

  // Per-P free G cache (Go's p.gFree). Owner only.
  GList gFree;
  std::int32_t gFreeCount = 0;
  // Goroutine id cache (Go's goidcache): ids are taken from sched.goidgen
  // in batches of 16 so newproc does not contend on one counter.
  std::int64_t goidcache = 0, goidcacheend = 0;

  time::TimerHeap timers;

  // Per-P counters, written by the owner only, summed by readers.
  rt::Atomic<std::int64_t> ngcreated{0}, ngexited{0};
  // gmpkit::metrics() counters (observe/metrics.cpp): Gs taken from the
  // global runq and the batches they came in (globrunqget), and Ms that
  // started spinning while holding this P. Bumped with p_count() (load +
  // store, no RMW): only the P's owner writes them.
  rt::Atomic<std::int64_t> nglobrunqget{0}, nglobrunqbatch{0}, nspinning{0};
  // syscall()/syscall_block() calls made by Gs on this P, counted while the
  // M still owns it (entersyscall), so no shared cache line on the fast path.
  rt::Atomic<std::int64_t> nsyscall{0};

  // sysmon's view (Go's sysmontick), touched only by sysmon.
  std::uint32_t sysmon_schedtick = 0;
  std::int64_t sysmon_schedwhen = 0;
  std::uint32_t sysmon_syscalltick = 0;
  std::int64_t sysmon_syscallwhen = 0;

  PStatus pstatus() const noexcept {
    return static_cast<PStatus>(status.load(rt::acquire));
  }  // acquire: see the owner's writes
  void set_status(PStatus s) noexcept {
    status.store(static_cast<std::uint32_t>(s), rt::release);
  }  // release: publish prior writes
};

// Adds n to a per-P counter. Owner only: a plain load + store, no
// read-modify-write (relaxed: statistics, summed by readers).
inline void p_count(rt::Atomic<std::int64_t>& c, std::int64_t n = 1) noexcept {
  c.store(c.load(rt::relaxed) + n, rt::relaxed);
}

// allp (Go's allp): every P this run has made, indexed by id. Ps are never
// freed or moved before run() ends: procresize marks those past gomaxprocs
// dead and revives them if gomaxprocs grows again, so a P* read here stays
// valid. The live count changes only with the world stopped; lock-free
// readers (sysmon, stealers, stats) iterate the live prefix [0, size()).
class AllP {
 public:
  static constexpr std::int32_t kMax = 1024;  // Go's _MaxGomaxprocs is larger; 1024 is plenty here
  P* const* begin() const noexcept { return slots_; }
  P* const* end() const noexcept { return slots_ + size(); }
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(n_.load(rt::acquire));
  }  // acquire: pairs with set_size, so slots below it are visible
  P* operator[](std::size_t i) const noexcept { return slots_[i]; }
  // Every P ever made, live or dead (shutdown frees them all).
  std::int32_t allocated() const noexcept {
    return nalloc_.load(rt::acquire);
  }  // acquire: as size()
  P* slot(std::int32_t i) const noexcept { return slots_[i]; }
  // procresize only: world stopped, or before other threads exist.
  void set_slot(std::int32_t i, P* pp) noexcept {
    slots_[i] = pp;
    if (i >= allocated()) nalloc_.store(i + 1, rt::release);  // release: publishes the slot
  }
  void set_size(std::int32_t n) noexcept {
    n_.store(n, rt::release);
  }  // release: publishes the slots below n

 private:
  P* slots_[kMax] = {};
  rt::Atomic<std::int32_t> nalloc_{0};
  rt::Atomic<std::int32_t> n_{0};
};

}  // namespace gmpkit::core
