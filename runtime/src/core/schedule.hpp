// core/schedule.hpp — how Ms and Ps find and run Gs (Go's proc.go:
// schedule, findrunnable, execute, runqput/runqget, injectglist; mstart,
// startm, stopm, wakep, handoffp, resetspinning, mput/mget; acquirep,
// releasep, pidleput/pidleget). Defined in core/schedule.cpp, core/m.cpp
// (the M half) and core/p.cpp (the P half).
//
// Design:
//   G — goroutine, M — OS thread, P — processor (gomaxprocs of them).
//   An M runs Gs only while it holds a P. Each P has a local run queue
//   (LocalRunQueue::kSize = 256-slot ring + runnext); the global run queue, the idle-P
//   list and the idle-M list live in Sched under sched.lock.
//
//   Spinning. An M with a P and nothing to run "spins": it steals from other
//   Ps. At most half of the busy Ps' worth of Ms spin (2*nmspinning <
//   gomaxprocs - npidle). When work is made ready (newproc, goready) and
//   there is an idle P but no spinning M, wakep() starts one. A spinning M
//   that finds work calls resetspinning(), which wakes another spinner if
//   needed, so parallelism ramps up one M at a time without thundering
//   herds. A spinning M that gives up performs the "delicate dance":
//   decrement nmspinning, full barrier, re-check every runq and every
//   timer heap. Any producer does "publish work, full barrier, check
//   nmspinning", so one of the two always sees the other: no lost wakeups.
//
//   Timers are per P; an M with nothing to do becomes the poller (takes
//   sched.lastpoll) and sleeps in netpoll until the earliest timer;
//   wakeNetPoller interrupts it when an earlier timer is added.
//
// Invariants: an idle M is on sched.midle, parked, without a P; an idle P
// is on sched.pidle with its idlepMask bit set; m->p == pp iff pp->m == mp.
// Lock rules: the functions marked GMPKIT_REQUIRES(sched->lock) need it;
// the others take it themselves and must be called without it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/g.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "core/sched.hpp"
#include "platform/annotations.hpp"

namespace gmpkit::core {

// ---- Tuning (Go 1.19's values unless said otherwise) ----
// Every this many schedticks findrunnable looks at the global runq first, so
// a P with a busy local queue does not starve it (proc.go: schedtick%61 == 0).
inline constexpr std::uint32_t kGlobalRunqCheckPeriod = 61;
// Passes over all Ps when stealing; the last one also takes timers and
// runnext (proc.go stealWork: const stealTries = 4).
inline constexpr int kStealTries = 4;
// Stack of an M's thread, which g0 runs on (beyond Go, whose g0 gets 16 KiB
// in allocm: ours runs C++ scheduler code, signal handlers' callees and
// libunwind for dumps, so it gets a roomy thread stack).
inline constexpr std::size_t kG0StackSize = 512 * 1024;

// ---- schedule.cpp ----
void schedule_loop(M* mp);  // g0's loop; returns when the runtime exits
void execute(M* mp, G* gp, bool inheritTime);  // run gp on mp until it mcalls
void runqput(P* pp, G* gp, bool next);
G* runqget(P* pp, bool* inheritTime);
// Make a batch of waiting Gs runnable: onto our runq with a P, else onto the
// global runq, and start Ms for idle Ps (netpoll results, start the world).
void injectglist(GQueue* q);
// The same from an M whose thread has no getm(): sysmon passes its own M.
void injectglist(GQueue* q, M* mp);

// ---- m.cpp: Ms ----
void mstart(M* mp);  // the body of every M's thread
M* allocm(P* pp, bool spinning);
void newm(P* pp, bool spinning);
void startm(P* pp, bool spinning);
bool stopm(M* mp);  // false: the runtime is exiting (no P acquired)
void wakep();
void handoffp(P* pp);
void resetspinning(M* mp);
bool mput(M* mp) GMPKIT_REQUIRES(sched->lock);  // true: checkdead found a deadlock
M* mget() GMPKIT_REQUIRES(sched->lock);

// ---- p.cpp: Ps ----
void acquirep(M* mp, P* pp);
P* releasep(M* mp);
void pidleput(P* pp) GMPKIT_REQUIRES(sched->lock);
P* pidleget() GMPKIT_REQUIRES(sched->lock);

}  // namespace gmpkit::core
