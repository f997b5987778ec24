// stress/bench/bench_util.hpp — shared helpers for the benchmarks that run
// inside the runtime (proc_bench, timer_bench).
//
// How a runtime benchmark is driven. Google Benchmark calls the benchmark
// function several times (iteration-count estimation, then the measured
// run); each call starts ONE runtime with gmpkit::run() and drives the
// whole `for (auto _ : state)` / KeepRunningBatch loop from inside the main
// goroutine. So run()'s start-up (Ps, Ms, sysmon, the poller) and shutdown
// are outside the timed region, and the loop body measures steady state.
//
// The State object is only ever touched by the one goroutine that runs the
// loop; that goroutine may resume on another M after it parks (procs > 1),
// and the runtime's switch publishes its memory to the new thread. The only
// thread-affine thing in State is its per-thread CPU clock, which would be
// meaningless after a migration, so every runtime benchmark uses
// UseRealTime() (wall time decides the iteration count and is the reported
// time) and MeasureProcessCPUTime() (the CPU column is then the CPU of ALL
// threads: it includes spinning Ms, which is exactly the cost to show).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "gmpkit/gmpkit.hpp"

namespace gmpkit_bench {

// Runs f as the main goroutine of a fresh runtime with `procs` Ps (0: the
// default, GMPKIT_PROCS or hardware threads), for the Go ports below.
template <class F>
void run_procs(int procs, F&& f) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  gmpkit::run(cfg, std::forward<F>(f));
}

// Go's b.RunParallel / testing.PB: gomaxprocs() goroutines share n
// iterations, taking them in grains of 100; body(next) loops while next().
template <class Body>
void run_parallel(std::int64_t n, Body body) {
  const int procs = gmpkit::gomaxprocs();
  auto next = std::make_shared<std::atomic<std::int64_t>>(0);
  gmpkit::Chan<bool> done(static_cast<std::size_t>(procs));
  for (int p = 0; p < procs; p++)
    gmpkit::go([=]() mutable {
      body([&next = *next, n, left = std::int64_t{0}]() mutable {
        if (left > 0) {
          left--;
          return true;
        }
        std::int64_t start = next.fetch_add(100);
        if (start >= n) return false;
        left = std::min<std::int64_t>(100, n - start) - 1;
        return true;
      });
      done.send(true);
    });
  for (int p = 0; p < procs; p++) done.recv();
}

// The largest procs value the scaling rows use: $GMPKIT_BENCH_MAX_PROCS, or
// the number of hardware threads (at least 2, so procs 1 and 2 always run).
inline int max_procs() {
  if (const char* s = std::getenv("GMPKIT_BENCH_MAX_PROCS")) {
    int v = std::atoi(s);
    if (v >= 1) return v;
  }
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

// Adds one Arg per procs value in {1, 2, 4, 8, 16, 32, ...} up to max_procs().
inline void procs_scaling(benchmark::internal::Benchmark* b) {
  for (int p = 1; p <= max_procs(); p *= 2) b->Arg(p);
}

// Adds {procs, extra} pairs for procs in the scaling list.
inline void procs_scaling_with(benchmark::internal::Benchmark* b, long extra) {
  for (int p = 1; p <= max_procs(); p *= 2) b->Args({p, extra});
}

// Runs body() as the main goroutine of a fresh runtime with `procs` Ps. An
// exception (from the runtime or the body) marks the benchmark as failed
// instead of escaping into Google Benchmark.
template <class F>
void in_runtime(benchmark::State& state, int procs, F&& body) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  try {
    gmpkit::run(cfg, std::forward<F>(body));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  state.counters["procs"] = procs;
}

// A counter that Google Benchmark turns into "time per unit": it divides by
// the elapsed seconds (kIsRate) and inverts (kInvert), giving elapsed /
// units. The value is in SECONDS in the JSON; the console prints it with an
// SI prefix ("161.3ns").
inline benchmark::Counter time_per(double units) {
  return benchmark::Counter(units, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Makes `n` goroutines exist at once (all parked on a gate), then lets them
// exit, so the next n spawns reuse pooled Gs and stacks instead of mmapping
// new ones: the timed loop then sees a long-running program's steady state.
// Call it from the main goroutine, before the timed loop.
inline void warm_stacks(int n) {
  gmpkit::WaitGroup gate, done;
  gate.add(1);
  done.add(n);
  for (int i = 0; i < n; i++)
    gmpkit::go([&] {
      gate.wait();
      done.done();
    });
  gate.done();
  done.wait();
}

}  // namespace gmpkit_bench
