// tbb_peer — oneTBB peer of the gmpkit scheduling benchmarks, same workload,
// run by reports/ interleaved with gmpkit:
//   tbb_peer spawn_join --procs P   task_group: run 100 empty tasks, wait
//                                   (BM_SpawnJoin/procs:P/batch:100); ns per task
//   tbb_peer skynet --size N        skynet with nested task_groups (each node
//                                   runs its 10 children and sums them; no
//                                   channels: TBB's idiom); all hardware
//                                   threads; ns per task
// Each runs inside a task_arena of P threads.
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "peer_result.hpp"

namespace {

std::int64_t skynet(std::int64_t num, std::int64_t size) {
  if (size == 1) return num;
  std::int64_t sums[10];
  const std::int64_t child = size / 10;
  tbb::task_group g;
  for (int i = 0; i < 10; i++)
    g.run([&sums, i, num, child] { sums[i] = skynet(num + i * child, child); });
  g.wait();
  std::int64_t s = 0;
  for (auto v : sums) s += v;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  auto a =
      gmpkit_peers::parse(argc, argv, "tbb_peer spawn_join|skynet [--procs N] [--t S] [--size N]");
  const std::string version = TBB_VERSION_STRING;
  if (a.workload == "skynet") a.procs = static_cast<int>(std::thread::hardware_concurrency());
  tbb::task_arena arena(a.procs);
  if (a.workload == "spawn_join") {
    constexpr int kBatch = 100;
    std::atomic<int> done{0};
    auto round = [&] {
      tbb::task_group g;
      for (int i = 0; i < kBatch; i++)
        g.run([&done] { done.fetch_add(1, std::memory_order_relaxed); });
      g.wait();
    };
    auto [ns, n] = arena.execute([&] {
      for (int i = 0; i < 100; i++) round();
      return gmpkit_peers::loop(a.min_s, [&](std::int64_t k) {
        for (std::int64_t i = 0; i < k; i++) round();
      });
    });
    gmpkit_peers::emit("tbb", version, "spawn_join/procs:" + std::to_string(a.procs), ns / kBatch,
                       n * kBatch, a.procs);
  } else if (a.workload == "skynet") {
    const std::int64_t nodes = (a.size * 10 - 1) / 9;
    bool ok = true;
    auto [ns, n] = arena.execute([&] {
      return gmpkit_peers::loop(a.min_s, [&](std::int64_t k) {
        for (std::int64_t i = 0; i < k; i++) ok &= skynet(0, a.size) == a.size * (a.size - 1) / 2;
      });
    });
    if (!ok) {
      std::fprintf(stderr, "skynet: wrong sum\n");
      return 1;
    }
    gmpkit_peers::emit("tbb", version, "skynet/size:" + std::to_string(a.size),
                       ns / static_cast<double>(nodes), n * nodes, a.procs);
  } else {
    std::fprintf(stderr, "tbb_peer: unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  return 0;
}
