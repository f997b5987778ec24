// platform/placement.cpp — the placement seam: which provider is installed,
// and the per-thread "bound for P n" memo that keeps rebinding off the
// syscall fast path (exitsyscall re-acquiring its own P binds nothing).
#include "platform/placement.hpp"

#include <cstdint>

#include "gmpkit/error.hpp"

namespace gmpkit::rt {

std::atomic<const PlacementHooks*> g_placement{nullptr};

namespace {
std::atomic<const PlacementHooks*> g_installed{nullptr};
std::atomic<bool> g_active{false};
const PlacementHooks* g_started = nullptr;  // run() thread only
// Which run() generation and P this thread was last bound for.
std::atomic<std::uint64_t> g_generation{0};
thread_local std::uint64_t t_bound_generation = 0;
thread_local int t_bound_p = -1;
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
  // relaxed: installs happen-before run() by the caller's own ordering.
  g_active.store(true, std::memory_order_relaxed);
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
  g_generation.fetch_add(1, std::memory_order_relaxed);  // relaxed: no M but this one yet
  if (cfg.placement != "none" && h->bind) g_placement.store(h, std::memory_order_relaxed);
}

void placement_stop() noexcept {
  g_placement.store(nullptr, std::memory_order_relaxed);  // relaxed: every M but this one is gone
  const PlacementHooks* h = g_started;
  g_started = nullptr;
  if (h && h->stop) h->stop(h->ctx);
  g_active.store(false, std::memory_order_relaxed);  // relaxed: run() is single-threaded again
}

}  // namespace gmpkit::rt

namespace gmpkit {
void set_placement_hooks(const PlacementHooks* hooks) {
  // relaxed: a flag for the error only; run() and installs are not concurrent by contract.
  if (rt::g_active.load(std::memory_order_relaxed))
    throw usage_error("gmpkit: set_placement_hooks() while run() is active");
  rt::g_installed.store(hooks, std::memory_order_release);  // release: publish the hook fields
}
}  // namespace gmpkit
