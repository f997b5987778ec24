// stress/bench/metrics_bench.cpp — observability costs and the scheduling
// latency histogram:
//
//   BM_MetricsSnapshot/procs     one gmpkit::metrics() call (sums the per-P
//       counters, copies three histograms) from a goroutine.
//   BM_SchedtraceReport/detail   one debug::schedtrace() report into a
//       string stream (detail=1: the P/M/G lines, 64 parked goroutines).
//   BM_SchedLatencyYield/procs   4 goroutines per P yielding in a loop; the
//       counters sched_p50/p99/max_ns are the runnable -> running latency
//       (gmpkit::metrics().sched_latency over the timed region; sampled as
//       Go does: a G's first run, then every 8th; quantiles within 12.5 %).
#include <benchmark/benchmark.h>

#include <atomic>
#include <sstream>
#include <string>

#include "bench_util.hpp"

namespace {

gmpkit::HistogramSnapshot hist_diff(const gmpkit::HistogramSnapshot& a,
                                    const gmpkit::HistogramSnapshot& b) {
  // b - a, bucket-wise (buckets are aligned: same upper bounds, b may be longer).
  gmpkit::HistogramSnapshot d = b;
  for (std::size_t i = 0; i < a.counts.size() && i < d.counts.size(); i++)
    d.counts[i] -= a.counts[i];
  d.count = b.count - a.count;
  d.sum_ns = b.sum_ns - a.sum_ns;
  return d;  // min/max stay those of b (whole run): the reported max is a bound
}

void BM_MetricsSnapshot(benchmark::State& state) {
  gmpkit_bench::in_runtime(state, static_cast<int>(state.range(0)), [&] {
    for (auto _ : state) benchmark::DoNotOptimize(gmpkit::metrics());
  });
}
BENCHMARK(BM_MetricsSnapshot)
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->Arg(8)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_SchedtraceReport(benchmark::State& state) {
  const bool detail = state.range(0) != 0;
  gmpkit_bench::in_runtime(state, 2, [&] {
    gmpkit::Chan<int> gate(0);
    gmpkit::WaitGroup wg;
    for (int i = 0; i < 64; i++) {
      wg.add(1);
      gmpkit::go([&] {
        gate.recv();
        wg.done();
      });
    }
    std::size_t bytes = 0;
    for (auto _ : state) {
      std::ostringstream os;
      gmpkit::debug::schedtrace(os, detail);
      bytes = os.str().size();
    }
    gate.close();
    wg.wait();
    state.counters["bytes"] = static_cast<double>(bytes);
  });
}
BENCHMARK(BM_SchedtraceReport)
    ->ArgName("detail")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_SchedLatencyYield(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  gmpkit_bench::in_runtime(state, procs, [&] {
    std::atomic<bool> stop{false};
    gmpkit::WaitGroup wg;
    const int n = 4 * procs;
    wg.add(n);
    for (int i = 0; i < n; i++)
      gmpkit::go([&] {
        while (!stop.load(std::memory_order_relaxed)) gmpkit::yield();  // relaxed: a stop flag
        wg.done();
      });
    gmpkit::yield();
    const auto m0 = gmpkit::metrics();
    for (auto _ : state) gmpkit::yield();
    const auto m1 = gmpkit::metrics();
    stop.store(true, std::memory_order_relaxed);  // relaxed: as above
    wg.wait();
    const auto h = hist_diff(m0.sched_latency, m1.sched_latency);
    state.counters["sched_samples"] = static_cast<double>(h.count);
    state.counters["sched_p50_ns"] = h.quantile(0.50);
    state.counters["sched_p99_ns"] = h.quantile(0.99);
    state.counters["sched_max_ns"] = static_cast<double>(h.max_ns);
  });
}
BENCHMARK(BM_SchedLatencyYield)
    ->ArgName("procs")
    ->Apply(gmpkit_bench::procs_scaling)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
