// stress/storms/mixed.cpp — every other storm at once, each at a quarter of
// its size, sharing one ledger: the exact accounting covers all of them.
#include <memory>
#include <vector>

#include "storm.hpp"

namespace gmpkit::stress {

void mixed_storm(StormContext& ctx) {
  StormOptions sub = ctx.options();
  sub.scale *= 0.25;
  if (sub.spawn_peak > 0) sub.spawn_peak /= 4;
  std::vector<std::unique_ptr<StormContext>> parts;
  WaitGroup wg;
  for (const auto& s : storms()) {
    if (s.fn == mixed_storm) continue;
    // Each part stops with ctx itself: under TSan and load this goroutine
    // could wait tens of seconds on the global run queue (FIFO, served
    // every 61st schedtick) behind the parts' preempted workers, and the
    // parts kept storming until the runner's wedge watchdog fired
    // (numa_stress_bindings under the tsan preset: "did not finish 60 s
    // after its end", the dump showing this goroutine runnable in newproc).
    parts.push_back(std::make_unique<StormContext>(sub, ctx.ledger(), &ctx));
    StormContext* part = parts.back().get();
    ctx.go(&wg, [part, fn = s.fn] { fn(*part); });
  }
  wait_until_stopped(ctx);
  wg.wait();
}

}  // namespace gmpkit::stress
