// sysmon/preempt.hpp — preemption requests and asynchronous preemption by
// signal (Go's preemptone/preemptall, preempt.go, signal_unix.go:
// preemptM, doSigPreempt, wantAsyncPreempt, isAsyncSafePoint). The async
// safe-point rule and its consequences: sysmon/preempt.cpp.
//
// Invariants: at most one preemption signal in flight per M
// (m.signalPending); the handler injects a call only at an async safe
// point, otherwise it leaves the thread untouched and the request stands.
// Lock rules: preemptone/preemptall take no lock (callable from any thread,
// sched.lock held or not); the signal handler takes none.
#pragma once

#include <cstdint>

#include "core/g.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "sysmon/sysmon.hpp"

namespace gmpkit::sysmon {

// ---- Tuning ----
// Wake-up preemption re-sends a request not yet honoured after this long
// (beyond Go: a G not at a safe point gets another signal soon, not a
// whole sysmon back-off later).
inline constexpr std::int64_t kWakeupResendNs = 50 * 1000;

// GMPKIT_DEBUG="name=value,..." (Go's GODEBUG): the integer value of name,
// or def if absent.
int debug_setting(const char* name, int def);

// Once per run(), before sysmon starts: GMPKIT_DEBUG, the SIGURG handler,
// the code-region table, the XSAVE geometry. Decides async_preempt_enabled().
void preempt_init();
bool async_preempt_enabled() noexcept;
// Go's preemptone: ask the G running on pp to stop (cooperative flag, plus
// the preemption signal when async preemption is on and `async`). Returns
// false if pp runs no G (or runs the caller). Callable from any thread.
bool preemptone(core::P* pp, bool async = true);
// Go's preemptall: preemptone every running P (stop-the-world). Returns
// true if at least one request was made.
bool preemptall(bool async = true);
// Wake-up preemption (Config::min_slice), called by sysmon each round after
// retake: if every P is busy and a P's earliest timer is due, preempt that
// P's G once it has run min_slice. Returns when sysmon should look again
// (nanotime; 0: nothing pending).
std::int64_t wakeup_preempt(std::int64_t now);

// Shutdown, step 3 (core/proc.cpp), m0 alone: run gp — stopped where it
// must not be unwound (G::resume_at_exit: by the preemption signal in user
// code, or in a no-throw yield) — once more, from where it stopped. It may
// end normally, or reach a scheduling point, where it is unwound
// (forced_unwind). Still in a call-free stretch after
// `deadline` (nanotime; shutdown gives all such goroutines one shared
// grace), it is stopped by signal again and retired without unwinding.
// Returns once gp is dead.
inline constexpr std::int64_t kExitResumeResendNs = 1000 * 1000;
void resume_at_exit(core::M* m0, core::G* gp, std::int64_t deadline);

}  // namespace gmpkit::sysmon
