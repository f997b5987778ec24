// platform/placement.hpp — the placement seam (gmpkit/placement.hpp): the
// core calls placement_acquired(p) in acquirep and asks numa_steal_begin()
// in stealWork; binding itself is the provider's (numa/, hwloc), so the
// runtime never depends on hwloc.
#pragma once

#include <atomic>
#include <cstdint>

#include "gmpkit/config.hpp"
#include "gmpkit/placement.hpp"

namespace gmpkit::rt {

// Non-null while a run() with a placement other than "none" is active.
extern std::atomic<const PlacementHooks*> g_placement;
// Node of every P (kMaxP entries), valid while g_placement is set and the
// provider gives nodes; -1 unknown.
constexpr int kPlacementMaxP = 1024;
extern std::int16_t g_p_node[kPlacementMaxP];
// Both set at run() start before any other M exists and cleared after they
// are joined; relaxed loads (thread creation and join order them).
extern std::atomic<bool> g_have_nodes;
extern std::atomic<bool> g_numa_steal;  // the provider asked for NUMA-aware stealing
extern std::atomic<std::int64_t> g_local_steals, g_remote_steals;

void placement_bind_slow(const PlacementHooks* h, int p) noexcept;

// acquirep: the M's thread now runs P p.
inline void placement_acquired(int p) noexcept {
  // relaxed: set before any M but m0 exists and cleared after they are joined.
  const PlacementHooks* h = g_placement.load(std::memory_order_relaxed);
  if (__builtin_expect(h != nullptr, 0)) placement_bind_slow(h, p);
}

// stealWork's view of NUMA-aware stealing for the thief on P p.
struct StealScope {
  int node = -1;  // the thief's node (-1: stealing is not node-aware)
  bool local_only = false;  // skip victims on other nodes this time
};
StealScope numa_steal_begin_slow(int p) noexcept;
inline StealScope numa_steal_begin(int p) noexcept {
  if (__builtin_expect(!g_numa_steal.load(std::memory_order_relaxed), 1)) return {};
  return numa_steal_begin_slow(p);
}
// A steal succeeded: statistics by node, and the local-first clock restarts.
void placement_stolen_slow(int thief, int victim) noexcept;
inline void placement_stolen(int thief, int victim) noexcept {
  if (__builtin_expect(g_have_nodes.load(std::memory_order_relaxed), 0))
    placement_stolen_slow(thief, victim);
}

// run(): start the provider for cfg (throws usage_error) / stop it.
void placement_start(const Config& cfg);
void placement_stop() noexcept;

}  // namespace gmpkit::rt
