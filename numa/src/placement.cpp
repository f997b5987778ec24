// numa/src/placement.cpp — the placement policies and the hwloc provider
// behind gmpkit/placement.hpp's hooks.
#include "gmpkit/numa/placement.hpp"

#include <hwloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <tuple>

#include <gmpkit/config.hpp>
#include <gmpkit/error.hpp>
#include <gmpkit/placement.hpp>

namespace gmpkit::numa {

Policy parse_policy(const std::string& name) {
  if (name == "none") return Policy::none;
  if (name == "compact") return Policy::compact;
  if (name == "scatter") return Policy::scatter;
  if (name == "numa") return Policy::numa;
  throw usage_error("gmpkit: unknown placement \"" + name + "\" (none, compact, scatter or numa)");
}

const char* policy_name(Policy p) {
  switch (p) {
    case Policy::none:
      return "none";
    case Policy::compact:
      return "compact";
    case Policy::scatter:
      return "scatter";
    case Policy::numa:
      return "numa";
  }
  return "?";
}

std::vector<Slot> plan(const Topology& topo, Policy policy, int nprocs) {
  std::vector<Slot> out;
  if (policy == Policy::none || nprocs <= 0) return out;
  const auto& pus = topo.pus();
  if (policy == Policy::numa) {
    for (int p = 0; p < nprocs; p++) {
      const int n = p % topo.num_nodes();
      out.push_back(Slot{n, topo.nodes()[static_cast<std::size_t>(n)].pus});
    }
    return out;
  }
  std::vector<PuInfo> order(pus.begin(), pus.end());
  if (policy == Policy::scatter) {
    // Rank of each PU inside its core and of each core inside its node;
    // sort by (SMT rank, core rank, node): node varies fastest.
    std::vector<std::tuple<int, int, int, int>> key;  // smt, core rank, node, index
    for (std::size_t i = 0; i < pus.size(); i++) {
      const auto& pu = pus[i];
      int smt = 0;
      for (std::size_t j = 0; j < i; j++)
        if (pus[j].core == pu.core) smt++;
      const auto& cores = topo.nodes()[static_cast<std::size_t>(pu.node)].cores;
      const int core_rank =
          static_cast<int>(std::find(cores.begin(), cores.end(), pu.core) - cores.begin());
      key.emplace_back(smt, core_rank, pu.node, static_cast<int>(i));
    }
    std::sort(key.begin(), key.end());
    order.clear();
    for (auto& k : key) order.push_back(pus[static_cast<std::size_t>(std::get<3>(k))]);
  }
  for (int p = 0; p < nprocs; p++) {
    const PuInfo& pu = order[static_cast<std::size_t>(p) % order.size()];
    out.push_back(Slot{pu.node, {pu.os_index}});
  }
  return out;
}

namespace {

// The provider's state for the active run().
struct Provider {
  std::mutex mu;  // guards start/stop against binding_stats readers
  std::shared_ptr<Topology> topo;
  Policy policy = Policy::none;
  std::vector<Slot> slots;  // for every possible P (1024)
  std::vector<hwloc_bitmap_t> sets;
  cpu_set_t saved{};  // the run() thread's affinity before run()
  bool saved_ok = false;
  // relaxed counters: statistics read after the run
  std::atomic<std::int64_t> binds{0}, verified{0}, failed{0}, unverifiable{0}, samples_ok{0},
      samples_bad{0};
  std::vector<std::atomic<std::int64_t>> per_node = std::vector<std::atomic<std::int64_t>>(64);
  std::vector<std::int64_t> last_per_node;
  ~Provider() {
    for (auto s : sets) hwloc_bitmap_free(s);
  }
};

Provider& prov() {
  static Provider p;
  return p;
}

constexpr int kMaxP = 1024;

thread_local int t_p = -1;  // the P this thread is bound for
thread_local const Slot* t_slot = nullptr;

void start(void*, const Config& cfg) {
  Provider& pv = prov();
  std::lock_guard g(pv.mu);
  pv.policy = parse_policy(cfg.placement);
  pv.topo = Topology::load(cfg.topology);
  pv.slots = plan(*pv.topo, pv.policy, kMaxP);
  for (auto s : pv.sets) hwloc_bitmap_free(s);
  pv.sets.clear();
  for (const auto& s : pv.slots) {
    hwloc_bitmap_t b = hwloc_bitmap_alloc();
    for (int c : s.cpus) hwloc_bitmap_set(b, static_cast<unsigned>(c));
    pv.sets.push_back(b);
  }
  pv.saved_ok = sched_getaffinity(0, sizeof pv.saved, &pv.saved) == 0;
}

bool affinity_is(const Slot& s) {
  cpu_set_t now;
  CPU_ZERO(&now);
  if (sched_getaffinity(0, sizeof now, &now) != 0) return false;
  cpu_set_t want;
  CPU_ZERO(&want);
  for (int c : s.cpus) CPU_SET(c, &want);
  if (!CPU_EQUAL(&now, &want)) return false;
  const int cpu = sched_getcpu();
  return cpu >= 0 && CPU_ISSET(cpu, &want);
}

void bind(void*, int p) {
  Provider& pv = prov();
  if (p < 0 || p >= static_cast<int>(pv.slots.size())) return;
  const Slot& s = pv.slots[static_cast<std::size_t>(p)];
  pv.binds.fetch_add(1, std::memory_order_relaxed);
  if (s.node >= 0 && s.node < 64)
    pv.per_node[static_cast<std::size_t>(s.node)].fetch_add(1, std::memory_order_relaxed);
  const int rc = hwloc_set_cpubind(pv.topo->handle(), pv.sets[static_cast<std::size_t>(p)],
                                   HWLOC_CPUBIND_THREAD);
  if (!pv.topo->is_this_system()) {
    // hwloc returns 0 here without binding anything: not a success.
    pv.unverifiable.fetch_add(1, std::memory_order_relaxed);
    t_p = p;
    t_slot = &s;
    return;
  }
  if (rc == 0 && affinity_is(s)) {
    pv.verified.fetch_add(1, std::memory_order_relaxed);
    t_p = p;
    t_slot = &s;
  } else {
    pv.failed.fetch_add(1, std::memory_order_relaxed);
    t_p = -1;
    t_slot = nullptr;
  }
}

void stop(void*) {
  Provider& pv = prov();
  std::lock_guard g(pv.mu);
  // The run() thread (m0) was bound for its P: give it its old affinity back.
  if (pv.saved_ok && pv.topo && pv.topo->is_this_system() && pv.policy != Policy::none)
    sched_setaffinity(0, sizeof pv.saved, &pv.saved);
  t_p = -1;
  t_slot = nullptr;
}

int node_of(void*, int p) {
  const Provider& pv = prov();
  return p >= 0 && p < static_cast<int>(pv.slots.size())
             ? pv.slots[static_cast<std::size_t>(p)].node
             : -1;
}

std::atomic<long long> g_steal_delay_ns{-1};  // relaxed: set between runs

long long remote_steal_delay_ns(void*) { return g_steal_delay_ns.load(std::memory_order_relaxed); }

const PlacementHooks kHooks{nullptr, start, bind, stop, node_of, remote_steal_delay_ns};

// Separate, not inlined: each call computes this thread's TLS address
// afresh (a goroutine may have moved to another thread in between).
[[gnu::noinline]] std::pair<pid_t, const Slot*> snapshot() { return {gettid(), t_slot}; }

}  // namespace

void install() { set_placement_hooks(&kHooks); }

void set_steal_policy(const StealPolicy& policy) {
  g_steal_delay_ns.store(
      policy.numa_steal ? static_cast<long long>(policy.remote_delay.count()) : -1,
      std::memory_order_relaxed);
}

BindingStats binding_stats() {
  Provider& pv = prov();
  BindingStats s;
  s.binds = pv.binds.load(std::memory_order_relaxed);
  s.verified = pv.verified.load(std::memory_order_relaxed);
  s.failed = pv.failed.load(std::memory_order_relaxed);
  s.unverifiable = pv.unverifiable.load(std::memory_order_relaxed);
  s.samples_ok = pv.samples_ok.load(std::memory_order_relaxed);
  s.samples_bad = pv.samples_bad.load(std::memory_order_relaxed);
  std::lock_guard g(pv.mu);
  const int n = pv.topo ? pv.topo->num_nodes() : 0;
  for (int i = 0; i < n && i < 64; i++)
    s.binds_per_node.push_back(
        pv.per_node[static_cast<std::size_t>(i)].load(std::memory_order_relaxed));
  return s;
}

void reset_binding_stats() {
  Provider& pv = prov();
  for (auto* c :
       {&pv.binds, &pv.verified, &pv.failed, &pv.unverifiable, &pv.samples_ok, &pv.samples_bad})
    c->store(0, std::memory_order_relaxed);
  for (auto& c : pv.per_node) c.store(0, std::memory_order_relaxed);
}

void check_current_thread() {
  Provider& pv = prov();
  const auto a = snapshot();
  if (a.second == nullptr || !pv.topo || !pv.topo->is_this_system()) return;
  const int cpu = sched_getcpu();
  const auto b = snapshot();
  if (a != b) return;  // moved to another thread meanwhile: no sample
  const auto& cpus = a.second->cpus;
  if (std::find(cpus.begin(), cpus.end(), cpu) != cpus.end())
    pv.samples_ok.fetch_add(1, std::memory_order_relaxed);
  else
    pv.samples_bad.fetch_add(1, std::memory_order_relaxed);
}

Slot current_slot() {
  const auto a = snapshot();
  return a.second ? *a.second : Slot{};
}

}  // namespace gmpkit::numa
