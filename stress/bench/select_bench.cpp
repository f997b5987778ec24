// select benchmarks: ports of Go 1.19's runtime/chan_test.go
// (BenchmarkSelectSyncContended, BenchmarkSelectUncontended), with Go's
// RunParallel (GOMAXPROCS goroutines sharing b.N).
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

void SelectSyncContended(benchmark::State& state) {
  run_procs(0, [&] {
    while (state.KeepRunningBatch(state.max_iterations)) {
      Chan<int> myc1(0), myc2(0), myc3(0), done(0);
      auto senders = std::make_shared<gmpkit::WaitGroup>();
      run_parallel(state.max_iterations, [=](auto next) mutable {
        senders->add(1);
        gmpkit::go([=]() mutable {
          for (;;) {
            std::size_t i = gmpkit::select(gmpkit::send_case(myc1, 0), gmpkit::send_case(myc2, 0),
                                           gmpkit::send_case(myc3, 0), gmpkit::recv_case(done));
            if (i == 3) break;
          }
          senders->done();
        });
        while (next()) gmpkit::select(gmpkit::recv_case(myc1), gmpkit::recv_case(myc2), gmpkit::recv_case(myc3));
      });
      done.close();
      senders->wait();
    }
  });
}
BENCHMARK(SelectSyncContended)->UseRealTime();

void SelectUncontended(benchmark::State& state) {
  run_procs(0, [&] {
    while (state.KeepRunningBatch(state.max_iterations)) {
      run_parallel(state.max_iterations, [](auto next) {
        Chan<int> myc1(1), myc2(1);
        myc1.send(0);
        while (next())
          gmpkit::select(gmpkit::recv_case(myc1, [&] { myc2.send(0); }), gmpkit::recv_case(myc2, [&] { myc1.send(0); }));
      });
    }
  });
}
BENCHMARK(SelectUncontended)->UseRealTime();

}  // namespace
