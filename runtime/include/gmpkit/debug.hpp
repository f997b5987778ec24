// gmpkit/debug.hpp — read-only views of the scheduler for tests and tools
// (docs/ARCHITECTURE.md §2 seam 5).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace gmpkit::debug {

struct GoroutineInfo {
  std::int64_t id;
  std::string status;  // Go's names: "runnable", "running", "waiting", ...
  std::string wait_reason;  // "" unless waiting
  std::int64_t wait_ns;  // how long it has been waiting (0 if not)
};


// Counters and histograms are in gmpkit::metrics() (gmpkit/metrics.hpp).
//
// Any-thread functions: goroutines(), dump_goroutines() and
// schedtrace() may be called from any thread, also while run() ends: each
// pins the scheduler for the call and shutdown waits for it before freeing
// anything (README "Errors").
//
// Every live goroutine: a snapshot taken under the scheduler's G-list lock,
// not a stopped world. Empty with no run active.
std::vector<GoroutineInfo> goroutines();
// Go-style traceback of every goroutine: a header such as
// "goroutine 7 [chan receive, 3 minutes]:" (", locked to thread" when
// locked), then its symbolized stack, one "function(args)" line and one
// "\tpc=0x... +0xoff module" line a frame. The calling goroutine comes first
// as [running]. On a goroutine it stops the world while it reads the stacks
// (docs/OBSERVABILITY.md "Goroutine dumps and gdb"); outside one it prints headers only.
// Writes nothing with no run active.
void dump_goroutines(std::ostream& os);
// One schedtrace report now (what GMPKIT_DEBUG=schedtrace=N prints every
// N ms, Go's format): the "SCHED ..." summary line, or with detail the
// P/M/G lines of scheddetail=1. Throws usage_error with no runtime running.
void schedtrace(std::ostream& os, bool detail);

// ---- Invariant checker (observe/invariants.cpp; docs/OBSERVABILITY.md "Invariant checker") ----
// The result of one check. Each violation starts with a stable kind name
// ("runq_duplicate: G12 is in p0.runq[3] and the global runq"); `state`
// describes every P, M and G (status, links, each G's last transitions);
// report mode always fills it in, abort mode only to print it.
struct InvariantReport {
  std::vector<std::string> violations;
  std::string state;
  bool ok() const noexcept { return violations.empty(); }
  // True if some violation is of this kind ("npidle", "runq_bounds", ...).
  bool has(const std::string& kind) const;
  std::string str() const;  // the violations, then the state
};
enum class InvariantMode {
  abort,  // print the report to stderr and abort on a violation
  report,  // return the report (for tests and tools)
};
// Stops the world (unless the caller already holds it stopped), checks
// docs/ARCHITECTURE.md §4 and restarts it. Must be called on a goroutine:
// throws gmpkit::usage_error otherwise. Returns an empty report (ok())
// when the runtime is shutting down.
InvariantReport verify_invariants(InvariantMode mode);
// The same in abort mode: returns only if every invariant holds.
inline void verify_invariants() { (void)verify_invariants(InvariantMode::abort); }
// How many checks verify_invariants() has completed this process (all
// modes, Config::verify_every's included).
std::int64_t invariant_checks();

}  // namespace gmpkit::debug
