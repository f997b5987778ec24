// sync.Mutex benchmarks: ports of Go 1.19's sync/mutex_test.go
// (BenchmarkMutexUncontended, BenchmarkMutex = contended, no work), with
// Go's RunParallel (GOMAXPROCS goroutines sharing b.N).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include "gmpkit/gmpkit.hpp"

using gmpkit::Chan;

namespace {

template <class F>
void run_procs(int procs, F&& f) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  gmpkit::run(cfg, std::forward<F>(f));
}

template <class Body>
void run_parallel(std::int64_t n, Body body) {
  const int procs = gmpkit::gomaxprocs();
  auto next = std::make_shared<std::atomic<std::int64_t>>(0);
  Chan<bool> done(procs);
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
