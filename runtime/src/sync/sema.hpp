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
// Simplification vs Go: one list per root instead of a treap of per-address
// lists; dequeue scans the root's list for the address (roots are rarely
// shared by hot semaphores). Per address the order is Go's: FIFO, except
// that a lifo acquire goes in front of every other waiter on its address.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/gstatus.hpp"

namespace gmpkit::core {
struct G;
}

namespace gmpkit::sync {

// Blocks until *addr > 0, then decrements it. lifo: queue at the head of
// addr's waiters (Go's semacquire1 lifo, used by sync.Mutex for a waiter
// that already waited once).
void semacquire(std::uint32_t* addr, core::WaitReason reason, bool lifo = false);
// Increments *addr and wakes one waiter. handoff: pass the count straight
// to the woken waiter and yield our time slice to it (Go's
// semrelease1(handoff), used by a starving sync.Mutex).
void semrelease(std::uint32_t* addr, bool handoff);
// Waiters on addr's root (Go's SemNwait test hook; roots may be shared).
std::uint32_t semnwait(const std::uint32_t* addr);
// Debug (observe/invariants.cpp, world stopped): calls fn(g, root index,
// root's nwait) for every G queued on any root, taking each root's lock in
// turn; roots with no waiters but nwait != 0 are reported with g == nullptr.
void semaForEachWaiter(void (*fn)(core::G* gp, std::size_t root, std::uint32_t nwait, void* arg),
                       void* arg);

}  // namespace gmpkit::sync
