// Channel benchmarks: ports of Go 1.19's runtime/chan_test.go
// (BenchmarkChanSync, BenchmarkChanProdCons0/10/100, BenchmarkChanContended)
// and proc_test.go (BenchmarkPingPongHog). One benchmark iteration is one
// of Go's b.N units, so ns/op compares with `go test -bench` directly.
// Each benchmark starts a fresh runtime (GOMAXPROCS = hardware threads, as
// Go's default) and times only the work (KeepRunningBatch).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include "bench_util.hpp"
#include "gmpkit/gmpkit.hpp"

using gmpkit::Chan;

namespace {

using gmpkit_bench::run_parallel;
using gmpkit_bench::run_procs;

// Go's BenchmarkChanSync: two goroutines exchange on an unbuffered
// channel; per op each does one send and one receive.
void ChanSync(benchmark::State& state) {
  run_procs(0, [&] {
    constexpr int CallsPerSched = 1000;
    constexpr int procs = 2;
    while (state.KeepRunningBatch(state.max_iterations)) {
      auto N = std::make_shared<std::atomic<std::int32_t>>(
          static_cast<std::int32_t>(state.max_iterations / CallsPerSched / procs * procs));
      Chan<bool> c(procs);
      Chan<int> myc(0);
      for (int p = 0; p < procs; p++)
        gmpkit::go([=]() mutable {
          for (;;) {
            std::int32_t i = N->fetch_sub(1) - 1;
            if (i < 0) break;
            for (int g = 0; g < CallsPerSched; g++) {
              if (i % 2 == 0) {
                myc.recv();
                myc.send(0);
              } else {
                myc.send(0);
                myc.recv();
              }
            }
          }
          c.send(true);
        });
      for (int p = 0; p < procs; p++) c.recv();
    }
  });
}
BENCHMARK(ChanSync)->UseRealTime();

// Go's benchmarkChanProdCons: GOMAXPROCS producers and consumers with
// localWork units of work per value.
void chanProdCons(benchmark::State& state, std::size_t chanSize, int localWork) {
  run_procs(0, [&] {
    constexpr int CallsPerSched = 1000;
    const int procs = gmpkit::gomaxprocs();
    while (state.KeepRunningBatch(state.max_iterations)) {
      auto N = std::make_shared<std::atomic<std::int32_t>>(
          static_cast<std::int32_t>(state.max_iterations / CallsPerSched));
      Chan<bool> c(2 * procs);
      Chan<int> myc(chanSize);
      for (int p = 0; p < procs; p++) {
        gmpkit::go([=]() mutable {
          volatile int foo = 0;
          while (N->fetch_sub(1) - 1 >= 0) {
            for (int g = 0; g < CallsPerSched; g++) {
              for (int i = 0; i < localWork; i++) {
                foo = foo * 2;
                foo = foo / 2;
              }
              myc.send(1);
            }
          }
          myc.send(0);
          c.send(foo == 42);
        });
        gmpkit::go([=]() mutable {
          volatile int foo = 0;
          for (;;) {
            int v = *myc.recv();
            if (v == 0) break;
            for (int i = 0; i < localWork; i++) {
              foo = foo * 2;
              foo = foo / 2;
            }
          }
          c.send(foo == 42);
        });
      }
      for (int p = 0; p < procs; p++) {
        c.recv();
        c.recv();
      }
    }
  });
}
void ChanProdCons0(benchmark::State& s) { chanProdCons(s, 0, 0); }
void ChanProdCons10(benchmark::State& s) { chanProdCons(s, 10, 0); }
void ChanProdCons100(benchmark::State& s) { chanProdCons(s, 100, 0); }
BENCHMARK(ChanProdCons0)->UseRealTime();
BENCHMARK(ChanProdCons10)->UseRealTime();
BENCHMARK(ChanProdCons100)->UseRealTime();

// Go's BenchmarkChanContended: every goroutine fills and drains one shared
// buffered channel C values at a time.
void ChanContended(benchmark::State& state) {
  run_procs(0, [&] {
    constexpr int C = 100;
    while (state.KeepRunningBatch(state.max_iterations)) {
      Chan<void*> myc(static_cast<std::size_t>(C * gmpkit::gomaxprocs()));
      run_parallel(state.max_iterations, [myc](auto next) mutable {
        while (next()) {
          for (int i = 0; i < C; i++) myc.send(nullptr);
          for (int i = 0; i < C; i++) myc.recv();
        }
      });
    }
  });
}
BENCHMARK(ChanContended)->UseRealTime();

// Go's BenchmarkPingPongHog: at GOMAXPROCS 1, a ping-pong pair shares the
// P with a CPU hog. The pair hands its time slice on (runnext inherits
// it), so the hog runs only when a whole slice is used up.
void PingPongHog(benchmark::State& state) {
  run_procs(1, [&] {
    while (state.KeepRunningBatch(state.max_iterations)) {
      const std::int64_t n = state.max_iterations;
      Chan<bool> stop(0), done(0), ping(0), pong(0);
      gmpkit::go([=]() mutable {  // the CPU hog
        for (;;) {
          if (gmpkit::select(gmpkit::recv_case(stop), gmpkit::default_case()) == 0) {
            done.send(true);
            return;
          }
        }
      });
      gmpkit::go([=]() mutable {
        for (std::int64_t j = 0; j < n; j++) pong.send(*ping.recv());
        stop.close();
        done.send(true);
      });
      gmpkit::go([=]() mutable {
        for (std::int64_t i = 0; i < n; i++) ping.send(*pong.recv());
        done.send(true);
      });
      ping.send(true);  // start the ping-pong
      stop.recv();
      ping.recv();  // let the last ponger exit
      done.recv();
      done.recv();
      done.recv();
    }
  });
}
BENCHMARK(PingPongHog)->UseRealTime();

// Ping-pong over two unbuffered channels between the main goroutine and a
// partner, at procs 1 and 2: one iteration = one round trip (two sends, two
// receives, two handoffs). The workload of the Go / Boost.Fiber peers in
// stress/bench/peers (reports/: chan_pingpong/procs:N).
void BM_ChanPingPong(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  gmpkit_bench::in_runtime(state, procs, [&] {
    Chan<int> ping(0), pong(0);
    gmpkit::WaitGroup done;
    done.add(1);
    gmpkit::go([=, &done]() mutable {
      while (auto v = ping.recv()) pong.send(*v + 1);
      done.done();
    });
    int v = 0;
    for (auto _ : state) {
      ping.send(v);
      v = *pong.recv();
    }
    ping.close();
    done.wait();
    if (v != static_cast<int>(state.iterations())) state.SkipWithError("lost a message");
  });
  state.SetLabel("one round trip");
}
BENCHMARK(BM_ChanPingPong)
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
