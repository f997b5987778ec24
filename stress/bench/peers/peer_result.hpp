// stress/bench/peers/peer_result.hpp — the harness of the C++ peer programs
// (oneTBB, Boost.Fiber, std::thread): argument parsing, the timing loop, a
// watchdog for hung runs, and their output: one JSON line per run, the same
// format as the Go peers' internal/result (read by reports/gmpkit_reports/runner.py):
//   {"impl":"tbb","version":"2021.8","workload":"skynet/size:100000","ns_per_op":..,"iterations":N}
#pragma once

#include <signal.h>
#include <unistd.h>

#include <algorithm>
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

// argv: WORKLOAD [--procs N] [--t SECONDS] [--size N] [--timeout SECONDS]
struct Args {
  std::string workload;
  int procs = 1;
  double min_s = 0.2;
  std::int64_t size = 100000;
  unsigned timeout_s = 120;  // the watchdog's limit; below runner.py's 180 s per process
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
    else if (!std::strcmp(argv[i], "--timeout"))
      a.timeout_s = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "unknown option %s\nusage: %s\n", argv[i], usage);
      std::exit(2);
    }
  }
  return a;
}

namespace detail {
inline char watchdog_msg[256];
inline std::size_t watchdog_len = 0;
extern "C" inline void watchdog_fired(int) {
  // Async-signal-safe only: write(2) and _exit(2).
  ssize_t r = ::write(2, watchdog_msg, watchdog_len);
  (void)r;
  ::_exit(3);
}
}  // namespace detail

// A peer that hangs (no result line after a.timeout_s seconds) exits with
// status 3 and a message naming the program and workload, so reports/ fails the
// run with that message instead of waiting. 0 disables the watchdog.
inline void arm_watchdog(const char* program, const Args& a) {
  if (a.timeout_s == 0) return;
  int n = std::snprintf(detail::watchdog_msg, sizeof detail::watchdog_msg,
                        "%s %s: watchdog: no result after %u s (hung?); exiting with status 3\n",
                        program, a.workload.c_str(), a.timeout_s);
  detail::watchdog_len = n < 0 ? 0 : std::min<std::size_t>(n, sizeof detail::watchdog_msg - 1);
  struct sigaction sa {};
  sa.sa_handler = detail::watchdog_fired;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGALRM, &sa, nullptr);
  ::alarm(a.timeout_s);
}

}  // namespace gmpkit_peers
