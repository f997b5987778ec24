// select benchmarks: ports of Go 1.19's runtime/chan_test.go
// (BenchmarkSelectSyncContended, BenchmarkSelectUncontended), with Go's
// RunParallel (GOMAXPROCS goroutines sharing b.N).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include "bench_util.hpp"
#include "gmpkit/gmpkit.hpp"

using gmpkit::Chan;

namespace {

using gmpkit_bench::run_parallel;
using gmpkit_bench::run_procs;

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
        while (next())
          gmpkit::select(gmpkit::recv_case(myc1), gmpkit::recv_case(myc2), gmpkit::recv_case(myc3));
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
          gmpkit::select(gmpkit::recv_case(myc1, [&] { myc2.send(0); }),
                         gmpkit::recv_case(myc2, [&] { myc1.send(0); }));
      });
    }
  });
}
BENCHMARK(SelectUncontended)->UseRealTime();

}  // namespace
