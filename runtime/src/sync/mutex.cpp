// sync/mutex.cpp — sync.Mutex (Go 1.19's sync/mutex.go) and the runtime
// helpers it uses (proc.go's sync_runtime_canSpin / sync_runtime_doSpin).
//
// state_ (int32): bit 0 mutexLocked, bit 1 mutexWoken (a waiter is awake
// or spinning: unlock need not wake another), bit 2 mutexStarving, bits
// 3.. the number of goroutines blocked on sema_. Every transition is a CAS
// or an atomic add on the whole word, exactly as Go's; see gmpkit/mutex.hpp
// for the two modes. The invariants Go throws on ("sync: inconsistent
// mutex state") abort here too.
#include "gmpkit/mutex.hpp"
#include "core/m.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/error.hpp"
#include "platform/clock.hpp"
#include "platform/futex.hpp"
#include "sync/sema.hpp"

namespace gmpkit {

namespace {

constexpr std::int32_t mutexLocked = 1;
constexpr std::int32_t mutexWoken = 2;
constexpr std::int32_t mutexStarving = 4;
constexpr int mutexWaiterShift = 3;
constexpr std::int64_t starvationThresholdNs = 1'000'000;
constexpr int active_spin = 4;  // Go's active_spin
constexpr int active_spin_cnt = 30;  // Go's active_spin_cnt

// Go's sync_runtime_canSpin: spin only a few times, only on a multicore
// machine with other running Ps (someone who can unlock), and only if our
// own run queue is empty (otherwise running that work is better).
bool canSpin(int i) {
  if (i >= active_spin) return false;
  core::M* mp = core::getm();
  if (mp == nullptr || mp->p == nullptr || core::sched == nullptr) return false;
  // A heuristic: relaxed/seq_cst loads only need a recent value.
  if (core::sched->gomaxprocs.load(rt::relaxed) <=
      core::sched->npidle.load(rt::seq_cst) + core::sched->nmspinning.load(rt::seq_cst) + 1)
    return false;
  return mp->p->runq.empty();
}

void doSpin() { rt::procyield(active_spin_cnt); }

}  // namespace

void Mutex::lock() {
  // Fast path: grab the unlocked mutex. acq_rel: acquire the previous
  // owner's critical section.
  if (rt::AtomicRef<std::int32_t>(state_).cas(0, mutexLocked, rt::acq_rel)) return;
  lockSlow();
}

bool Mutex::try_lock() {
  rt::AtomicRef<std::int32_t> state(state_);
  std::int32_t old = state.load(rt::relaxed);  // relaxed: the CAS below validates it
  if (old & (mutexLocked | mutexStarving)) return false;
  // There may be a goroutine waiting for the mutex, but we are running now
  // and can try to grab it before that goroutine wakes up.
  return state.cas(old, old | mutexLocked, rt::acq_rel);  // acq_rel: as lock()
}

void Mutex::lockSlow() {
  rt::AtomicRef<std::int32_t> state(state_);
  std::int64_t waitStartTime = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state.load(rt::relaxed);  // relaxed: every use is validated by a CAS
  for (;;) {
    // Don't spin in starvation mode: ownership is handed off to waiters, so
    // we could not acquire the mutex anyway.
    if ((old & (mutexLocked | mutexStarving)) == mutexLocked && canSpin(iter)) {
      // Active spinning makes sense. Try to set the woken flag to tell
      // unlock not to wake other blocked goroutines.
      if (!awoke && (old & mutexWoken) == 0 && (old >> mutexWaiterShift) != 0 &&
          state.cas(old, old | mutexWoken,
                    rt::relaxed)) {  // relaxed: a hint bit, nothing is published
        awoke = true;
      }
      doSpin();
      iter++;
      old = state.load(rt::relaxed);  // relaxed: as above
      continue;
    }
    std::int32_t nw = old;
    // Don't try to acquire a starving mutex; new goroutines must queue.
    if ((old & mutexStarving) == 0) nw |= mutexLocked;
    if (old & (mutexLocked | mutexStarving)) nw += 1 << mutexWaiterShift;
    // The current goroutine switches the mutex to starvation mode, but only
    // if it is locked (unlock expects waiters in starvation mode).
    if (starving && (old & mutexLocked)) nw |= mutexStarving;
    if (awoke) {
      // The goroutine has been woken from sleep, so we need to reset the flag.
      if ((nw & mutexWoken) == 0) core::fatal("sync: inconsistent mutex state");
      nw &= ~mutexWoken;
    }
    // acq_rel: on success we may own the mutex (acquire the previous
    // owner's writes); the release half orders our waiter registration.
    if (state.cas(old, nw, rt::acq_rel)) {
      if ((old & (mutexLocked | mutexStarving)) == 0) break;  // locked the mutex with CAS
      // If we were already waiting before, queue at the front of the queue.
      bool queueLifo = waitStartTime != 0;
      if (waitStartTime == 0) waitStartTime = rt::nanotime();
      sync::semacquire(&sema_, core::WaitReason::sync_mutex_lock, queueLifo);
      starving = !GMPKIT_PLANTED_BUG(mutex_no_starvation) &&
                 (starving || rt::nanotime() - waitStartTime > starvationThresholdNs);
      old = state.load(rt::acquire);  // acquire: a handoff's state and the unlocker's writes
      if (old & mutexStarving) {
        // Ownership was handed off to us, but the mutex is in a slightly
        // inconsistent state: mutexLocked is not set and we are still
        // counted as a waiter. Fix that.
        if ((old & (mutexLocked | mutexWoken)) != 0 || (old >> mutexWaiterShift) == 0)
          core::fatal("sync: inconsistent mutex state");
        std::int32_t delta = mutexLocked - (1 << mutexWaiterShift);
        // Exit starvation mode if we waited < 1 ms or are the last waiter.
        if (!starving || (old >> mutexWaiterShift) == 1) delta -= mutexStarving;
        state.fetch_add(delta, rt::acq_rel);  // acq_rel: we own the mutex from here
        break;
      }
      awoke = true;
      iter = 0;
    } else {
      old = state.load(rt::relaxed);  // relaxed: validated by the next CAS
    }
  }
}

void Mutex::unlock() {
  // Fast path: drop the lock bit. release: publish the critical section.
  std::int32_t nw =
      rt::AtomicRef<std::int32_t>(state_).fetch_add(-mutexLocked, rt::acq_rel) - mutexLocked;
  if (nw != 0) unlockSlow(nw);  // outlined so the fast path stays small
}

void Mutex::unlockSlow(std::int32_t nw) {
  rt::AtomicRef<std::int32_t> state(state_);
  if (((nw + mutexLocked) & mutexLocked) == 0) {
    // Go: fatal("sync: unlock of unlocked mutex"). Undo our decrement so
    // the mutex is as it was, then report the misuse — except from a
    // destructor run by a shutdown unwind (forced_unwind), where throwing
    // would terminate: a guard around an interrupted Cond::wait may not
    // hold the lock any more.
    state.fetch_add(mutexLocked, rt::acq_rel);  // acq_rel: as unlock()
    if (core::G* gp = core::getg(); gp != nullptr && gp->unwinding) return;
    throw usage_error("sync: unlock of unlocked mutex");
  }
  if ((nw & mutexStarving) == 0) {
    std::int32_t old = nw;
    for (;;) {
      // No waiters, or a goroutine has already been woken or grabbed the
      // lock, or the mutex is starving: nobody to wake.
      if ((old >> mutexWaiterShift) == 0 || (old & (mutexLocked | mutexWoken | mutexStarving)) != 0)
        return;
      // Grab the right to wake someone.
      nw = (old - (1 << mutexWaiterShift)) | mutexWoken;
      if (state.cas(old, nw,
                    rt::acq_rel)) {  // acq_rel: orders the waiter count with the semrelease
        sync::semrelease(&sema_, false);
        return;
      }
      old = state.load(rt::relaxed);  // relaxed: validated by the next CAS
    }
  }
  // Starving mode: hand off ownership to the next waiter and yield our
  // time slice so it can start running right away. mutexLocked is not set;
  // the waiter sets it after wakeup. A newcomer that sees mutexStarving
  // does not take the mutex.
  sync::semrelease(&sema_, true);
}

}  // namespace gmpkit
