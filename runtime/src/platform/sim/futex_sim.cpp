// platform/sim/futex_sim.cpp — futex, spin and sleep primitives as
// simulator operations (platform/futex.hpp).
#include "platform/futex.hpp"
#include "platform/sim/simulator.hpp"

namespace gmpkit::rt {

void futexsleep(std::atomic<std::uint32_t>* addr, std::uint32_t val, std::int64_t ns) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return;  // outside a simulation: a spurious wakeup (legal)
  s->point(sim::Point::futex_wait);
  // The check and the sleep are atomic with respect to wakers (the kernel's
  // guarantee): nothing runs between them here.
  if (addr->load(std::memory_order_relaxed) != val) return;  // relaxed: one OS thread
  if (s->buggify()) return;  // a spurious wakeup (Params::faults)
  s->block(addr, ns < 0 ? -1 : s->now + ns);
}

void futexwakeup(std::atomic<std::uint32_t>* addr, std::uint32_t cnt) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return;
  s->point(sim::Point::futex_wake);
  s->wake(addr, static_cast<int>(cnt));
}

void procyield(std::uint32_t) noexcept { sim::sched_point(sim::Point::yield); }
void osyield() noexcept { sim::sched_point(sim::Point::yield); }

void usleep(std::uint32_t us) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return;
  s->point(sim::Point::sleep);
  s->block(nullptr, s->now + static_cast<std::int64_t>(us) * 1000);
}

}  // namespace gmpkit::rt
