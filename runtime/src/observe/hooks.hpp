// observe/hooks.hpp — the one header of observe/ that the scheduler
// includes: every call the core makes into observability.
//
// Dependency direction: observe/ reads the core (sched, Ps, Ms, Gs) and sits
// above it; the core (core/, sysmon/, stw/, netpoll/, sync/, time/) calls
// observe/ only through the functions declared here. Check:
//   grep -rn '#include "observe/' runtime/src/{core,sysmon,stw,netpoll,sync,time}
// lists observe/hooks.hpp and nothing else. Everything else of observe/
// (trace buffers and export, dumps, the invariant checker, schedtrace text,
// metrics collection) is reached only from observe/ and the public API.
//
// Hot path: the trace hooks cost one relaxed load when tracing is off,
//   if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceXxx(...);
// and with the CMake option GMPKIT_TRACE=OFF trace_enabled() is constexpr
// false and every hook is an inline no-op, so the compiler removes them.
// Sampled scheduling latency and STW pauses are recorded always (they feed
// gmpkit::metrics(), which GMPKIT_TRACE does not switch off).
//
// Trace event sites (one call each):
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
// Design and invariants of the trace buffers: observe/trace.cpp.
#pragma once

#include <cstdint>
#include <string>

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

// ---- Execution tracer (observe/trace.cpp) ----
// Why a running G became runnable (GoStop's reason).
enum class TraceStopReason : std::uint8_t {
  yield = 0,
  preempt_coop = 1,
  preempt_async = 2,
  suspend = 3
};

#if GMPKIT_TRACE
extern rt::Atomic<bool> g_trace_enabled;
// relaxed: a hint; a hook that races with start/stop records or skips one
// event, and the buffers' own locks order everything that is recorded.
inline bool trace_enabled() noexcept { return g_trace_enabled.load(rt::relaxed); }

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
#else
constexpr bool trace_enabled() noexcept { return false; }
inline void traceTransition(core::G*, core::GStatus, core::GStatus) {}
inline void traceGoStart(core::M*, core::G*) {}
inline std::uint64_t traceGoCreateReserve() { return 0; }
inline void traceGoCreate(std::uint64_t, core::P*, core::G*, const core::G*) {}
inline void traceProcStart(core::M*, core::P*) {}
inline void traceProcStop(core::M*, core::P*) {}
inline void traceProcSteal(core::P*) {}
inline void traceRunqSteal(core::P*, core::P*) {}
inline void traceSTWBegin(const char*) {}
inline void traceSTWEnd() {}
inline void traceNotePreempt(TraceStopReason) {}
#endif

// run(): GMPKIT_TRACE=path (environment) traces the whole run.
void trace_run_begin();
void trace_run_end();

// ---- Metrics (observe/metrics.cpp) ----
// run(), before the Sched exists: a fresh set of histograms for this run.
void metrics_run_begin();
// casgstatus: runnable -> running latency of a sampled G (Go's
// sched.timeToRun, /sched/latencies:seconds).
void record_sched_latency(std::int64_t ns);
// stop_the_world: decision -> every P stopped; start_the_world: decision ->
// world restarted (the pause).
void record_stw_stopping(std::int64_t ns);
void record_stw_total(std::int64_t ns);
// Shutdown: keep this run's final metrics for gmpkit::metrics() after
// run() returns.
void save_final_metrics();

// ---- Goroutine dumps (observe/dump.cpp; who may read what: dump.hpp) ----
enum class DumpStacks { none, parked, racy };
// Appends the dump of every live G to *out. Must run while a runtime exists.
void write_goroutine_dump(std::string* out, DumpStacks stacks);
// Fatal runtime error (core::fatal / throw_g): the dump to stderr, best
// effort, at most once per process (nested fatals print nothing more).
void dump_on_fatal() noexcept;
// SIGQUIT (observe/sigquit.cpp): for the duration of run(), unless the
// program set its own SIGQUIT disposition, SIGQUIT prints "SIGQUIT: quit",
// the goroutine dump, and exits with status 2 (Go's behaviour).
void sigquit_install();
void sigquit_restore();

// ---- Config::verify_every (observe/invariant_verifier.cpp) ----
// The main goroutine calls this before user code: in GMPKIT_CHECKED builds
// with verify_every > 0 it starts the verifier goroutine (a system
// goroutine: not counted by num_goroutine()).
void verifier_start();
// sysmon, every round: wakes the verifier when its period has passed.
void verifier_tick(std::int64_t now);
// Live runtime-owned goroutines (subtracted by num_goroutine()).
std::int64_t system_goroutines() noexcept;

// ---- schedtrace (observe/schedtrace.cpp) ----
// sysmon start: reads the settings and stamps the run's start time.
void schedtrace_init();
// Each sysmon round: prints a report if one is due. Returns the nanotime
// of the next report (sysmon must not sleep past it), or 0 if off.
std::int64_t schedtrace_poll(std::int64_t now);

}  // namespace gmpkit::observe
