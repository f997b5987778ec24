// gmpkit/debug.hpp — read-only views of the scheduler for tests and tools
// (ARCHITECTURE.md seam 5).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace gmpkit::debug {

struct GoroutineInfo {
  std::int64_t id;
  std::string status;       // Go's names: "runnable", "running", "waiting", ...
  std::string wait_reason;  // "" unless waiting
  std::int64_t wait_ns;     // how long it has been waiting (0 if not)
};

struct SchedStats {
  std::int64_t goroutines_created = 0;  // since run() started
  std::int64_t threads = 0;             // Ms created (m0 included)
  std::int64_t steals = 0;              // successful runqsteal calls
  std::int64_t runqputslow = 0;         // local-runq overflows moved to the global runq
  std::int64_t stacks_guarded = 0;      // stacks with a guard page (allocated so far)
  std::int64_t stacks_canary = 0;       // stacks past the guard budget
  std::int64_t preempt_requests = 0;    // cooperative preemption requests by sysmon
  std::int64_t preemptions = 0;         // goroutines preempted (cooperatively or by signal)
  std::int64_t async_preemptions = 0;   // of those, preempted by signal (asynchronously)
  std::int64_t preempt_signals = 0;     // preemption signals (SIGURG) sent
  std::int64_t wakeup_preempt_requests = 0;  // requests by wake-up preemption (Config::min_slice)
};

// Every live goroutine. Must be called on a goroutine; the view is a
// snapshot taken under the scheduler's G-list lock, not a stopped world.
std::vector<GoroutineInfo> goroutines();
SchedStats stats();
// Go-style goroutine headers: "goroutine 7 [chan receive, 3 minutes]:".
void dump_goroutines(std::ostream& os);
// One schedtrace report now (what GMPKIT_DEBUG=schedtrace=N prints every
// N ms, Go's format): the "SCHED ..." summary line, or with detail the
// P/M/G lines of scheddetail=1. Throws usage_error with no runtime running.
void schedtrace(std::ostream& os, bool detail);

}  // namespace gmpkit::debug
