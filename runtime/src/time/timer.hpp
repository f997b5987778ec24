// time/timer.hpp — per-P timer heaps (Go's time.go, simplified).
//
// Each P owns a 4-ary min-heap of timers ordered by `when`, protected by the
// P's timers lock (Go's timersLock). A timer is added to the heap of the P
// the adding goroutine runs on (addtimer), and is run by whichever M holds
// that P when it checks timers in findrunnable/schedule — or by a thief that
// steals from that P on the last stealing pass (stealWork), so timers of a
// busy P are not starved.
//
// Invariants:
//   * t.pp != nullptr  <=>  t is in t.pp's heap, at t.index.
//   * pp.timer0When == when of the heap's top (0 if the heap is empty), kept
//     up to date under the lock and readable without it (Go's timer0When).
//   * A firing timer is removed from the heap (t.pp = nullptr) under the
//     lock before f runs, unlocked; after that the runtime never touches t,
//     so f may re-arm it at once (a goroutine that sleeps again).
//
// Simplification vs Go 1.19: no timerModified* states — deltimer removes a
// timer from its heap directly under that P's lock.
#pragma once

#include <cstdint>
#include <vector>

#include "platform/annotations.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::core {
struct P;
}

namespace gmpkit::time {

struct Timer {
  std::int64_t when = 0;
  void (*f)(void* arg, std::uintptr_t seq) = nullptr;
  void* arg = nullptr;
  std::uintptr_t seq = 0;  // passed to f: lets f recognise a stale firing (Go's timer.seq)
  rt::Atomic<core::P*> pp{nullptr};  // heap it is in, or nullptr
  std::int32_t index = -1;  // GUARDED_BY(pp->timers.lock)
};

struct TimerHeap {
  rt::Mutex lock;
  std::vector<Timer*> heap GMPKIT_GUARDED_BY(lock);
  rt::Atomic<std::int64_t> timer0When{0};
  rt::Atomic<std::uint32_t> numTimers{0};
};

// Adds t (t.when and t.f set, not in any heap) to the current P's heap and
// pokes the poller if t is now the earliest timer. Must run with a P.
void addtimer(core::P* pp, Timer* t);
// Removes t if it is pending. Returns true if it was removed before firing.
bool deltimer(Timer* t);
// Runs pp's expired timers. Returns the `when` of pp's next timer (0: none)
// and sets *ran if any timer ran. *now is filled in if it was 0.
std::int64_t checkTimers(core::P* pp, std::int64_t* now, bool* ran);
// pp's earliest timer without locking (Go's nobarrierWakeTime).
inline std::int64_t nobarrierWakeTime(const TimerHeap& th) {
  return th.timer0When.load(rt::acquire);  // acquire: pairs with the release store under the lock
}
// Moves every timer of `from` into `to` (procresize). Both must be stopped.
void moveTimers(core::P* to, core::P* from);

}  // namespace gmpkit::time
