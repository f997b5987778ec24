// stress/storms/gomaxprocs.cpp — GOMAXPROCS flapping: every 1-3 ms a random
// setting in [1, 2*procs] under channel, mutex, spawn and hog load (the run
// queues and timers of removed Ps move to the survivors). Checked: each
// call returns the previous setting and gomaxprocs() reads the new one;
// the loads' own accounting; the original setting is restored at the end.
#include <string>

#include <gmpkit/runtime.hpp>

#include "loads.hpp"
#include "storm.hpp"

namespace gmpkit::stress {

void gomaxprocs_storm(StormContext& ctx) {
  WaitGroup wg;
  const int procs = gmpkit::gomaxprocs();
  start_pairs(ctx, wg, ctx.scaled(4));
  start_mpmc(ctx, wg, ctx.scaled(2), ctx.scaled(2));
  start_mutexes(ctx, wg, 2, ctx.scaled(4));
  start_spawners(ctx, wg, ctx.scaled(2));
  start_hogs(ctx, wg, ctx.scaled(procs), nullptr);

  auto rng = ctx.rng(4000);
  int current = procs;
  while (ctx.running()) {
    gmpkit::sleep_for(std::chrono::microseconds(1000 + rng() % 2000));
    const int next = 1 + static_cast<int>(rng() % static_cast<unsigned>(2 * procs));
    const int prev = gmpkit::gomaxprocs(next);
    if (prev != current)
      ctx.ledger().violation("gomaxprocs: returned " + std::to_string(prev) + ", last set " +
                             std::to_string(current));
    if (gmpkit::gomaxprocs() != next)
      ctx.ledger().violation("gomaxprocs: reads " + std::to_string(gmpkit::gomaxprocs()) +
                             " after setting " + std::to_string(next));
    current = next;
    ctx.ledger().add_ops();
  }
  wg.wait();
  gmpkit::gomaxprocs(procs);
}

}  // namespace gmpkit::stress
