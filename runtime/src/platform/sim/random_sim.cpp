// platform/sim/random_sim.cpp — every random seed comes from the run's seed.
#include "platform/random.hpp"
#include "platform/sim/simulator.hpp"

namespace gmpkit::rt {
std::uint64_t random_seed() noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return 0x9e3779b97f4a7c15ULL;
  const std::uint64_t hi = s->rng.next(), lo = s->rng.next();
  return ((hi << 32) | lo) | 1;
}
}  // namespace gmpkit::rt
