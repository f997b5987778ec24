// platform/placement.hpp — the placement seam (gmpkit/placement.hpp): the
// core calls placement_acquired(p) in acquirep; binding itself is the
// provider's (numa/, hwloc), so the runtime never depends on hwloc.
#pragma once

#include <atomic>

#include "gmpkit/config.hpp"
#include "gmpkit/placement.hpp"

namespace gmpkit::rt {

// Non-null while a run() with a placement other than "none" is active.
extern std::atomic<const PlacementHooks*> g_placement;

void placement_bind_slow(const PlacementHooks* h, int p) noexcept;

// acquirep: the M's thread now runs P p.
inline void placement_acquired(int p) noexcept {
  // relaxed: set before any M but m0 exists and cleared after they are joined.
  const PlacementHooks* h = g_placement.load(std::memory_order_relaxed);
  if (__builtin_expect(h != nullptr, 0)) placement_bind_slow(h, p);
}

// run(): start the provider for cfg (throws usage_error) / stop it.
void placement_start(const Config& cfg);
void placement_stop() noexcept;

}  // namespace gmpkit::rt
