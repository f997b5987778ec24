// observe/trace.hpp — the execution tracer's hooks (internal).
//
// Cost when off: every hook site reads one global flag with a relaxed load,
//   if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceXxx(...);
// and with the CMake option GMPKIT_TRACE=OFF trace_enabled() is constexpr
// false, so the compiler removes the hooks entirely.
//
// Event sites (one call each):
//   execute (schedule.cpp)      GoStart (with the slice's schedtick)
//   casgstatus (core/g.cpp)     every other G transition -> GoStop, GoBlock,
//                               GoUnblock, GoSyscallBegin/End/EndBlocked,
//                               GoDestroy (dead -> runnable is GoCreate, below)
//   newproc / run (proc.cpp)    GoCreate, stamped after runqput: the G is
//                               runnable AND in a run queue (its birth moment)
//   acquirep / releasep         ProcStart / ProcStop
//   sysmon retake               ProcSteal (a P taken from an M in a syscall,
//                               Go 1.22's meaning)
//   stealWork                   RunqSteal (work stealing, beyond Go's set)
//   stop/start_the_world        STWBegin / STWEnd
//   gopreempt_m, async preempt  the reason the next GoStop carries
// Design and invariants of the buffers: observe/trace.cpp.
#pragma once

#include <cstdint>

#include "core/gstatus.hpp"
#include "platform/atomic.hpp"

#ifndef GMPKIT_TRACE
#define GMPKIT_TRACE 1
#endif
#ifndef GMPKIT_UNLIKELY
#define GMPKIT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

namespace gmpkit::core {
struct G;
struct M;
struct P;
}  // namespace gmpkit::core

namespace gmpkit::observe {

#if GMPKIT_TRACE
extern rt::Atomic<bool> g_trace_enabled;
// relaxed: a hint; a hook that races with start/stop records or skips one
// event, and the buffers' own locks order everything that is recorded.
inline bool trace_enabled() noexcept { return g_trace_enabled.load(rt::relaxed); }
#else
constexpr bool trace_enabled() noexcept { return false; }
#endif

// Why a running G became runnable (GoStop's reason).
enum class TraceStopReason : std::uint8_t {
  yield = 0,
  preempt_coop = 1,
  preempt_async = 2,
  suspend = 3
};

// casgstatus, after the status word changed.
void traceTransition(core::G* gp, core::GStatus from, core::GStatus to);
// execute, after the schedtick of the new slice is counted (casgstatus
// leaves runnable -> running to this hook).
void traceGoStart(core::M* mp, core::G* gp);
// newproc: call before runqput (reserves the event's place in the order, so
// no thief can start the G "before" it was created) ...
std::uint64_t traceGoCreateReserve();
// ... and after runqput (the timestamp: runnable and in a run queue).
void traceGoCreate(std::uint64_t reserved, core::P* pp, core::G* newg, const core::G* parent);
void traceProcStart(core::M* mp, core::P* pp);
void traceProcStop(core::M* mp, core::P* pp);
void traceProcSteal(core::P* pp);  // pp was in a syscall; its M lost it
void traceRunqSteal(core::P* thief, core::P* victim);
void traceSTWBegin(const char* reason);
void traceSTWEnd();
// The next running -> runnable transition on this thread is a preemption.
void traceNotePreempt(TraceStopReason r);

// Tests only: shrink the buffers (events per chunk, and the most chunks a
// trace may hold) to exercise the lost-events path. 0 restores a default.
void trace_set_limits_for_test(std::uint32_t chunk_events, std::uint32_t max_chunks);

// run(): GMPKIT_TRACE=path traces the whole run.
void trace_run_begin();
void trace_run_end();

}  // namespace gmpkit::observe
