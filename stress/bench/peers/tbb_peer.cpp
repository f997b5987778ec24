// tbb_peer — oneTBB peer of the gmpkit scheduling benchmarks, same workload,
// run by reports/ interleaved with gmpkit:
//   tbb_peer spawn_join --procs P   task_group: run 100 empty tasks, wait
//                                   (BM_SpawnJoin/procs:P/batch:100); ns per task
//   tbb_peer skynet --size N        skynet with nested task_groups (each node
//                                   runs its 10 children and sums them; no
//                                   channels: TBB's idiom); all hardware
//                                   threads; ns per task
//   tbb_peer matmult --size N       proc_bench's Matmult/n:N (Go's matmult):
//                                   C += A*B of N x N doubles, the larger i/j
//                                   extent split in two with a task_group
//                                   (one half run as a task, the other
//                                   inline, then wait), k split serially,
//                                   blocks below 8 computed directly; all
//                                   hardware threads; ns per multiply-add
// Each runs inside a task_arena of P threads.
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../matmult.hpp"
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

using gmpkit_bench::make_matrix;
using gmpkit_bench::matmult;
using gmpkit_bench::matmult_correct;
using gmpkit_bench::Matrix;

// stress/bench/matmult.hpp's workload; the i and j halves fork a TBB task.
struct TaskGroupFork {
  template <class L, class R>
  void operator()(L&& left, R&& right) const {
    tbb::task_group g;
    g.run([&left] { left(); });
    right();
    g.wait();
  }
};

}  // namespace

int main(int argc, char** argv) {
  auto a = gmpkit_peers::parse(
      argc, argv,
      "tbb_peer spawn_join|skynet|matmult [--procs N] [--t S] [--size N] [--timeout S]");
  gmpkit_peers::arm_watchdog("tbb_peer", a);
  const std::string version = TBB_VERSION_STRING;
  if (a.workload == "skynet" || a.workload == "matmult")
    a.procs = static_cast<int>(std::thread::hardware_concurrency());
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
  } else if (a.workload == "matmult") {
    const int n = static_cast<int>(a.size);
    const std::int64_t ops = std::int64_t{n} * n * n;
    const Matrix A = make_matrix(n), B = make_matrix(n), C0 = make_matrix(n);
    Matrix C = C0;
    TaskGroupFork fork;
    arena.execute([&] { matmult(fork, A, B, C, 0, n, 0, n, 0, n); });  // untimed: check + warm-up
    if (!matmult_correct(A, B, C0, C, n)) {
      std::fprintf(stderr, "matmult: wrong product\n");
      return 1;
    }
    auto [ns, k] = arena.execute([&] {
      return gmpkit_peers::loop(a.min_s, [&](std::int64_t products) {
        for (std::int64_t i = 0; i < products; i++) matmult(fork, A, B, C, 0, n, 0, n, 0, n);
      });
    });
    gmpkit_peers::emit("tbb", version, "matmult/n:" + std::to_string(n),
                       ns / static_cast<double>(ops), k * ops, a.procs);
  } else {
    std::fprintf(stderr, "tbb_peer: unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  return 0;
}
