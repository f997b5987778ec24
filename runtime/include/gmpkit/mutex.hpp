// gmpkit/mutex.hpp — sync.Mutex.
//
//   gmpkit::Mutex mu;
//   { std::lock_guard g(mu); ... }      // or mu.lock(); ... mu.unlock();
//
// Go 1.19's sync/mutex.go: one 32-bit state word (locked, woken, starving
// bits and a waiter count) and a runtime semaphore. Blocking parks the
// goroutine (wait reason "sync.Mutex.Lock"), never the thread.
//
// Two modes, as Go's:
//   normal     waiters queue FIFO, but a woken waiter competes with newly
//              arriving goroutines (which are already on a CPU and usually
//              win); a waiter that loses is queued at the front again.
//   starvation a waiter that waited more than 1 ms switches the mutex to
//              starvation mode: unlock hands ownership directly to the
//              waiter at the front of the queue (FIFO handoff) and yields to
//              it; newcomers do not spin and queue at the tail. The mode
//              ends when the last waiter is served or a waiter waited < 1 ms.
//
// Like Go's, a Mutex is not tied to a goroutine: one goroutine may lock it
// and another unlock it. Satisfies Lockable (std::lock_guard,
// std::unique_lock, std::scoped_lock). Not copyable.
//
// Errors: unlock of an unlocked mutex throws
// gmpkit::usage_error("sync: unlock of unlocked mutex") (Go: fatal error);
// the mutex is left as it was. Blocking outside a goroutine throws
// usage_error.
#pragma once

#include <cstdint>

namespace gmpkit {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();

 private:
  void lockSlow();
  void unlockSlow(std::int32_t newstate);

  // Accessed only through the runtime's atomic facade (rt::AtomicRef).
  alignas(4) std::int32_t state_ = 0;
  std::uint32_t sema_ = 0;
};

}  // namespace gmpkit
