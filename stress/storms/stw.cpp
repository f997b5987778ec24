// stress/storms/stw.cpp — stop-the-world every 2 ms under spawn, park and
// hog load. While the world is stopped a flag is set that hogs check on
// every loop turn: a hog that sees it ran during a stopped world. Every
// 10th stop also runs verify_invariants() inside the stopped world. The
// number of completed stops must match gmpkit::metrics().stws (at least
// the ones this storm made).
#include <string>

#include <gmpkit/debug.hpp>
#include <gmpkit/metrics.hpp>
#include <gmpkit/stw.hpp>

#include "loads.hpp"
#include "storm.hpp"

namespace gmpkit::stress {

void stw_storm(StormContext& ctx) {
  WaitGroup wg;
  std::atomic<bool> stopped{false};
  const int procs = gmpkit::gomaxprocs();
  start_hogs(ctx, wg, ctx.scaled(procs), &stopped);
  start_pairs(ctx, wg, ctx.scaled(4));
  start_spawners(ctx, wg, ctx.scaled(2));
  start_mutexes(ctx, wg, 2, ctx.scaled(4));

  const std::int64_t stws0 = gmpkit::metrics().stws;
  std::int64_t mine = 0;
  while (ctx.running()) {
    gmpkit::sleep_for(std::chrono::milliseconds(2));
    {
      gmpkit::WorldStopped w("stress stw");
      stopped.store(true,
                    std::memory_order_relaxed);  // relaxed: start_the_world publishes the clear
      if (++mine % 10 == 0) {
        auto r = gmpkit::debug::verify_invariants(gmpkit::debug::InvariantMode::report);
        if (!r.ok()) ctx.ledger().violation("stw: invariants inside the stopped world: " + r.str());
      }
      stopped.store(false, std::memory_order_relaxed);
    }
    ctx.ledger().add_ops();
  }
  wg.wait();
  const std::int64_t done = gmpkit::metrics().stws - stws0;
  if (done < mine)
    ctx.ledger().violation("stw: " + std::to_string(mine) + " stops made, metrics counted " +
                           std::to_string(done));
}

}  // namespace gmpkit::stress
