// sync/sema.hpp — the runtime semaphore (Go's sema.go): semacquire /
// semrelease on a 32-bit counter in user memory, parking goroutines.
//
// Waiters hash by address into 251 roots (Go's semTabSize); each root has a
// lock, a FIFO of waiting Gs (SemaWaiter lives in the G: a G waits on at
// most one semaphore) and an atomic waiter count so semrelease can skip the
// lock when nobody waits. semrelease(handoff=true) passes the count
// straight to the first waiter (ticket) and yields to it, as Go's
// semrelease1(handoff) does for starving sync.Mutex.
//
// Simplification vs Go: one FIFO per root instead of a treap of per-address
// lists; dequeue scans the root's list for the address (roots are rarely
// shared by hot semaphores). Channels' issue replaces this if it matters.
#pragma once

#include <cstdint>

#include "core/gstatus.hpp"

namespace gmpkit::sync {

// Blocks until *addr > 0, then decrements it.
void semacquire(std::uint32_t* addr, core::WaitReason reason);
// Increments *addr and wakes one waiter.
void semrelease(std::uint32_t* addr, bool handoff);

}  // namespace gmpkit::sync
