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
#pragma once

#include <cstdint>
#include <string>

namespace gmpkit::core {

// sysmon start: reads the settings and stamps the run's start time.
void schedtrace_init();
// Each sysmon round: prints a report if one is due. Returns the nanotime
// of the next report (sysmon must not sleep past it), or 0 if off.
std::int64_t schedtrace_poll(std::int64_t now);
// The report, as Go prints it (summary line, or the detailed P/M/G lines).
std::string schedtrace_text(bool detailed, std::int64_t now);

}  // namespace gmpkit::core
