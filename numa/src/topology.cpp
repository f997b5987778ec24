// numa/src/topology.cpp — gmpkit::numa::Topology on hwloc 2.
#include "gmpkit/numa/topology.hpp"

#include <hwloc.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include <gmpkit/error.hpp>

namespace gmpkit::numa {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

std::shared_ptr<Topology> Topology::load(const std::string& spec) {
  std::shared_ptr<Topology> t(new Topology);
  if (hwloc_topology_init(&t->topo_) != 0)
    throw usage_error("gmpkit::numa: hwloc_topology_init failed");
  if (ends_with(spec, ".xml")) {
    if (hwloc_topology_set_xml(t->topo_, spec.c_str()) != 0)
      throw usage_error("gmpkit::numa: cannot read topology XML \"" + spec +
                        "\": " + std::strerror(errno));
    t->source_ = "xml:" + spec;
  } else if (!spec.empty()) {
    if (hwloc_topology_set_synthetic(t->topo_, spec.c_str()) != 0)
      throw usage_error("gmpkit::numa: invalid synthetic topology \"" + spec +
                        "\" (hwloc syntax, e.g. \"numa:4 core:8 pu:2\")");
    t->source_ = "synthetic:" + spec;
  } else if (const char* xml = std::getenv("HWLOC_XMLFILE"); xml && *xml) {
    t->source_ = std::string("xml:") + xml + " ($HWLOC_XMLFILE)";
  } else {
    t->source_ = "this machine";
  }
  if (hwloc_topology_load(t->topo_) != 0)
    throw usage_error("gmpkit::numa: hwloc could not load topology \"" + spec +
                      "\": " + std::strerror(errno));
  t->this_system_ = hwloc_topology_is_thissystem(t->topo_) != 0;
  hwloc_topology_t topo = t->topo_;

  const int nn = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  std::vector<hwloc_obj_t> nodes;
  for (int i = 0; i < nn; i++) {
    hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    nodes.push_back(o);
    t->nodes_.push_back(NodeInfo{static_cast<int>(o->os_index), {}, {}});
  }
  if (nodes.empty()) {  // cannot happen with hwloc 2 (always one node), kept safe
    t->nodes_.push_back(NodeInfo{0, {}, {}});
  }
  t->cores_ = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  const int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < npu; i++) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    int node = 0;
    for (std::size_t n = 0; n < nodes.size(); n++)
      if (hwloc_bitmap_isset(nodes[n]->cpuset, pu->os_index)) node = static_cast<int>(n);
    const int core_idx = core ? static_cast<int>(core->logical_index) : i;
    t->pus_.push_back(PuInfo{static_cast<int>(pu->os_index), core_idx, node});
    auto& ni = t->nodes_[static_cast<std::size_t>(node)];
    ni.pus.push_back(static_cast<int>(pu->os_index));
    if (std::find(ni.cores.begin(), ni.cores.end(), core_idx) == ni.cores.end())
      ni.cores.push_back(core_idx);
  }
  if (t->cores_ <= 0) t->cores_ = npu;
  for (auto& n : t->nodes_) std::sort(n.pus.begin(), n.pus.end());

  const std::size_t k = t->nodes_.size();
  t->dist_.assign(k * k, 20);
  for (std::size_t i = 0; i < k; i++) t->dist_[i * k + i] = 10;
  unsigned nr = 1;
  hwloc_distances_s* d = nullptr;
  if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, &d,
                                  HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) == 0 &&
      nr == 1 && d != nullptr) {
    for (unsigned i = 0; i < d->nbobjs; i++)
      for (unsigned j = 0; j < d->nbobjs; j++) {
        const auto a = d->objs[i]->logical_index, b = d->objs[j]->logical_index;
        if (a < k && b < k) t->dist_[a * k + b] = static_cast<int>(d->values[i * d->nbobjs + j]);
      }
    t->hwloc_distances_ = true;
    hwloc_distances_release(topo, d);
  }
  return t;
}

Topology::~Topology() {
  if (topo_) hwloc_topology_destroy(topo_);
}

int Topology::distance(int a, int b) const {
  const std::size_t k = nodes_.size();
  return dist_[static_cast<std::size_t>(a) * k + static_cast<std::size_t>(b)];
}

std::string Topology::synthetic() const {
  char buf[1024];
  if (hwloc_topology_export_synthetic(topo_, buf, sizeof buf, 0) < 0) return "";
  return buf;
}

std::string Topology::describe() const {
  std::ostringstream os;
  os << "topology: " << source_
     << (this_system_ ? " (this system: binding applies)" : " (foreign: binding not applied)")
     << "\n";
  const std::string syn = synthetic();
  if (!syn.empty()) os << "synthetic: " << syn << "\n";
  os << num_nodes() << " NUMA nodes, " << num_cores() << " cores, " << num_pus() << " PUs\n";
  for (std::size_t n = 0; n < nodes_.size(); n++) {
    os << "  node " << n << " (os " << nodes_[n].os_index << "): " << nodes_[n].cores.size()
       << " cores, cpus";
    for (int c : nodes_[n].pus) os << " " << c;
    os << "\n";
  }
  os << "distances (" << (hwloc_distances_ ? "hwloc latency matrix" : "default 10/20") << "):\n";
  for (int a = 0; a < num_nodes(); a++) {
    os << "  ";
    for (int b = 0; b < num_nodes(); b++) os << (b ? " " : "") << distance(a, b);
    os << "\n";
  }
  return os.str();
}

}  // namespace gmpkit::numa
