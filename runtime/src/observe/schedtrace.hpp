// observe/schedtrace.hpp — Go's schedtrace / scheddetail (proc.go
// schedtrace): a periodic scheduler report printed by sysmon.
//
// Owns: the per-run schedtrace settings (Config::schedtrace/scheddetail,
// overridden by GMPKIT_DEBUG=schedtrace=N,scheddetail=1), the run's start
// time the "SCHED <t>ms" stamp counts from, and the report text.
//
// Invariants: the report is built under sched.lock (then allglock, the
// documented lock order) into a buffer and written with ONE write(2), so
// lines from different threads never interleave. Everything read from Ps,
// Ms and Gs is a racy snapshot, as in Go (which also holds only sched.lock):
// fields may be mid-change, never dereferenced through a stale pointer
// (Ps, Ms and Gs are never freed during a run).
// The entry points sysmon calls (schedtrace_init, schedtrace_poll) are in
// observe/hooks.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "observe/hooks.hpp"

namespace gmpkit::observe {

// The report, as Go prints it (summary line, or the detailed P/M/G lines).
std::string schedtrace_text(bool detailed, std::int64_t now);
// The same without sched.lock, for failure reports while nothing else can
// run (the simulator's frozen world, where the lock may be held by a
// stopped thread and taking it would hang).
std::string schedtrace_text_frozen(bool detailed, std::int64_t now);

}  // namespace gmpkit::observe
