// numa/tests/topology_test.cpp — Topology over synthetic and XML inputs.
// Verifies parsing only (no binding): node/core/PU counts, which PUs each
// node holds, the distance matrix (hwloc's from the XML, the default
// otherwise), and clear errors for bad inputs.
#include <gtest/gtest.h>

#include <gmpkit/error.hpp>
#include <gmpkit/numa/topology.hpp>

using gmpkit::numa::Topology;

TEST(NumaTopology, SyntheticFourNodesEightCoresTwoPus) {
  auto t = Topology::load("numa:4 core:8 pu:2");
  EXPECT_EQ(t->num_nodes(), 4);
  EXPECT_EQ(t->num_cores(), 32);
  EXPECT_EQ(t->num_pus(), 64);
  for (int n = 0; n < 4; n++) {
    const auto& node = t->nodes()[static_cast<std::size_t>(n)];
    ASSERT_EQ(node.pus.size(), 16u);
    EXPECT_EQ(node.cores.size(), 8u);
    EXPECT_EQ(node.pus.front(), 16 * n);  // synthetic PUs are numbered in order
    EXPECT_EQ(node.pus.back(), 16 * n + 15);
  }
  EXPECT_FALSE(t->distances_from_hwloc());
  EXPECT_EQ(t->distance(0, 0), 10);
  EXPECT_EQ(t->distance(0, 3), 20);
  EXPECT_NE(t->describe().find("4 NUMA nodes, 32 cores, 64 PUs"), std::string::npos);
}

TEST(NumaTopology, SyntheticIsForeignUnlessThisSystemIsSet) {
  unsetenv("HWLOC_THISSYSTEM");
  EXPECT_FALSE(Topology::load("numa:2 core:1 pu:1")->is_this_system());
  setenv("HWLOC_THISSYSTEM", "1", 1);
  EXPECT_TRUE(Topology::load("numa:2 core:1 pu:1")->is_this_system());
  unsetenv("HWLOC_THISSYSTEM");
}

TEST(NumaTopology, TwoSocketXmlWithDistances) {
  auto t = Topology::load(GMPKIT_NUMA_TEST_DATA "/two-socket.xml");
  EXPECT_EQ(t->num_nodes(), 2);
  EXPECT_EQ(t->num_cores(), 8);
  EXPECT_EQ(t->num_pus(), 16);
  EXPECT_FALSE(t->is_this_system());
  EXPECT_TRUE(t->distances_from_hwloc());
  EXPECT_EQ(t->distance(0, 0), 10);
  EXPECT_EQ(t->distance(0, 1), 21);
  EXPECT_EQ(t->distance(1, 0), 21);
}

TEST(NumaTopology, ThisMachineHasAtLeastOneNodeAndItsPus) {
  unsetenv("HWLOC_XMLFILE");
  auto t = Topology::load("");
  EXPECT_TRUE(t->is_this_system());
  EXPECT_GE(t->num_nodes(), 1);
  EXPECT_GE(t->num_pus(), 1);
  EXPECT_EQ(t->source(), "this machine");
}

TEST(NumaTopology, BadInputsAreUsageErrors) {
  EXPECT_THROW(Topology::load("numa:banana"), gmpkit::usage_error);
  EXPECT_THROW(Topology::load("/nonexistent/topo.xml"), gmpkit::usage_error);
}
