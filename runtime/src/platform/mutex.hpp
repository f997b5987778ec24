// platform/mutex.hpp — the runtime's lock and note (Go's lock_futex.go).
//
// rt::Mutex is Go's runtime mutex: three states (unlocked, locked, sleeping),
// active spinning (procyield), passive spinning (osyield), then a futex
// sleep. It is not recursive and is never held across a goroutine switch
// except where gopark releases it on g0 (goparkunlock).
//
// rt::Note is Go's note: a one-shot event. notesleep blocks until
// notewakeup; noteclear re-arms it. Exactly one thread sleeps on a note.
#pragma once

#include <cstdint>

#include "platform/annotations.hpp"
#include "platform/atomic.hpp"

namespace gmpkit::rt {

class GMPKIT_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() GMPKIT_ACQUIRE();
  void unlock() GMPKIT_RELEASE();
  bool try_lock() GMPKIT_TRY_ACQUIRE(true);
  // True if some thread holds it (debug assertions only; racy by nature).
  bool is_locked() const noexcept {
    return key_.load(relaxed) != kUnlocked;
  }  // relaxed: diagnostic only

 private:
  static constexpr std::uint32_t kUnlocked = 0, kLocked = 1, kSleeping = 2;
  Atomic<std::uint32_t> key_{kUnlocked};
};

class GMPKIT_TSA(scoped_lockable) LockGuard {
 public:
  explicit LockGuard(Mutex& m) GMPKIT_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~LockGuard() GMPKIT_RELEASE() { m_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& m_;
};

// Number of rt::Mutex locks the calling thread holds (or is acquiring): Go's
// m.locks for runtime locks. The preemption signal handler reads it: a
// goroutine is never preempted asynchronously while it holds a runtime lock
// (it may be running user code under one, e.g. an element move under a
// channel lock). Async-signal-safe.
int locks_held() noexcept;
// Under the simulator every M is a fiber on one OS thread: run() registers
// the count so that each M keeps its own (rt::register_thread_local).
void register_locks_held_thread_local() noexcept;

class Note {
 public:
  void clear() noexcept {
    key_.store(0, relaxed);
  }  // relaxed: only the sleeper clears, before it could be woken
  void wakeup() noexcept;
  void sleep() noexcept;
  // Sleep at most ns (ns < 0: forever). Returns true if woken, false on timeout.
  bool tsleep(std::int64_t ns) noexcept;
  bool is_set() const noexcept {
    return key_.load(acquire) != 0;
  }  // acquire: pairs with wakeup's release

 private:
  Atomic<std::uint32_t> key_{0};
};

}  // namespace gmpkit::rt
