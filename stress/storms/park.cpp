// stress/storms/park.cpp — park/unpark over channels and mutexes
// (loads.hpp): sequenced pairs (unbuffered and buffered channels), an MPMC
// channel checked value by value, and gmpkit::Mutex workers checked for
// mutual exclusion and lost updates.
#include "loads.hpp"
#include "storm.hpp"

namespace gmpkit::stress {

void park_storm(StormContext& ctx) {
  WaitGroup wg;
  start_pairs(ctx, wg, ctx.scaled(8));
  start_mpmc(ctx, wg, ctx.scaled(4), ctx.scaled(4));
  start_mutexes(ctx, wg, 4, ctx.scaled(16));
  wait_until_stopped(ctx);
  wg.wait();
}

}  // namespace gmpkit::stress
