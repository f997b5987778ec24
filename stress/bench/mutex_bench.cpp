// sync.Mutex benchmarks: ports of Go 1.19's sync/mutex_test.go
// (BenchmarkMutexUncontended, BenchmarkMutex = contended, no work), with
// Go's RunParallel (GOMAXPROCS goroutines sharing b.N).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include "bench_util.hpp"
#include "gmpkit/gmpkit.hpp"

using gmpkit::Chan;

namespace {

using gmpkit_bench::run_parallel;
using gmpkit_bench::run_procs;

void MutexUncontended(benchmark::State& state) {
  run_procs(0, [&] {
    while (state.KeepRunningBatch(state.max_iterations)) {
      run_parallel(state.max_iterations, [](auto next) {
        struct alignas(128) Padded {
          gmpkit::Mutex mu;
        } m;
        while (next()) {
          m.mu.lock();
          m.mu.unlock();
        }
      });
    }
  });
}
BENCHMARK(MutexUncontended)->UseRealTime();

void MutexContended(benchmark::State& state) {
  run_procs(0, [&] {
    while (state.KeepRunningBatch(state.max_iterations)) {
      auto mu = std::make_shared<gmpkit::Mutex>();
      run_parallel(state.max_iterations, [mu](auto next) {
        while (next()) {
          mu->lock();
          mu->unlock();
        }
      });
    }
  });
}
BENCHMARK(MutexContended)->UseRealTime();

}  // namespace
