// platform/sim/sched_point.hpp — the simulator's scheduling points.
//
// In the simulation build (GMPKIT_PLATFORM=sim) every platform operation
// calls sched_point() first: the seeded strategy may switch to another
// simulated thread (M) there. Outside a running simulation it does nothing.
#pragma once

#include <cstdint>

namespace gmpkit::rt::sim {

enum class Point : std::uint8_t {
  load,
  store,
  rmw,  // exchange, fetch_*, CAS
  fence,
  futex_wait,
  futex_wake,
  clock,
  yield,  // osyield / procyield: a hint that the caller spins
  sleep,
  thread_start,
  thread_exit,
  thread_join,
  poll,
};

void sched_point(Point p) noexcept;

}  // namespace gmpkit::rt::sim
