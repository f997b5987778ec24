// numa/bench/numa_bench.cpp — NUMA benchmarks, Google Benchmark.
//
// Topology: $GMPKIT_NUMA_BENCH_TOPOLOGY (hwloc spec: "", file.xml,
// synthetic). Default: this machine if it has 2+ NUMA nodes, else the
// synthetic "numa:2 core:1 pu:1" with HWLOC_THISSYSTEM=1 (binding applies:
// node n = CPU n), so on a 2-PU box "cross-node" means "other core".
//
//   HwPingPong/a/b      two OS threads bound (hwloc) to node a's and node b's
//                       cpusets bounce a cache line; Time = one round trip.
//                       The hardware matrix under everything else.
//   ChanPingPong/pol    two goroutines bounce a value over two unbuffered
//                       channels, procs = #PUs, Config::placement = pol
//                       (0 none, 1 compact, 2 scatter, 3 numa).
//   SpawnJoin/pol       1000 goroutines spawned and joined; Time per G.
//   StealFanOut/ns      4096 goroutines of ~5 us work spawned on one P of
//                       2 x #PUs Ps under placement numa; the others get work
//                       only by stealing. ns = Config::numa_steal (0 off, 1
//                       on, remote delay 50 us). Counters: the fraction of
//                       steals that crossed nodes. Time per G.
//                       (numa::set_steal_policy)
//   TbbSpawnJoin/node   the oneTBB peer: 1000 tasks in a task_group inside a
//                       task_arena constrained to NUMA node `node`
//                       (tbb::info::numa_nodes(); -1 = unconstrained);
//                       Time per task.
#include <benchmark/benchmark.h>
#include <hwloc.h>
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "gmpkit/gmpkit.hpp"
#include "gmpkit/numa/placement.hpp"
#include "gmpkit/numa/topology.hpp"
#include "gmpkit/placement.hpp"

namespace numa = gmpkit::numa;

