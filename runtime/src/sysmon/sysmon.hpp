// sysmon/sysmon.hpp — the system monitor (Go's sysmon, proc.go): a
// dedicated M without a P that watches the scheduler. Namespace
// gmpkit::sysmon; this folder also holds system calls (sysmon/syscall.hpp)
// and preemption (sysmon/preempt.hpp), the two things sysmon acts on.
//
// Owns: the sysmon thread and its round: retake (preempt a G over its time
// slice, take back a P stuck in a syscall), the periodic netpoll, wake-up
// preemption, the verifier and schedtrace ticks, and the park while every P
// is idle (Go's sysmonwait). Design in sysmon/sysmon.cpp.
// Invariants: sysmon never holds a P and never runs a G; every wakeup of
// sched.sysmon_note happens under sched.lock (sysmon_wake_locked) and sysmon
// clears the note under the same lock, so no wakeup is doubled or lost.
// Lock rules: sysmon_wake_locked needs sched.lock; the others take it.
#pragma once

#include <cstdint>

#include "core/sched.hpp"
#include "platform/annotations.hpp"

namespace gmpkit::sysmon {

// ---- Tuning (Go 1.19's values unless said otherwise) ----
// Shortest round: sysmon starts with usleep(20) (proc.go sysmon).
inline constexpr std::int64_t kMinDelayUs = 20;
// Longest round: the delay doubles up to 10 ms (proc.go: "if delay > 10*1000").
inline constexpr std::int64_t kMaxDelayUs = 10 * 1000;
// Idle rounds (nothing retaken) before the delay starts doubling (proc.go: idle > 50).
inline constexpr std::uint32_t kIdleRoundsBeforeBackoff = 50;
// Longest park with every P idle: Go's forcegcperiod/2 (2 min / 2).
inline constexpr std::int64_t kMaxParkNs = 60LL * 1000 * 1000 * 1000;
// A P in a syscall with no other work around is left alone this long
// (proc.go retake: pd.syscallwhen+10*1000*1000 > now).
inline constexpr std::int64_t kSyscallRetakeNs = 10 * 1000 * 1000;
// sysmon polls the network if nobody has for this long (proc.go: lastpoll+10*1000*1000 < now).
inline constexpr std::int64_t kForcedPollNs = 10 * 1000 * 1000;
// addtimer does not kick sysmon when it wakes at most this much after the
// timer anyway (beyond Go: one spare round costs less than a kick).
inline constexpr std::int64_t kKickSlackNs = 100 * 1000;
// During shutdown, report goroutines that keep their M from stopping this
// often (beyond Go, which has no such wait).
inline constexpr std::int64_t kStragglerReportNs = 1000 * 1000 * 1000;
// Shutdown: how long running goroutines get to reach a scheduling point
// themselves (and be unwound from there) before sysmon stops them by signal
// (and they are retired without unwinding). Ours, not Go's (Go just exits):
// long enough for a goroutine finishing a throw or a short computation on a
// loaded machine, short enough not to be noticed in run()'s return.
inline constexpr std::int64_t kShutdownAsyncGraceNs = 100 * 1000 * 1000;
// sysmon's thread stack (Go runs sysmon on an OS-allocated g0 stack; 256
// KiB is ample for its frames and the schedtrace report).
inline constexpr std::size_t kThreadStackBytes = 256 * 1024;

void sysmon_start();
void sysmon_stop();
// Wake sysmon (sched.lock held). Every wakeup of sysmon_note goes through
// here and sysmon clears it under the same lock, so none is doubled.
void sysmon_wake_locked();
// addtimer, after the timer is published: if wake-up preemption is on,
// every P is busy and sysmon sleeps past `when`, wake it.
void sysmon_kick_for_timer(std::int64_t when);
// Go's incidlelocked: count Ms in a syscall whose P sysmon is retaking as
// idle-locked, so checkdead does not see a false deadlock.
void incidlelocked(std::int32_t v);

}  // namespace gmpkit::sysmon
