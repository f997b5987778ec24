// gmpkit/numa/placement.hpp — where each P runs (Config::placement) and the
// provider that binds Ms to it (gmpkit/placement.hpp's hooks).
//
//   gmpkit::numa::install();                      // once, before run()
//   gmpkit::Config cfg;
//   cfg.placement = "numa";                       // none | compact | scatter | numa
//   cfg.topology = "numa:2 core:1 pu:1";          // "" = this machine
//   gmpkit::run(cfg, [] { ... });
//   auto s = gmpkit::numa::binding_stats();       // binds done and verified
//
// Policies (P number p of n, over the topology's PUs in logical order):
//   compact  P p on PU p mod #PUs (fills a core, then a node, then the next);
//   scatter  P p on one PU, spreading over nodes first, then cores, then
//            SMT siblings (node p mod #nodes, ...);
//   numa     P p on node p mod #nodes, cpuset = the whole node.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gmpkit/numa/topology.hpp"

namespace gmpkit::numa {

enum class Policy { none, compact, scatter, numa };

// Throws gmpkit::usage_error naming the valid values.
Policy parse_policy(const std::string& name);
const char* policy_name(Policy p);

struct Slot {
  int node = -1;  // logical NUMA node
  std::vector<int> cpus;  // os indexes of the PUs the P may run on
};

// The slot of every P 0..nprocs-1 (none: empty).
std::vector<Slot> plan(const Topology& topo, Policy policy, int nprocs);

// NUMA-aware stealing for the runs that follow (with a placement other
// than none): steal on the own node first, remote nodes after
// `remote_delay` of finding nothing locally. Off by default (measured in
// numa/README.md). Not while run() is active.
struct StealPolicy {
  bool numa_steal = false;
  std::chrono::nanoseconds remote_delay = std::chrono::microseconds(50);
};
void set_steal_policy(const StealPolicy& policy);

// Registers the hwloc placement provider with the runtime
// (gmpkit::set_placement_hooks). Idempotent.
void install();

// What the provider did since the last reset_binding_stats().
struct BindingStats {
  std::int64_t binds = 0;  // bind requests (an M acquired a P it was not bound for)
  // The thread's affinity read back from the kernel (sched_getaffinity)
  // equals the P's cpuset and sched_getcpu() is inside it.
  std::int64_t verified = 0;
  std::int64_t failed = 0;  // bind call failed or the read-back differs
  // Foreign topology (synthetic/XML without HWLOC_THISSYSTEM=1): hwloc was
  // asked but does not bind; never counted as verified.
  std::int64_t unverifiable = 0;
  // check_current_thread(): goroutine-side samples of sched_getcpu()
  // against the cpuset of the P its thread is bound for.
  std::int64_t samples_ok = 0;
  std::int64_t samples_bad = 0;
  std::vector<std::int64_t> binds_per_node;  // index: logical node
};
BindingStats binding_stats();
void reset_binding_stats();

// Call from a goroutine: compares sched_getcpu() with the cpuset this thread
// was bound to and counts the sample (no-op when the thread is not bound or
// the topology is foreign).
void check_current_thread();

// The slot this thread is bound for (node -1 if none).
Slot current_slot();

}  // namespace gmpkit::numa