namespace {

std::string pick_topology() {
  if (const char* t = std::getenv("GMPKIT_NUMA_BENCH_TOPOLOGY")) return t;
  auto here = numa::Topology::load("");
  if (here->num_nodes() >= 2 || here->num_pus() < 2) return "";
  // Also for oneTBB's tbbbind, which reads the topology through hwloc's
  // environment: the peer then sees the same two nodes.
  setenv("HWLOC_THISSYSTEM", "1", 1);
  setenv("HWLOC_SYNTHETIC", "numa:2 core:1 pu:1", 1);
  return "numa:2 core:1 pu:1";
}

const std::string& bench_topology() {
  static const std::string t = pick_topology();
  return t;
}

const std::shared_ptr<numa::Topology>& topo() {
  static auto t = numa::Topology::load(bench_topology());
  return t;
}

const char* kPolicies[] = {"none", "compact", "scatter", "numa"};

bool bind_to_node(int node) {
  const auto& t = topo();
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  for (int c : t->nodes()[static_cast<std::size_t>(node)].pus)
    hwloc_bitmap_set(set, static_cast<unsigned>(c));
  const int rc = hwloc_set_cpubind(t->handle(), set, HWLOC_CPUBIND_THREAD);
  hwloc_bitmap_free(set);
  if (rc != 0) return false;
  // Read back from the kernel: hwloc returns 0 on a foreign topology.
  const int cpu = sched_getcpu();
  for (int c : t->nodes()[static_cast<std::size_t>(node)].pus)
    if (c == cpu) return true;
  return false;
}

void HwPingPong(benchmark::State& state) {
  const int a = static_cast<int>(state.range(0)), b = static_cast<int>(state.range(1));
  if (!topo()->is_this_system()) {
    state.SkipWithError("foreign topology: binding would not apply");
    return;
  }
  cpu_set_t saved;
  sched_getaffinity(0, sizeof saved, &saved);
  struct alignas(64) Line {
    std::atomic<std::uint64_t> v{0};
  };
  auto ping = std::make_unique<Line>(), pong = std::make_unique<Line>();
  std::atomic<bool> stop{false}, bound_b{true};
  std::thread other([&] {
    if (!bind_to_node(b)) bound_b.store(false);
    std::uint64_t seen = 0;
    // relaxed loads of the stop flag; acquire/release on the lines (the data)
    while (!stop.load(std::memory_order_relaxed)) {
      const std::uint64_t v = ping->v.load(std::memory_order_acquire);
      if (v != seen) {
        seen = v;
        pong->v.store(v, std::memory_order_release);
      } else if (a == b) {
        std::this_thread::yield();  // same CPU set on a 1-PU node: let the peer run
      }
    }
  });
  if (!bind_to_node(a)) state.SkipWithError("binding to node a failed");
  std::uint64_t n = 0;
  for (auto _ : state) {
    ping->v.store(++n, std::memory_order_release);
    while (pong->v.load(std::memory_order_acquire) != n)
      if (a == b) std::this_thread::yield();
  }
  stop.store(true);
  other.join();
  if (!bound_b.load()) state.SkipWithError("binding to node b failed");
  sched_setaffinity(0, sizeof saved, &saved);
  state.SetLabel("node " + std::to_string(a) + " <-> node " + std::to_string(b) + " (" +
                 topo()->source() + ")");
}

gmpkit::Config config_for(int pol) {
  numa::install();
  gmpkit::Config cfg;
  cfg.procs = topo()->num_pus();
  cfg.placement = kPolicies[pol];
  cfg.topology = bench_topology();
  return cfg;
}

void ChanPingPong(benchmark::State& state) {
  const int pol = static_cast<int>(state.range(0));
  gmpkit::run(config_for(pol), [&] {
    gmpkit::Chan<int> a(0), b(0);
    gmpkit::go([a, b]() mutable {
      while (auto v = a.recv()) b.send(*v);
    });
    int i = 0;
    for (auto _ : state) {
      a.send(i);
      benchmark::DoNotOptimize(b.recv());
      i++;
    }
    a.close();
  });
  state.SetLabel(std::string("placement ") + kPolicies[pol]);
}

void SpawnJoin(benchmark::State& state) {
  const int pol = static_cast<int>(state.range(0));
  constexpr int kBatch = 1000;
  gmpkit::run(config_for(pol), [&] {
    while (state.KeepRunningBatch(kBatch)) {
      gmpkit::WaitGroup wg;
      wg.add(kBatch);
      for (int i = 0; i < kBatch; i++) gmpkit::go([&wg] { wg.done(); });
      wg.wait();
    }
  });
  state.SetLabel(std::string("placement ") + kPolicies[pol]);
}

void StealFanOut(benchmark::State& state) {
  gmpkit::Config cfg = config_for(3);
  cfg.procs = 2 * topo()->num_pus();
  const bool ns = state.range(0) != 0;
  numa::set_steal_policy({ns, std::chrono::microseconds(50)});
  constexpr int kBatch = 4096;
  gmpkit::PlacementStats st{};
  gmpkit::run(cfg, [&] {
    while (state.KeepRunningBatch(kBatch)) {
      gmpkit::WaitGroup wg;
      wg.add(kBatch);
      for (int i = 0; i < kBatch; i++)
        gmpkit::go([&wg] {
          volatile std::uint64_t x = 0;
          for (int k = 0; k < 2000; k++) x = x + static_cast<std::uint64_t>(k);
          wg.done();
        });
      wg.wait();
    }
    st = gmpkit::placement_stats();
  });
  numa::set_steal_policy({});
  const double all = static_cast<double>(st.local_steals + st.remote_steals);
  state.counters["remote_steal_frac"] = all > 0 ? static_cast<double>(st.remote_steals) / all : 0;
  state.counters["steals_per_G"] = all / static_cast<double>(state.iterations());
  state.SetLabel(std::string("numa_steal ") + (ns ? "on" : "off"));
}

void TbbSpawnJoin(benchmark::State& state) {
  const int node_idx = static_cast<int>(state.range(0));
  const auto nodes = tbb::info::numa_nodes();
  tbb::task_arena arena;
  std::string label = "unconstrained";
  if (node_idx >= 0) {
    arena.initialize(tbb::task_arena::constraints{nodes[static_cast<std::size_t>(node_idx)]});
    label = "numa node " + std::to_string(nodes[static_cast<std::size_t>(node_idx)]);
  } else {
    arena.initialize();
  }
  constexpr int kBatch = 1000;
  arena.execute([&] {
    while (state.KeepRunningBatch(kBatch)) {
      tbb::task_group tg;
      std::atomic<int> done{0};
      for (int i = 0; i < kBatch; i++)
        tg.run([&done] { done.fetch_add(1, std::memory_order_relaxed); });
      tg.wait();
      if (done.load() != kBatch) state.SkipWithError("lost TBB tasks");
    }
  });
  state.SetLabel(label + ", " + std::to_string(nodes.size()) + " TBB nodes");
}

void matrix(benchmark::internal::Benchmark* b) {
  const int n = topo()->num_nodes();
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) b->Args({i, j});
}

// Only the nodes oneTBB itself reports (without tbbbind it reports none).
void nodes_and_unconstrained(benchmark::internal::Benchmark* b) {
  (void)topo();  // sets the hwloc environment first
  b->Arg(-1);
  const auto nodes = tbb::info::numa_nodes();
  for (std::size_t i = 0; i < nodes.size(); i++)
    if (nodes[i] >= 0) b->Arg(static_cast<int>(i));
}

}  // namespace

BENCHMARK(HwPingPong)->Apply(matrix)->UseRealTime();
BENCHMARK(ChanPingPong)->DenseRange(0, 3)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(SpawnJoin)->DenseRange(0, 3)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(StealFanOut)->DenseRange(0, 1)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(TbbSpawnJoin)->Apply(nodes_and_unconstrained)->UseRealTime()->MeasureProcessCPUTime();
