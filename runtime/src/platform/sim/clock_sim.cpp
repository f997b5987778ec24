// platform/sim/clock_sim.cpp — virtual time: a clock read is a scheduling
// point, and the clock moves only by the simulator.
#include "platform/clock.hpp"
#include "platform/sim/simulator.hpp"

namespace gmpkit::rt {
std::int64_t nanotime() noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return 0;
  if (s->frozen) return s->now += 1'000'000;  // failing: bounded waits must still end
  s->point(sim::Point::clock);
  return s->now;
}
}  // namespace gmpkit::rt
