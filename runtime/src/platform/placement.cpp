// platform/placement.cpp — the placement seam: which provider is installed,
// and the per-thread "bound for P n" memo that keeps rebinding off the
// syscall fast path (exitsyscall re-acquiring its own P binds nothing).
#include "platform/placement.hpp"

#include <cstdint>

#include "gmpkit/error.hpp"
#include "platform/clock.hpp"
#include "platform/thread.hpp"

namespace gmpkit::rt {

std::atomic<const PlacementHooks*> g_placement{nullptr};
std::int16_t g_p_node[kPlacementMaxP];
std::atomic<bool> g_have_nodes{false};
std::atomic<bool> g_numa_steal{false};
std::atomic<std::int64_t> g_local_steals{0}, g_remote_steals{0};

namespace {
std::atomic<const PlacementHooks*> g_installed{nullptr};
std::atomic<bool> g_active{false};
const PlacementHooks* g_started = nullptr;  // run() thread only
// Which run() generation and P this thread was last bound for.
std::atomic<std::uint64_t> g_generation{0};
thread_local std::uint64_t t_bound_generation = 0;
thread_local int t_bound_p = -1;
std::int64_t g_remote_delay_ns = 0;
// When this thread's M started finding nothing on its own node (0: not).
thread_local std::int64_t t_local_since = 0;
}  // namespace

void placement_bind_slow(const PlacementHooks* h, int p) noexcept {
  // relaxed: the generation changes only between runs (no M alive then).
  const std::uint64_t gen = g_generation.load(std::memory_order_relaxed);
  if (t_bound_generation == gen && t_bound_p == p) return;
  t_bound_generation = gen;
  t_bound_p = p;
  h->bind(h->ctx, p);
}

void placement_start(const Config& cfg) {
  // Per M under the simulator (each M is a fiber on one OS thread), each
  // starting from these values (not from a previous run's on this thread).
  t_bound_generation = 0;
  t_bound_p = -1;
  t_local_since = 0;
  register_thread_local(&t_bound_generation, sizeof t_bound_generation);
  register_thread_local(&t_bound_p, sizeof t_bound_p);
  register_thread_local(&t_local_since, sizeof t_local_since);
  // relaxed: installs happen-before run() by the caller's own ordering.
  g_active.store(true, std::memory_order_relaxed);
  g_local_steals.store(0, std::memory_order_relaxed);  // relaxed: statistics of this run
  g_remote_steals.store(0, std::memory_order_relaxed);
  if (cfg.placement == "none" && cfg.topology.empty()) return;
  const PlacementHooks* h = g_installed.load(std::memory_order_acquire);  // acquire: hook fields
  if (h == nullptr) {
    g_active.store(false, std::memory_order_relaxed);  // relaxed: as above
    throw usage_error(
        "gmpkit: Config::placement = \"" + cfg.placement + "\"" +
        (cfg.topology.empty() ? "" : " / Config::topology = \"" + cfg.topology + "\"") +
        " needs a placement provider: link gmpkit::numa and call gmpkit::numa::install()");
  }
  try {
    if (h->start) h->start(h->ctx, cfg);
  } catch (...) {
    g_active.store(false, std::memory_order_relaxed);  // relaxed: as above
    throw;
  }
  g_started = h;
  // Plain stores and relaxed flags: no M but this one exists yet; thread
  // creation publishes them.
  const bool nodes = cfg.placement != "none" && h->node_of != nullptr;
  if (nodes)
    for (int p = 0; p < kPlacementMaxP; p++)
      g_p_node[p] = static_cast<std::int16_t>(h->node_of(h->ctx, p));
  g_remote_delay_ns = nodes && h->remote_steal_delay_ns ? h->remote_steal_delay_ns(h->ctx) : -1;
  g_have_nodes.store(nodes, std::memory_order_relaxed);
  g_numa_steal.store(g_remote_delay_ns >= 0, std::memory_order_relaxed);
  g_generation.fetch_add(1, std::memory_order_relaxed);  // relaxed: no M but this one yet
  if (cfg.placement != "none" && h->bind) g_placement.store(h, std::memory_order_relaxed);
}

StealScope numa_steal_begin_slow(int p) noexcept {
  StealScope s;
  s.node = g_p_node[p];
  const std::int64_t now = nanotime();
  // A long gap since the last unsuccessful look means this M slept in
  // between: its local-first window starts again.
  if (t_local_since == 0 || now - t_local_since > 20 * g_remote_delay_ns + 1000000)
    t_local_since = now;
  s.local_only = now - t_local_since < g_remote_delay_ns;
  return s;
}

void placement_stolen_slow(int thief, int victim) noexcept {
  // relaxed: statistics
  if (g_p_node[thief] == g_p_node[victim])
    g_local_steals.fetch_add(1, std::memory_order_relaxed);
  else
    g_remote_steals.fetch_add(1, std::memory_order_relaxed);
  t_local_since = 0;
}

void placement_stop() noexcept {
  g_placement.store(nullptr, std::memory_order_relaxed);  // relaxed: every M but this one is gone
  g_have_nodes.store(false, std::memory_order_relaxed);  // relaxed: as above
  g_numa_steal.store(false, std::memory_order_relaxed);
  const PlacementHooks* h = g_started;
  g_started = nullptr;
  if (h && h->stop) h->stop(h->ctx);
  g_active.store(false, std::memory_order_relaxed);  // relaxed: run() is single-threaded again
}

}  // namespace gmpkit::rt

namespace gmpkit {
PlacementStats placement_stats() {
  // relaxed: statistics
  return {rt::g_local_steals.load(std::memory_order_relaxed),
          rt::g_remote_steals.load(std::memory_order_relaxed)};
}

void set_placement_hooks(const PlacementHooks* hooks) {
  // relaxed: a flag for the error only; run() and installs are not concurrent by contract.
  if (rt::g_active.load(std::memory_order_relaxed))
    throw usage_error("gmpkit: set_placement_hooks() while run() is active");
  rt::g_installed.store(hooks, std::memory_order_release);  // release: publish the hook fields
}
}  // namespace gmpkit
