// gmpkit/waitgroup.hpp — sync.WaitGroup.
//
// Go's algorithm: one 64-bit state word (counter in the high 32 bits, waiter
// count in the low 32) and a runtime semaphore. wait() parks the goroutine
// (wait reason "sync.WaitGroup.Wait"), never the thread.
#pragma once

#include <cstdint>

namespace gmpkit {

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  // Adds delta (may be negative). Throws usage_error("sync: negative
  // WaitGroup counter") if the counter would go below zero, and
  // usage_error("sync: WaitGroup misuse: Add called concurrently with Wait")
  // when Go would panic with that message.
  void add(int delta);
  void done() { add(-1); }
  // Blocks the calling goroutine until the counter is zero.
  void wait();

 private:
  // Accessed only through the runtime's atomic facade (rt::AtomicRef) so
  // the deterministic simulator sees every access.
  alignas(8) std::uint64_t state_ = 0;  // counter << 32 | waiters
  std::uint32_t sema_ = 0;
};

}  // namespace gmpkit
