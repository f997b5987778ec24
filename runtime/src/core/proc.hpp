// core/proc.hpp — the life of the runtime and of each G (Go's proc.go:
// newproc, newproc1, malg, goexit1/goexit0, gfput/gfget, checkdead;
// run()'s schedinit/main and shutdown). Defined in core/proc.cpp, except
// gfput/gfget (core/p.cpp) and checkdead/report_deadlock (core/m.cpp).
//
// Owns: the thread-local current M (getm/setm), G creation and exit, the
// free-G caches, shutdown (begin_shutdown: sched.exiting) and the deadlock
// check. Invariants: a G is created dead -> runnable and put on its P's
// runq in one step (newproc); a G that exits goes back to a free list,
// never to the heap, during a run (Gs are freed only by shutdown).
// Lock rules: checkdead needs sched.lock (GMPKIT_REQUIRES); report_deadlock
// must be called without it.
#pragma once

#include <cstdint>
#include <exception>

#include "core/g.hpp"
#include "core/planted_bug.hpp"
#include "core/sched.hpp"
#include "gmpkit/detail/entry.hpp"
#include "platform/annotations.hpp"

namespace gmpkit::core {

// ---- Tuning (Go 1.19's values) ----
// goids are handed to each P in batches, so newproc rarely touches the
// shared counter (runtime2.go: _GoidCacheBatch = 16).
inline constexpr std::int64_t kGoidCacheBatch = 16;
// A P keeps at most kGFreeLocalMax dead Gs; at that point it moves Gs to the
// global free list until kGFreeLocalLow remain, and gfget refills up to
// kGFreeLocalLow (proc.go gfput: n >= 64 ... n >= 32; gfget: n < 32).
inline constexpr std::int32_t kGFreeLocalMax = 64;
inline constexpr std::int32_t kGFreeLocalLow = 32;

struct M;
struct P;

// Thread-local current M. Never cached across a switch: a G may resume on a
// different thread, so these are out-of-line reads.
M* getm() noexcept;
void setm(M* mp) noexcept;
// The running G, or nullptr on g0 / outside the runtime.
G* getg() noexcept;

void newproc(const detail::EntryOps& ops, void* fn);  // go()
[[noreturn]] void goexit1();  // the G is done
G* malg();  // new G with a stack
void gfput(P* pp, G* gp);  // a dead G to pp's free list (overflow to sched.gFree)
G* gfget(P* pp);  // a dead G with a stack, or nullptr

void begin_shutdown();  // main returned / a G threw
void record_panic(std::exception_ptr e);
bool checkdead() GMPKIT_REQUIRES(sched->lock);  // true: every G is blocked forever
void report_deadlock();  // sched->lock not held

// Cooperative preemption point, Go's function-prologue check: yields (to
// the global queue) if this G's P was asked to preempt, unless the G is in
// acquirem or holds a runtime lock. Called by preempt_point(), go(), and at
// the entry of chansend, chanrecv, selectgo and semacquire: without async
// preemption (TSan, Config::async_preempt = false) a channel ping-pong pair
// that hands its P back and forth through runnext never reaches another
// scheduling point, and execute() clears each request before it is seen.
void preempt_check();
// preempt_check at the entry of chansend, chanrecv, selectgo and semacquire.
inline void preempt_check_at_entry() {
  if (!GMPKIT_PLANTED_BUG(no_preempt_check_at_runtime_entry)) preempt_check();
}

}  // namespace gmpkit::core
