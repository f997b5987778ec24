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
};

// Installs the provider (nullptr removes it). Throws usage_error while run()
// is active. The hooks object must outlive every run() that uses it.
void set_placement_hooks(const PlacementHooks* hooks);

}  // namespace gmpkit
