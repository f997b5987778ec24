// core/park.hpp — the only places a stack changes (docs/ARCHITECTURE.md
// §2, the context-switch seam): gogo (g0 -> G) and mcall (G -> g0), and on
// top of them gopark/goready, gosched and cooperative preemption (Go's
// proc.go: mcall, gogo, gopark, park_m, goready, Gosched, gopreempt_m).
// Defined in core/park.cpp; every blocking primitive in sync/, time/ and
// netpoll/ parks through gopark.
//
// Invariants: a G never switches to another G directly; it mcall()s to its
// M's g0, whose handler changes the G's status once nothing runs on the G's
// stack any more. A resumed G re-reads its M (it may be on another thread).
// Lock rules: gopark's unlockf runs on g0 after the G is parked, so a lock
// held across gopark is released only once a waker can find the G; no
// runtime lock is held across gogo.
#pragma once

#include "core/g.hpp"
#include "core/gstatus.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::core {

struct M;

// Switch to g0 and run fn(m, g) there (Go's mcall). Returns when the G is
// resumed; throws forced_unwind if it is resumed only to be unwound.
void mcall(G* (*fn)(M*, G*));
[[noreturn]] void mcall_exit(G* (*fn)(M*, G*));  // goexit: never resumed
void dropg(M* mp);
void gogo(M* mp, G* gp);  // g0 -> gp
void gopark(bool (*unlockf)(G*, void*), void* lock, WaitReason reason);
// gopark that releases *lock (held by the caller) on g0 once the G waits.
void goparkunlock(rt::Mutex* lock, WaitReason reason) GMPKIT_RELEASE(*lock);
void goready(G* gp);
void gosched();  // yield
// Shutdown resumed gp in place (G::exit_resume) and it reached a scheduling
// point (a call site, so its frames can unwind from here): nothing else will
// run, so throw forced_unwind instead of parking, yielding or entering a
// syscall.
[[noreturn]] void unwind_exit_resumed(G* gp);
void gopreempt();  // cooperative preemption (Go's gopreempt_m)

}  // namespace gmpkit::core
