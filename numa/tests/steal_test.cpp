// numa/tests/steal_test.cpp — NUMA-aware stealing's order, on a foreign
// topology (no binding: what is verified is which victims a thief may
// take from, not where threads run). "numa:2 core:2 pu:1" with placement
// numa and 4 Ps puts P0, P2 on node 0 and P1, P3 on node 1.
#include <gtest/gtest.h>

#include <chrono>

#include <gmpkit/metrics.hpp>
#include <gmpkit/numa/placement.hpp>
#include <gmpkit/placement.hpp>
#include <gmpkit/runtime.hpp>
#include <gmpkit/waitgroup.hpp>

namespace numa = gmpkit::numa;

namespace {

// Spawns `n` goroutines with a little work each from the main goroutine, so
// the other Ps get them by stealing; returns the steals of the run.
std::int64_t fan_out(const gmpkit::Config& cfg, int n, gmpkit::PlacementStats* st) {
  std::int64_t steals = 0;
  gmpkit::run(cfg, [&] {
    const auto m0 = gmpkit::metrics().steals;
    gmpkit::WaitGroup wg;
    wg.add(n);
    for (int i = 0; i < n; i++)
      gmpkit::go([&wg] {
        volatile std::uint64_t x = 0;
        for (int k = 0; k < 20000; k++) x = x + static_cast<std::uint64_t>(k);
        wg.done();
      });
    wg.wait();
    steals = gmpkit::metrics().steals - m0;
    *st = gmpkit::placement_stats();
  });
  return steals;
}

gmpkit::Config four_ps_two_nodes() {
  numa::install();
  gmpkit::Config cfg;
  cfg.procs = 4;
  cfg.placement = "numa";
  cfg.topology = "numa:2 core:2 pu:1";
  return cfg;
}

}  // namespace

TEST(NumaSteal, WithAnEndlessRemoteDelayEveryStealIsNodeLocal) {
  unsetenv("HWLOC_THISSYSTEM");
  numa::set_steal_policy({true, std::chrono::hours(1)});
  gmpkit::PlacementStats st;
  const std::int64_t steals = fan_out(four_ps_two_nodes(), 2000, &st);
  numa::set_steal_policy({});
  EXPECT_EQ(st.remote_steals, 0);
  EXPECT_EQ(st.local_steals, steals);  // every steal of the run was counted, all local
}

TEST(NumaSteal, OffByDefaultAndEveryStealIsClassified) {
  unsetenv("HWLOC_THISSYSTEM");
  numa::set_steal_policy({});
  gmpkit::PlacementStats st;
  const std::int64_t steals = fan_out(four_ps_two_nodes(), 2000, &st);
  EXPECT_EQ(st.local_steals + st.remote_steals, steals);
}

TEST(NumaSteal, NoPlacementNoNodeStatistics) {
  gmpkit::Config cfg;
  cfg.procs = 2;
  gmpkit::PlacementStats st{-1, -1};
  fan_out(cfg, 200, &st);
  EXPECT_EQ(st.local_steals + st.remote_steals, 0);
}
