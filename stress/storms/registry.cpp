// stress/storms/registry.cpp — the storm table and the ledger's notes.
#include "storm.hpp"

namespace gmpkit::stress {

void Ledger::violation(std::string what) {
  violations.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard g(notes_mu_);
  if (notes_.size() < 20) notes_.push_back(std::move(what));
}

std::vector<std::string> Ledger::notes() const {
  std::lock_guard g(notes_mu_);
  return notes_;
}

const std::vector<StormInfo>& storms() {
  static const std::vector<StormInfo> table = {
      {"spawn", "nested spawning in waves; every G of a wave alive at the peak, then all exit",
       spawn_storm},
      {"park",
       "park/unpark: sequenced values over channels (unbuffered, buffered, MPMC) and mutexes",
       park_storm},
      {"syscall", "short and long blocking calls mixed with compute; handoffs from metrics",
       syscall_storm},
      {"preempt", "call-free hogs, allocation-heavy Gs and a signal storm", preempt_storm},
      {"stw", "stop-the-world every 2 ms under spawn, park and hog load", stw_storm},
      {"gomaxprocs", "GOMAXPROCS flapping under channel and spawn load", gomaxprocs_storm},
      {"netpoll", "sequenced streams over pipes and loopback TCP sockets", netpoll_storm},
      {"timers", "1e5 timers alive: sleeps, deadline waits fired, reset and cancelled",
       timers_storm},
      {"mixed", "every storm above at once", mixed_storm},
  };
  return table;
}

const StormInfo* find_storm(const std::string& name) {
  for (const auto& s : storms())
    if (name == s.name) return &s;
  return nullptr;
}

void wait_until_stopped(StormContext& ctx) {
  while (ctx.running()) gmpkit::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace gmpkit::stress
