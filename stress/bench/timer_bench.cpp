// stress/bench/timer_bench.cpp — timers and sleep_for: the per-P timer heap
// on its own, and sleep_for end to end. Runtime benchmarks run their loop in
// the main goroutine of one runtime per call (bench_util.hpp); times are wall
// clock.
//
//   BM_SleepFor_Zero          sleep_for(0): Go's time.Sleep(0) returns at once;
//                             this prices the call (a TLS read and a compare).
//   BM_SleepFor_1ns           sleep_for(1ns), procs=1: the full timer path with a
//                             deadline already past when the scheduler looks:
//                             gopark -> addtimer -> schedule -> checkTimers ->
//                             goready -> execute. Pure timer/park overhead.
//   BM_SleepFor/<us>          sleep_for(<us> µs), procs=1, nothing else runnable:
//                             the M becomes the poller and blocks in epoll_wait;
//                             overshoot_ns = time per sleep - requested: the wake-up
//                             latency (epoll_wait's timeout granularity included).
//   BM_SleepersConcurrent/<procs>
//                             1000 goroutines each sleeping 1 ns 10 times: timers
//                             spread over the Ps' heaps and are run by owners and
//                             stealers. Time per sleep.
//   BM_TimerHeap_AddDel/<n>   addtimer + deltimer of one timer on a P whose heap
//                             already holds <n> timers (the 4-ary heap's sift
//                             cost), called directly on the running P.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "bench_util.hpp"
#include "core/m.hpp"
#include "core/proc.hpp"
#include "gmpkit/gmpkit.hpp"
#include "time/timer.hpp"

namespace {

using gmpkit_bench::in_runtime;
using namespace std::chrono_literals;

void BM_SleepFor_Zero(benchmark::State& state) {
  in_runtime(state, 1, [&] {
    for (auto _ : state) gmpkit::sleep_for(0ns);
  });
}
BENCHMARK(BM_SleepFor_Zero)->UseRealTime()->MeasureProcessCPUTime();

void BM_SleepFor_1ns(benchmark::State& state) {
  in_runtime(state, 1, [&] {
    for (auto _ : state) gmpkit::sleep_for(1ns);
  });
  state.SetLabel("park + timer + wake, deadline already past");
}
BENCHMARK(BM_SleepFor_1ns)->UseRealTime()->MeasureProcessCPUTime();

void BM_SleepFor(benchmark::State& state) {
  const auto d = std::chrono::microseconds(state.range(0));
  double elapsed_ns = 0;
  in_runtime(state, 1, [&] {
    const auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) gmpkit::sleep_for(d);
    elapsed_ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  });
  const double iters =
      static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  state.counters["overshoot_ns"] =
      elapsed_ns / iters - static_cast<double>(std::chrono::nanoseconds(d).count());
  state.SetLabel("wake-up latency = overshoot_ns");
}
BENCHMARK(BM_SleepFor)
    ->ArgName("us")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_SleepersConcurrent(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  static constexpr int kSleepers = 1000, kSleeps = 10;
  in_runtime(state, procs, [&] {
    gmpkit_bench::warm_stacks(kSleepers);
    while (state.KeepRunningBatch(kSleepers * kSleeps)) {
      gmpkit::WaitGroup wg;
      wg.add(kSleepers);
      for (int i = 0; i < kSleepers; i++)
        gmpkit::go([&wg] {
          for (int k = 0; k < kSleeps; k++) gmpkit::sleep_for(1ns);
          wg.done();
        });
      wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("time per sleep (includes 1/10 of a spawn)");
}
BENCHMARK(BM_SleepersConcurrent)
    ->ArgName("procs")
    ->Apply(gmpkit_bench::procs_scaling)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
void noop_timer(void*, std::uintptr_t) {}

void BM_TimerHeap_AddDel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  in_runtime(state, 1, [&] {
    // Far-future deadlines: nothing fires while we measure, and addtimer
    // never has to interrupt a poller (there is none at procs=1 while we run).
    const std::int64_t base = std::numeric_limits<std::int64_t>::max() / 2;
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int64_t> jitter(0, 1'000'000'000);
    std::vector<std::unique_ptr<gmpkit::time::Timer>> resident(n);
    // procs=1 and the main goroutine never parks below, so the P is stable.
    gmpkit::core::P* pp = gmpkit::core::getm()->p;
    for (auto& t : resident) {
      t = std::make_unique<gmpkit::time::Timer>();
      t->when = base + jitter(rng);
      t->f = noop_timer;
      gmpkit::time::addtimer(pp, t.get());
    }
    // A fixed ring of deadlines so the RNG is not in the timed loop.
    std::vector<std::int64_t> whens(1024);
    for (auto& w : whens) w = base + jitter(rng);
    gmpkit::time::Timer t;
    t.f = noop_timer;
    std::size_t i = 0;
    bool ok = true;
    for (auto _ : state) {
      t.when = whens[i++ & 1023];
      gmpkit::time::addtimer(pp, &t);
      ok &= gmpkit::time::deltimer(&t);
    }
    for (auto& r : resident) ok &= gmpkit::time::deltimer(r.get());
    if (!ok) state.SkipWithError("deltimer did not find a pending timer");
  });
  state.SetLabel("addtimer + deltimer pair");
}
BENCHMARK(BM_TimerHeap_AddDel)
    ->ArgName("resident")
    ->Arg(0)
    ->Arg(64)
    ->Arg(4096)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
