// fuzz/sim/sim_programs_test.cpp — every fixed program (sim_programs.hpp)
// under many seeds of both strategies (random walk, PCT with depth 1..3).
// A wrong result or a simulator failure aborts with the replay line.
// Usage: sim_programs_test [runs per program and strategy, default 80]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "program_list.hpp"

int main(int argc, char** argv) {
  using gmpkit::simtest::sim::Params;
  using gmpkit::simtest::sim::Strategy;
  const int runs = argc > 1 ? std::atoi(argv[1]) : 80;
  long total = 0;
  unsigned long long steps = 0, quiescent = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& prog : gmpkit::simtest::programs()) {
    gmpkit::testing::sim::set_replay_command(std::string(argv[0]) + " (program " + prog.name + ")");
    // PCT's change points are drawn over the program's expected length: the
    // longest run of it so far (the random walk runs first), as Shuttle does.
    std::uint64_t longest = 0;
    for (int s = 1; s <= runs; s++) {
      for (int strat = 0; strat < 4; strat++) {
        Params p;
        p.seed = 0x9e37ULL * static_cast<unsigned>(s) + static_cast<unsigned>(strat);
        p.strategy = strat == 0 ? Strategy::random : Strategy::pct;
        p.depth = strat == 0 ? 3 : strat;
        p.max_steps = 1'000'000;
        if (strat != 0) p.pct_horizon = longest;
        auto r = gmpkit::testing::sim::run(p, prog.fn);
        if (r.steps > longest) longest = r.steps;
        steps += r.steps;
        quiescent += r.quiescent_checks;
        total++;
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "sim_programs_test: %ld simulations passed (%llu scheduling points, %llu quiescent "
      "lost-wakeup checks, %.1f s)\n",
      total, steps, quiescent, secs);
  return 0;
}
