// stress/storms/spawn.cpp — spawn/exit: nested spawning in waves. Each wave
// grows a random tree of goroutines (every G spawns up to 8 children from a
// shared budget) until `peak` Gs are alive at once, all parked on one
// channel; closing it releases the whole wave, which exits. Checked: the
// wave reached exactly `peak` live Gs, and every G of it exited.
#include <algorithm>
#include <cstdio>
#include <memory>

#include <gmpkit/chan.hpp>
#include <gmpkit/metrics.hpp>

#include "storm.hpp"

namespace gmpkit::stress {

namespace {

struct Wave {
  StormContext& ctx;
  std::int64_t peak;
  std::atomic<std::int64_t> budget;  // children still to spawn
  std::atomic<std::int64_t> alive{0};  // Gs of this wave that reached the gate
  Chan<int> gate{0};  // closed when the whole wave is alive
  WaitGroup wg;

  Wave(StormContext& c, std::int64_t n) : ctx(c), peak(n), budget(n - 1) {}

  void node(std::uint64_t stream) {
    auto rng = ctx.rng(stream);
    const int fanout = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < fanout; i++) {
      // relaxed: the budget only has to be claimed once per child.
      if (budget.fetch_sub(1, std::memory_order_relaxed) <= 0) break;
      const std::uint64_t child = stream * 8 + static_cast<std::uint64_t>(i) + 1;
      ctx.go(&wg, [this, child] { node(child); });
      ctx.ledger().add_ops();
    }
    // acq_rel: the last arrival must see every earlier one before closing.
    if (alive.fetch_add(1, std::memory_order_acq_rel) + 1 == peak) gate.close();
    if (gate.recv().has_value()) ctx.ledger().violation("spawn: value on the gate channel");
  }
};

}  // namespace

void spawn_storm(StormContext& ctx) {
  std::int64_t peak = ctx.options().spawn_peak;
  // 10^4 x scale by default: at 10^5 the periodic verify_invariants()
  // (an STW walking every G, every --check-ms) keeps the world stopped most
  // of the time on a 2-core machine and a wave takes over 15 s.
  if (peak <= 0) peak = ctx.scaled(10000);
  std::uint64_t wave_no = 0;
  do {
    auto w = std::make_unique<Wave>(ctx, peak);
    const std::uint64_t root = (++wave_no) << 40;
    ctx.go(&w->wg, [wp = w.get(), root] { wp->node(root); });
    ctx.ledger().add_ops();
    w->wg.wait();
    // relaxed: wg.wait() ordered every worker's increments before this.
    const std::int64_t alive = w->alive.load(std::memory_order_relaxed);
    if (alive != peak) {
      char msg[128];
      std::snprintf(msg, sizeof msg, "spawn: wave %llu reached %lld live Gs, expected %lld",
                    static_cast<unsigned long long>(wave_no), static_cast<long long>(alive),
                    static_cast<long long>(peak));
      ctx.ledger().violation(msg);
    }
  } while (ctx.running());
}

}  // namespace gmpkit::stress
