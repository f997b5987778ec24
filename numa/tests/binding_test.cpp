// numa/tests/binding_test.cpp — real binding through the runtime's
// placement seam. With HWLOC_THISSYSTEM=1 the synthetic topology
// "numa:2 core:1 pu:1" is taken as this machine (PUs 0 and 1), so binding
// really applies: each M's thread affinity is read back from the kernel at
// every bind, and goroutines check with sched_getcpu() that they run inside
// the cpuset of the P their thread is bound for. Needs 2 CPUs; skipped (and
// said so) on a machine with fewer. A foreign topology must never count a
// bind as verified.
#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <set>
#include <thread>

#include <gmpkit/error.hpp>
#include <gmpkit/numa/placement.hpp>
#include <gmpkit/placement.hpp>
#include <gmpkit/runtime.hpp>
#include <gmpkit/stw.hpp>
#include <gmpkit/waitgroup.hpp>

namespace numa = gmpkit::numa;

namespace {
bool two_cpus_allowed() {
  cpu_set_t s;
  return sched_getaffinity(0, sizeof s, &s) == 0 && CPU_ISSET(0, &s) && CPU_ISSET(1, &s);
}

// Runs `n` goroutines that spin, sample sched_getcpu() against their
// thread's binding and yield, so both Ps and several Ms take part.
void spin_and_sample(int n) {
  gmpkit::WaitGroup wg;
  for (int i = 0; i < n; i++) {
    wg.add(1);
    gmpkit::go([&wg] {
      for (int k = 0; k < 200; k++) {
        numa::check_current_thread();
        volatile std::uint64_t x = 0;
        for (int j = 0; j < 20000; j++) x = x + static_cast<std::uint64_t>(j);
        gmpkit::yield();
      }
      wg.done();
    });
  }
  wg.wait();
}
}  // namespace

TEST(NumaBinding, EachPsThreadRunsOnItsNodeThisSystem) {
  if (!two_cpus_allowed()) GTEST_SKIP() << "needs CPUs 0 and 1 in this process's affinity";
  setenv("HWLOC_THISSYSTEM", "1", 1);
  numa::install();
  numa::reset_binding_stats();
  gmpkit::Config cfg;
  cfg.procs = 2;
  cfg.placement = "numa";
  cfg.topology = "numa:2 core:1 pu:1";
  std::set<int> nodes_seen;
  gmpkit::run(cfg, [&] {
    spin_and_sample(8);
    // The main goroutine's own thread is bound for its P too.
    const auto slot = numa::current_slot();
    EXPECT_GE(slot.node, 0);
  });
  unsetenv("HWLOC_THISSYSTEM");
  const auto b = numa::binding_stats();
  EXPECT_GT(b.binds, 0);
  EXPECT_EQ(b.failed, 0);
  EXPECT_EQ(b.unverifiable, 0);
  EXPECT_EQ(b.verified, b.binds);  // every bind read back from the kernel
  EXPECT_GT(b.samples_ok, 0);
  EXPECT_EQ(b.samples_bad, 0);
  ASSERT_EQ(b.binds_per_node.size(), 2u);
  EXPECT_GT(b.binds_per_node[0], 0);  // P0 -> node 0 (cpu 0)
  EXPECT_GT(b.binds_per_node[1], 0);  // P1 -> node 1 (cpu 1)
}

TEST(NumaBinding, CompactPinsEachPToOneCpuAcrossGomaxprocsChanges) {
  if (!two_cpus_allowed()) GTEST_SKIP() << "needs CPUs 0 and 1 in this process's affinity";
  setenv("HWLOC_THISSYSTEM", "1", 1);
  numa::install();
  numa::reset_binding_stats();
  gmpkit::Config cfg;
  cfg.procs = 2;
  cfg.placement = "compact";
  cfg.topology = "numa:1 core:2 pu:1";
  gmpkit::run(cfg, [&] {
    spin_and_sample(4);
    gmpkit::gomaxprocs(1);
    spin_and_sample(2);
    gmpkit::gomaxprocs(2);
    spin_and_sample(4);
  });
  unsetenv("HWLOC_THISSYSTEM");
  const auto b = numa::binding_stats();
  EXPECT_GT(b.binds, 0);
  EXPECT_EQ(b.failed, 0);
  EXPECT_EQ(b.verified, b.binds);
  EXPECT_EQ(b.samples_bad, 0);
  EXPECT_GT(b.samples_ok, 0);
}

TEST(NumaBinding, RunThreadGetsItsAffinityBack) {
  if (!two_cpus_allowed()) GTEST_SKIP() << "needs CPUs 0 and 1 in this process's affinity";
  cpu_set_t before;
  sched_getaffinity(0, sizeof before, &before);
  setenv("HWLOC_THISSYSTEM", "1", 1);
  numa::install();
  gmpkit::Config cfg;
  cfg.procs = 2;
  cfg.placement = "scatter";
  cfg.topology = "numa:2 core:1 pu:1";
  gmpkit::run(cfg, [] { spin_and_sample(2); });
  unsetenv("HWLOC_THISSYSTEM");
  cpu_set_t after;
  sched_getaffinity(0, sizeof after, &after);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

TEST(NumaBinding, ForeignTopologyIsNeverCountedAsBound) {
  unsetenv("HWLOC_THISSYSTEM");
  numa::install();
  numa::reset_binding_stats();
  gmpkit::Config cfg;
  cfg.procs = 2;
  cfg.placement = "numa";
  cfg.topology = "numa:4 core:8 pu:2";
  gmpkit::run(cfg, [] { spin_and_sample(4); });
  const auto b = numa::binding_stats();
  EXPECT_GT(b.binds, 0);
  EXPECT_EQ(b.verified, 0);
  EXPECT_EQ(b.unverifiable, b.binds);
  EXPECT_EQ(b.samples_ok + b.samples_bad, 0);  // nothing to compare against
}

TEST(NumaBinding, PlacementWithoutProviderOrBadNameIsAUsageError) {
  gmpkit::set_placement_hooks(nullptr);
  gmpkit::Config cfg;
  cfg.procs = 1;
  cfg.placement = "numa";
  EXPECT_THROW(gmpkit::run(cfg, [] {}), gmpkit::usage_error);
  numa::install();
  cfg.placement = "everywhere";
  EXPECT_THROW(gmpkit::run(cfg, [] {}), gmpkit::usage_error);
  cfg.placement = "none";
  cfg.topology = "numa:oops";
  EXPECT_THROW(gmpkit::run(cfg, [] {}), gmpkit::usage_error);
  cfg.topology = "";
  gmpkit::run(cfg, [] {});  // and the runtime still works afterwards
}
