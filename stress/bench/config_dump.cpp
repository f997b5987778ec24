// config_dump — prints the runtime Config the benchmarks run with (the
// defaults, procs resolved inside a run) as one JSON object: the `config`
// block of a reports/ result file.
#include <chrono>
#include <cstdio>

#include "gmpkit/gmpkit.hpp"

int main() {
  gmpkit::Config cfg;
  int procs = 0;
  gmpkit::run(cfg, [&] { procs = gmpkit::gomaxprocs(); });
  using us = std::chrono::microseconds;
  std::printf(
      "{\"procs\":%d,\"stack_size\":%zu,\"time_slice_us\":%lld,\"min_slice_us\":%lld,"
      "\"async_preempt\":%s,\"max_threads\":%d}\n",
      procs, cfg.stack_size,
      static_cast<long long>(std::chrono::duration_cast<us>(cfg.time_slice).count()),
      static_cast<long long>(std::chrono::duration_cast<us>(cfg.min_slice).count()),
      cfg.async_preempt ? "true" : "false", cfg.max_threads);
  return 0;
}
