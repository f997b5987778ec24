// gmpkit/placement.hpp — where Ps run (Config::placement, Config::topology).
//
// The runtime itself knows no topology. A placement provider installs hooks
// (gmpkit::numa::install() does, with hwloc; a simulator may model one) and
// the runtime calls them:
//   start(cfg)  once at run(), on the run() thread, before any P is acquired:
//               validate cfg.placement / cfg.topology and prepare (throw
//               gmpkit::usage_error on a bad value: run() rethrows it);
//   bind(p)     on an M's own thread each time it acquires P number p and its
//               thread was last bound for another P (or never): bind the
//               thread to p's cpuset. Must not call into the runtime.
//   node_of(p)  (optional) the NUMA node of P p, asked once per P at start
//               (NUMA-aware stealing and the steal statistics use it);
//   remote_steal_delay_ns()  (optional) NUMA-aware stealing (beyond Go: the
//               design Dmitry Vyukov proposed in 2014): >= 0 turns it on —
//               an M looking for work steals from Ps of its own P's node
//               first and from other nodes only once it has found nothing
//               locally for this long; < 0 (or no function) = Go's order;
//   stop()      once when run() ends, on the run() thread.
// With Config::placement == "none" and an empty topology nothing is called
// and acquirep pays one predictable branch.
#pragma once

namespace gmpkit {

struct Config;

struct PlacementHooks {
  void* ctx = nullptr;
  void (*start)(void* ctx, const Config& cfg) = nullptr;
  void (*bind)(void* ctx, int p) = nullptr;
  void (*stop)(void* ctx) = nullptr;
  int (*node_of)(void* ctx, int p) = nullptr;
  long long (*remote_steal_delay_ns)(void* ctx) = nullptr;
};

// Steals by node in the current (or last) run(), counted when it has a
// placement whose provider gives nodes (node_of); both 0 otherwise.
struct PlacementStats {
  long long local_steals = 0;  // thief's P and victim on the same node
  long long remote_steals = 0;  // on different nodes
};
PlacementStats placement_stats();

// Installs the provider (nullptr removes it). Throws usage_error while run()
// is active. The hooks object must outlive every run() that uses it.
void set_placement_hooks(const PlacementHooks* hooks);

}  // namespace gmpkit
