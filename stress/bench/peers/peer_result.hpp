// stress/bench/peers/peer_result.hpp — the output of the C++ peer programs
// (oneTBB, Boost.Fiber, std::thread): one JSON line per run, the same format
// as the Go peers' internal/result (read by reports/gmpkit_reports/runner.py):
//   {"impl":"tbb","version":"2021.8","workload":"skynet/size:100000","ns_per_op":..,"iterations":N}
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace gmpkit_peers {

using Clock = std::chrono::steady_clock;

// Runs batch(n) with growing n until one call lasts at least min_s seconds;
// returns {ns per op, ops} of that call (as Go's result.Loop).
template <class F>
std::pair<double, std::int64_t> loop(double min_s, F&& batch) {
  std::int64_t n = 1;
  for (;;) {
    auto t0 = Clock::now();
    batch(n);
    double d = std::chrono::duration<double>(Clock::now() - t0).count();
    if (d >= min_s || n >= (std::int64_t{1} << 40)) return {d * 1e9 / static_cast<double>(n), n};
    std::int64_t next =
        d > 0 ? static_cast<std::int64_t>(static_cast<double>(n) * 1.4 * min_s / d) : n * 10;
    if (next <= n) next = n + 1;
    if (next > n * 100) next = n * 100;
    n = next;
  }
}

inline void emit(const char* impl, const std::string& version, const std::string& workload,
                 double ns_per_op, std::int64_t iterations, int threads) {
  std::printf(
      "{\"impl\":\"%s\",\"version\":\"%s\",\"workload\":\"%s\",\"ns_per_op\":%.6g,\"iterations\":%"
      "lld,"
      "\"threads\":%d}\n",
      impl, version.c_str(), workload.c_str(), ns_per_op, static_cast<long long>(iterations),
      threads);
}

// argv: WORKLOAD [--procs N] [--t SECONDS] [--size N]
struct Args {
  std::string workload;
  int procs = 1;
  double min_s = 0.2;
  std::int64_t size = 100000;
};

inline Args parse(int argc, char** argv, const char* usage) {
  Args a;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  a.workload = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--procs"))
      a.procs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--t"))
      a.min_s = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--size"))
      a.size = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\nusage: %s\n", argv[i], usage);
      std::exit(2);
    }
  }
  return a;
}

}  // namespace gmpkit_peers
