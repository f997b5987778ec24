// thread_peer — std::thread reference for spawn+join, run by reports/
// interleaved with gmpkit:
//   thread_peer spawn_join   start 100 std::threads that each do nothing,
//                            join them all; ns per thread
//                            (BM_SpawnJoin/procs:P/batch:100 does the same
//                            with goroutines; --procs only names the workload:
//                            the kernel places the threads)
#include <cstdint>
#include <thread>
#include <vector>

#include "peer_result.hpp"

int main(int argc, char** argv) {
  auto a =
      gmpkit_peers::parse(argc, argv, "thread_peer spawn_join [--procs N] [--t S] [--timeout S]");
  gmpkit_peers::arm_watchdog("thread_peer", a);
  if (a.workload != "spawn_join") {
    std::fprintf(stderr, "thread_peer: unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  constexpr int kBatch = 100;
  std::vector<std::thread> ts;
  ts.reserve(kBatch);
  auto [ns, n] = gmpkit_peers::loop(a.min_s, [&](std::int64_t k) {
    for (std::int64_t i = 0; i < k; i++) {
      for (int j = 0; j < kBatch; j++) ts.emplace_back([] {});
      for (auto& t : ts) t.join();
      ts.clear();
    }
  });
  gmpkit_peers::emit("std_thread", "libstdc++ " + std::to_string(__GLIBCXX__),
                     "spawn_join/procs:" + std::to_string(a.procs), ns / kBatch, n * kBatch,
                     a.procs);
  return 0;
}
