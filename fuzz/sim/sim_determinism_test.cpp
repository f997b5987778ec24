// fuzz/sim/sim_determinism_test.cpp — Shuttle's check for uncontrolled
// nondeterminism: each (program, seed, strategy) runs twice, with other
// runs in between, and the hash of every scheduling decision and event
// (and the step count and virtual time) must be identical. Different seeds
// must give different schedules (the hash sees the decisions at all).
#include <cstdio>
#include <cstdlib>
#include <set>

#include "program_list.hpp"

namespace sim = gmpkit::testing::sim;

int main(int /*argc*/, char** argv) {
  int failures = 0;
  const std::uint64_t seeds[] = {1, 7, 42, 0xdeadbeef};
  for (const auto& prog : gmpkit::simtest::programs()) {
    sim::set_replay_command(std::string(argv[0]) + " (program " + prog.name + ")");
    std::set<std::uint64_t> distinct;
    int runs = 0;
    for (int strat = 0; strat < 2; strat++) {
      sim::Result first[4];
      sim::Params p;
      p.strategy = strat == 0 ? sim::Strategy::random : sim::Strategy::pct;
      p.depth = 3;
      for (int i = 0; i < 4; i++) {
        p.seed = seeds[i];
        first[i] = sim::run(p, prog.fn);
        distinct.insert(first[i].hash);
        runs++;
      }
      for (int i = 3; i >= 0; i--) {  // again, in the other order
        p.seed = seeds[i];
        const sim::Result again = sim::run(p, prog.fn);
        if (again.hash != first[i].hash || again.steps != first[i].steps ||
            again.virtual_ns != first[i].virtual_ns) {
          std::fprintf(stderr,
                       "NONDETERMINISM: program %s, %s: first run hash %016llx steps %llu, "
                       "second %016llx steps %llu\n",
                       prog.name, sim::format_params(p).c_str(),
                       static_cast<unsigned long long>(first[i].hash),
                       static_cast<unsigned long long>(first[i].steps),
                       static_cast<unsigned long long>(again.hash),
                       static_cast<unsigned long long>(again.steps));
          failures++;
        }
      }
    }
    if (distinct.size() < 2) {
      std::fprintf(stderr, "program %s: all %d seeds gave the same schedule hash\n", prog.name,
                   runs);
      failures++;
    }
    std::printf("%-12s deterministic over %d seeds x 2 strategies (%zu distinct schedules)\n",
                prog.name, 4, distinct.size());
  }
  // The replay string round-trips.
  sim::Params p, q;
  p.strategy = sim::Strategy::pct;
  p.depth = 4;
  p.seed = 0x1234;
  p.pct_horizon = 6100;
  std::uint64_t steps = 0;
  if (!sim::parse_params(sim::format_params(p, 5521), &q, &steps) || steps != 5521 ||
      q.seed != p.seed || q.depth != 4 || q.strategy != sim::Strategy::pct ||
      q.pct_horizon != 6100) {
    std::fprintf(stderr, "format_params/parse_params do not round-trip\n");
    failures++;
  }
  if (sim::parse_params("v1:pct:d3:seed=zz", &q, &steps)) {
    std::fprintf(stderr, "parse_params accepted a malformed seed\n");
    failures++;
  }
  return failures == 0 ? 0 : 1;
}
