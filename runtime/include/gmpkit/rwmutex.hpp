// gmpkit/rwmutex.hpp — sync.RWMutex.
//
//   gmpkit::RWMutex rw;
//   { std::shared_lock r(rw); ... }     // rw.rlock() / rw.runlock()
//   { std::unique_lock w(rw); ... }     // rw.lock() / rw.unlock()
//
// Go 1.19's sync/rwmutex.go: a Mutex serialising writers, a reader count
// that a writer drives negative (-rwmutexMaxReaders) to announce itself, a
// count of departing readers the writer waits for, and two runtime
// semaphores. A blocked writer stops new readers (no writer starvation);
// readers waiting for a writer are all released by its unlock. Wait
// reasons: "sync.RWMutex.RLock", "sync.RWMutex.Lock" (and
// "sync.Mutex.Lock" for a writer queued behind another writer).
//
// Satisfies Lockable and SharedLockable. Not copyable. Recursive read
// locking is forbidden, as in Go (a blocked writer deadlocks it).
//
// Errors (gmpkit::usage_error, Go's messages; the lock is left as it was):
//   "sync: RUnlock of unlocked RWMutex", "sync: Unlock of unlocked RWMutex".
#pragma once

#include <cstdint>

#include "gmpkit/mutex.hpp"

namespace gmpkit {

class RWMutex {
 public:
  RWMutex() = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  void rlock();
  bool try_rlock();
  void runlock();
  void lock();
  bool try_lock();
  void unlock();

  // SharedLockable spelling (std::shared_lock).
  void lock_shared() { rlock(); }
  bool try_lock_shared() { return try_rlock(); }
  void unlock_shared() { runlock(); }

 private:
  void rUnlockSlow(std::int32_t r);

  Mutex w_;  // held if there are pending writers
  std::uint32_t writerSem_ = 0;  // writers wait here for departing readers
  std::uint32_t readerSem_ = 0;  // readers wait here for the writer
  alignas(4) std::int32_t readerCount_ = 0;  // pending readers (negative: a writer is pending)
  alignas(4) std::int32_t readerWait_ = 0;  // departing readers the writer still waits for
};

}  // namespace gmpkit
