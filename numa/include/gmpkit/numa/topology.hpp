// gmpkit/numa/topology.hpp — the machine's shape through hwloc: NUMA nodes,
// cores, PUs and the node distance matrix.
//
//   auto t = gmpkit::numa::Topology::load("");                    // this machine ($HWLOC_XMLFILE honoured)
//   auto t = gmpkit::numa::Topology::load("two-socket.xml");      // an hwloc XML export
//   auto t = gmpkit::numa::Topology::load("numa:4 core:8 pu:2");  // synthetic
//
// A synthetic or XML topology is "foreign" (is_this_system() false) unless
// HWLOC_THISSYSTEM=1 is set: binding on a foreign topology is not applied by
// hwloc (its calls still return 0), so placement never counts it as done.
#pragma once

#include <memory>
#include <string>
#include <vector>

struct hwloc_topology;

namespace gmpkit::numa {

struct PuInfo {
  int os_index;  // the CPU number the kernel uses (sched_getcpu())
  int core;  // logical index of its core
  int node;  // logical index of its NUMA node
};

struct NodeInfo {
  int os_index;
  std::vector<int> pus;  // os indexes, ascending
  std::vector<int> cores;  // logical core indexes
};

class Topology {
 public:
  // spec: "" (this machine, or $HWLOC_XMLFILE), a path ending in ".xml", or
  // an hwloc synthetic description. Throws gmpkit::usage_error on a bad one.
  static std::shared_ptr<Topology> load(const std::string& spec);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const std::string& source() const {
    return source_;
  }  // "this machine", "xml:<path>", "synthetic:<desc>"
  bool is_this_system() const { return this_system_; }
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  int num_cores() const { return cores_; }
  int num_pus() const { return static_cast<int>(pus_.size()); }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  const std::vector<PuInfo>& pus() const { return pus_; }  // in topology (logical) order
  // distance(a, b) between logical nodes: hwloc's latency matrix when the
  // topology has one, else 10 on the diagonal and 20 elsewhere (ACPI SLIT's
  // convention).
  int distance(int a, int b) const;
  bool distances_from_hwloc() const { return hwloc_distances_; }
  // What `gmpkit-stress topology` prints.
  std::string describe() const;
  // The synthetic description hwloc would export for it ("" if none).
  std::string synthetic() const;
  hwloc_topology* handle() const { return topo_; }

 private:
  Topology() = default;
  hwloc_topology* topo_ = nullptr;
  std::string source_;
  bool this_system_ = false;
  int cores_ = 0;
  std::vector<NodeInfo> nodes_;
  std::vector<PuInfo> pus_;
  std::vector<int> dist_;  // row-major num_nodes()^2
  bool hwloc_distances_ = false;
};

}  // namespace gmpkit::numa
