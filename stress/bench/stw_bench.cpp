// stress/bench/stw_bench.cpp — stop-the-world and system-call costs:
//
//   BM_StopStartTheWorld/procs/hog   one stop_the_world + start_the_world
//       while every other P runs a goroutine; hog=0: loops that call
//       preempt_point() (cooperative), hog=1: call-free loops (only async
//       preemption can stop them), hog=2: idle Ps, hog=3: goroutines looping
//       in short blocking syscalls (gmpkit::syscall of a 20 us sleep).
//       Counters stop_p50/p99/p999/max and pause_p50/p99/p999/max (ns) come
//       from gmpkit::metrics() histograms (log-linear buckets: quantiles
//       within 12.5 %); the histograms "stop" and "pause" are written for
//       reports/ (bench_util.hpp write_histogram).
//   BM_Gomaxprocs/procs              gomaxprocs(n) flipping between two values
//       (STW + procresize + restart).
//   BM_SyscallFastPath               gmpkit::syscall of an empty call: the
//       entersyscall/exitsyscall fast path (Go: ~18 ns on the reference box).
//   BM_SyscallBlock                  gmpkit::syscall_block of an empty call
//       (handoffp every time).
//   BM_SyscallHandoffStall           procs=1: one goroutine blocks 50 ms in
//       a syscall while another counts; the largest gap between the
//       counter's progress (counter gap_max_us) shows how long the P was
//       stuck before sysmon retook it.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};

void hog_loop(int kind, std::atomic<long>* sink) {
  long x = 0;
  if (kind == 3) {
    while (!g_stop.load(std::memory_order_relaxed)) {
      x++;
      gmpkit::syscall([] { ::usleep(20); });
    }
  } else if (kind == 0) {
    while (!g_stop.load(std::memory_order_relaxed)) {
      x++;
      gmpkit::preempt_point();
    }
  } else {
    // Call-free: only a signal can preempt this loop.
    while (!g_stop.load(std::memory_order_relaxed)) {
      x++;
      asm volatile("" : "+r"(x));
    }
  }
  sink->fetch_add(x);
}

gmpkit::HistogramSnapshot diff(const gmpkit::HistogramSnapshot& a,
                               const gmpkit::HistogramSnapshot& b) {
  // b - a, bucket-wise (buckets are aligned: same upper bounds, b may be longer).
  gmpkit::HistogramSnapshot d = b;
  for (std::size_t i = 0; i < a.counts.size() && i < d.counts.size(); i++)
    d.counts[i] -= a.counts[i];
  d.count = b.count - a.count;
  d.sum_ns = b.sum_ns - a.sum_ns;
  return d;  // min/max stay those of b (whole run): reported max is a bound
}

void BM_StopStartTheWorld(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  const int kind = static_cast<int>(state.range(1));
  gmpkit_bench::in_runtime(state, procs, [&] {
    g_stop = false;
    std::atomic<long> sink{0};
    gmpkit::WaitGroup wg;
    const int hogs = kind == 2 ? 0 : kind == 3 ? procs : procs - 1;
    wg.add(hogs);
    for (int i = 0; i < hogs; i++)
      gmpkit::go([&] {
        hog_loop(kind, &sink);
        wg.done();
      });
    gmpkit::sleep_for(std::chrono::milliseconds(5));  // let the hogs occupy their Ps
    const auto m0 = gmpkit::metrics();
    for (auto _ : state) {
      gmpkit::stop_the_world("bench");
      gmpkit::start_the_world();
    }
    const auto m1 = gmpkit::metrics();
    g_stop = true;
    wg.wait();
    gmpkit_bench::report_latency(state, "stop", diff(m0.stw_stopping, m1.stw_stopping));
    gmpkit_bench::report_latency(state, "pause", diff(m0.stw_total, m1.stw_total));
  });
}
BENCHMARK(BM_StopStartTheWorld)
    ->ArgsProduct({{2, 4}, {0, 1, 2, 3}})
    ->ArgNames({"procs", "hog"})
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_Gomaxprocs(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  gmpkit_bench::in_runtime(state, procs, [&] {
    int flip = 0;
    for (auto _ : state) gmpkit::gomaxprocs((flip ^= 1) ? procs + 1 : procs);
  });
}
BENCHMARK(BM_Gomaxprocs)->Arg(2)->Arg(4)->UseRealTime()->MeasureProcessCPUTime();

void BM_SyscallFastPath(benchmark::State& state) {
  gmpkit_bench::in_runtime(state, 2, [&] {
    for (auto _ : state) benchmark::DoNotOptimize(gmpkit::syscall([] { return 1; }));
  });
}
BENCHMARK(BM_SyscallFastPath)->UseRealTime()->MeasureProcessCPUTime();

void BM_SyscallBlock(benchmark::State& state) {
  gmpkit_bench::in_runtime(state, 2, [&] {
    for (auto _ : state) benchmark::DoNotOptimize(gmpkit::syscall_block([] { return 1; }));
  });
}
BENCHMARK(BM_SyscallBlock)->UseRealTime()->MeasureProcessCPUTime();

void BM_SyscallHandoffStall(benchmark::State& state) {
  gmpkit_bench::in_runtime(state, 1, [&] {
    double worst = 0;
    for (auto _ : state) {
      std::atomic<bool> done{false};
      std::atomic<long> ticks{0};
      gmpkit::WaitGroup wg;
      wg.add(1);
      gmpkit::go([&] {
        // Counts and records the largest gap between two of its own steps.
        auto last = Clock::now();
        double gap = 0;
        while (!done.load()) {
          ticks++;
          gmpkit::yield();
          auto now = Clock::now();
          gap = std::max(gap, std::chrono::duration<double, std::micro>(now - last).count());
          last = now;
        }
        worst = std::max(worst, gap);
        wg.done();
      });
      gmpkit::yield();
      gmpkit::syscall([] { ::usleep(50000); });
      done = true;
      wg.wait();
    }
    state.counters["gap_max_us"] = worst;
  });
}
BENCHMARK(BM_SyscallHandoffStall)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
