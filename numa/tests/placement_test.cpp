// numa/tests/placement_test.cpp — the placement plans (which PU/node each P
// gets) on big foreign topologies. Verifies the policy logic only: nothing
// is bound here.
#include <gtest/gtest.h>

#include <set>

#include <gmpkit/error.hpp>
#include <gmpkit/numa/placement.hpp>

using namespace gmpkit::numa;

TEST(NumaPlacement, ParsesPolicies) {
  EXPECT_EQ(parse_policy("none"), Policy::none);
  EXPECT_EQ(parse_policy("compact"), Policy::compact);
  EXPECT_EQ(parse_policy("scatter"), Policy::scatter);
  EXPECT_EQ(parse_policy("numa"), Policy::numa);
  EXPECT_THROW(parse_policy("spread"), gmpkit::usage_error);
}

TEST(NumaPlacement, CompactFillsCoresThenNodes) {
  auto t = Topology::load("numa:4 core:8 pu:2");
  auto s = plan(*t, Policy::compact, 64);
  ASSERT_EQ(s.size(), 64u);
  for (int p = 0; p < 64; p++) {
    ASSERT_EQ(s[p].cpus.size(), 1u);
    EXPECT_EQ(s[p].cpus[0], p);  // PU p: both SMT siblings of core 0 first
    EXPECT_EQ(s[p].node, p / 16);
  }
}

TEST(NumaPlacement, ScatterSpreadsOverNodesThenCoresThenSiblings) {
  auto t = Topology::load("numa:4 core:8 pu:2");
  auto s = plan(*t, Policy::scatter, 64);
  for (int p = 0; p < 4; p++) EXPECT_EQ(s[p].node, p);  // one P per node first
  // The first 32 Ps use 32 distinct cores (no SMT sibling shared).
  std::set<int> cores;
  for (int p = 0; p < 32; p++) cores.insert(t->pus()[static_cast<std::size_t>(s[p].cpus[0])].core);
  EXPECT_EQ(cores.size(), 32u);
  // All 64 PUs used exactly once.
  std::set<int> cpus;
  for (auto& sl : s) cpus.insert(sl.cpus[0]);
  EXPECT_EQ(cpus.size(), 64u);
}

TEST(NumaPlacement, NumaGivesEachPAWholeNode) {
  auto t = Topology::load(GMPKIT_NUMA_TEST_DATA "/two-socket.xml");
  auto s = plan(*t, Policy::numa, 5);
  ASSERT_EQ(s.size(), 5u);
  for (int p = 0; p < 5; p++) {
    EXPECT_EQ(s[p].node, p % 2);
    EXPECT_EQ(s[p].cpus, t->nodes()[static_cast<std::size_t>(p % 2)].pus);
    EXPECT_EQ(s[p].cpus.size(), 8u);
  }
}

TEST(NumaPlacement, NoneAndMoreProcsThanPus) {
  auto t = Topology::load("numa:2 core:1 pu:1");
  EXPECT_TRUE(plan(*t, Policy::none, 4).empty());
  auto s = plan(*t, Policy::compact, 5);  // wraps around
  EXPECT_EQ(s[4].cpus[0], 0);
}
