// observe/invariants.hpp — internal side of the invariant checker
// (gmpkit::debug::verify_invariants, observe/invariants.cpp) and of
// Config::verify_every (observe/invariant_verifier.cpp).
//
// InvariantsAccess is the one friend of the run queues: the checker reads
// their raw head/tail/slots (a stopped world has no concurrent consumer),
// and the test-only corruption hook (gmpkit/testing/invariants_testing.hpp,
// in the gmpkit::testing library) damages them. The verifier's entry points
// the core calls (verifier_start/tick, system_goroutines) are in
// observe/hooks.hpp.
#pragma once

#include <cstdint>

#include "core/runq.hpp"
#include "gmpkit/debug.hpp"
#include "observe/hooks.hpp"

namespace gmpkit::core {
struct G;
struct M;
}  // namespace gmpkit::core

namespace gmpkit::observe {

struct InvariantsAccess {
  using LocalRunQueue = core::LocalRunQueue;
  using GlobalRunQueue = core::GlobalRunQueue;
  using G = core::G;
  using GQueue = core::GQueue;
  static rt::Atomic<std::uint32_t>& head(LocalRunQueue& q) noexcept { return q.head_; }
  static rt::Atomic<std::uint32_t>& tail(LocalRunQueue& q) noexcept { return q.tail_; }
  static rt::Atomic<G*>& runnext(LocalRunQueue& q) noexcept { return q.runnext_; }
  static rt::Atomic<G*>& slot(LocalRunQueue& q, std::uint32_t i) noexcept {
    return q.slots_[i % LocalRunQueue::kSize];
  }
  static GQueue& list(GlobalRunQueue& q) noexcept { return q.q_; }
  static rt::Atomic<std::int32_t>& size(GlobalRunQueue& q) noexcept { return q.size_; }
};

// Checks docs/ARCHITECTURE.md §4. The world must be stopped by the G running on
// mp (the caller). Never aborts: returns what it found. The report's state
// is filled in when describe_always or on a violation.
debug::InvariantReport check_stopped_world(core::M* mp, bool describe_always);

// ---- Config::verify_every (invariant_verifier.cpp; the rest in hooks.hpp) ----
// The verifier's G while it lives (the checker knows its wait is not
// enumerable), else nullptr.
const core::G* verifier_g() noexcept;

}  // namespace gmpkit::observe
