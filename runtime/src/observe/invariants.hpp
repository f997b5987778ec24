// observe/invariants.hpp — internal side of the invariant checker
// (gmpkit::debug::verify_invariants, observe/invariants.cpp) and of
// Config::verify_every (observe/invariant_verifier.cpp).
//
// InvariantsAccess is the one friend of the run queues: the checker reads
// their raw head/tail/slots (a stopped world has no concurrent consumer),
// and the test-only corruption hook (gmpkit/testing/invariants_testing.hpp (the gmpkit::testing library)) damages them.
#pragma once

#include <cstdint>

#include "core/runq.hpp"
#include "gmpkit/debug.hpp"

namespace gmpkit::core {

struct M;

struct InvariantsAccess {
  static rt::Atomic<std::uint32_t>& head(LocalRunQueue& q) noexcept { return q.head_; }
  static rt::Atomic<std::uint32_t>& tail(LocalRunQueue& q) noexcept { return q.tail_; }
  static rt::Atomic<G*>& runnext(LocalRunQueue& q) noexcept { return q.runnext_; }
  static rt::Atomic<G*>& slot(LocalRunQueue& q, std::uint32_t i) noexcept {
    return q.slots_[i % LocalRunQueue::kSize];
  }
  static GQueue& list(GlobalRunQueue& q) noexcept { return q.q_; }
  static rt::Atomic<std::int32_t>& size(GlobalRunQueue& q) noexcept { return q.size_; }
};

}  // namespace gmpkit::core

namespace gmpkit::observe {

// Checks ARCHITECTURE.md §4. The world must be stopped by the G running on
// mp (the caller). Never aborts: returns what it found. The report's state
// is filled in when describe_always or on a violation.
debug::InvariantReport check_stopped_world(core::M* mp, bool describe_always);

// ---- Config::verify_every (invariant_verifier.cpp) ----
// The main goroutine calls this before user code: in GMPKIT_CHECKED builds
// with verify_every > 0 it starts the verifier goroutine (a system
// goroutine: not counted by num_goroutine()).
void verifier_start();
// sysmon, every round: wakes the verifier when its period has passed.
void verifier_tick(std::int64_t now);
// Live runtime-owned goroutines (subtracted by num_goroutine()).
std::int64_t system_goroutines() noexcept;
// The verifier's G while it lives (the checker knows its wait is not
// enumerable), else nullptr.
const core::G* verifier_g() noexcept;

}  // namespace gmpkit::observe
