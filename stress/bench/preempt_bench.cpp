// stress/bench/preempt_bench.cpp — preemption (sysmon/preempt.cpp).
//
//   BM_PreemptLatency/<async>   procs 1: a hog goroutine runs; a plain OS
//                               thread issues the preemption request
//                               (sysmon::preemptone, what sysmon does when a G
//                               is over its slice) and the main goroutine,
//                               waiting in the global runq, stamps the time
//                               it gets the P. Latency = request -> switch.
//                               async=1: the hog is a call-free loop, only the
//                               signal stops it; async=0: async preemption off
//                               and the hog calls preempt_point() every
//                               iteration (the best case for cooperative).
//                               Counters p50_ns / p99_ns / max_ns; the
//                               distribution as histogram "request_to_switch"
//                               (bench_util.hpp write_histogram).
//   BM_HogTimerLateness/<procs>/<min_slice_us>
//                               every P runs a call-free loop; one more
//                               goroutine sleep_for(1ms) in a loop; lateness =
//                               wake time - 1 ms. Counters p50_us / p99_us /
//                               max_us, and hog_loops_per_s (the loops'
//                               throughput). min_slice_us = 0: Go 1.19's
//                               behaviour (only the 10 ms time slice);
//                               otherwise Config::min_slice (wake-up
//                               preemption).
//                               The distribution: histogram "lateness".
//                               Go 1.19 peer: stress/bench/peers/go/hoglate.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "core/m.hpp"
#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "sysmon/preempt.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void BM_PreemptLatency(benchmark::State& state) {
  const bool async = state.range(0) != 0;
  gmpkit::Config cfg;
  cfg.procs = 1;
  cfg.async_preempt = async;
  cfg.time_slice = std::chrono::hours(1);  // only our requests preempt
  std::vector<double> lat;
  bool async_on = false;
  try {
    gmpkit::run(cfg, [&] {
      async_on = gmpkit::sysmon::async_preempt_enabled();
      std::atomic<bool> stop{false};
      std::atomic<int> hog_running{0};
      std::atomic<std::int64_t> t_request{0};
      gmpkit::WaitGroup wg;
      wg.add(1);
      gmpkit::go([&] {
        if (async) {
          while (!stop.load(std::memory_order_relaxed))
            if (hog_running.load(std::memory_order_relaxed) == 0)
              hog_running.store(1, std::memory_order_relaxed);
        } else {
          while (!stop.load(std::memory_order_relaxed)) {
            if (hog_running.load(std::memory_order_relaxed) == 0)
              hog_running.store(1, std::memory_order_relaxed);
            gmpkit::preempt_point();
          }
        }
        wg.done();
      });
      // The requester: a plain thread, as sysmon is.
      std::atomic<bool> req_stop{false};
      std::thread requester([&] {
        gmpkit::core::P* pp = gmpkit::core::sched->allp[0];
        while (!req_stop.load()) {
          if (hog_running.load() != 1) continue;
          auto until = now_ns() + 20000;  // let the hog run a little
          while (now_ns() < until) {}
          hog_running.store(2);
          t_request.store(now_ns());
          gmpkit::sysmon::preemptone(pp);
        }
      });
      lat.reserve(4096);
      for (auto _ : state) {
        gmpkit::yield();  // the hog runs until it is preempted
        std::int64_t t1 = now_ns();
        std::int64_t t0 = t_request.load();
        hog_running.store(0);
        if (t0 != 0) lat.push_back(static_cast<double>(t1 - t0));
      }
      req_stop.store(true);
      requester.join();
      stop.store(true);
      wg.wait();
    });
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (async && !async_on) {
    state.SkipWithError("async preemption unavailable in this build");
    return;
  }
  gmpkit_bench::LatencyHistogram hist;
  for (double v : lat) hist.add_ns(v);
  gmpkit_bench::report_latency(state, "request_to_switch", hist.snapshot());
  state.counters["p50_ns"] = percentile(lat, 0.50);
  state.counters["p99_ns"] = percentile(lat, 0.99);
  state.counters["max_ns"] = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  state.SetLabel(async ? "async: call-free hog, SIGURG" : "cooperative: hog calls preempt_point()");
}
BENCHMARK(BM_PreemptLatency)
    ->Arg(1)
    ->Arg(0)
    ->Iterations(3000)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_HogTimerLateness(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  const auto min_slice = std::chrono::microseconds(state.range(1));
  gmpkit::Config cfg;
  cfg.procs = procs;
  cfg.min_slice = min_slice;  // 0: wake-up preemption off (Go 1.19's behaviour)
  std::vector<double> late;
  double loops_per_s = 0, wakeup_requests = 0, kicks = 0;
  try {
    gmpkit::run(cfg, [&] {
      std::atomic<bool> stop{false};
      std::vector<std::atomic<std::uint64_t>> counts(static_cast<std::size_t>(procs));
      gmpkit::WaitGroup wg;
      wg.add(procs);
      for (int i = 0; i < procs; i++) {
        gmpkit::go([&, i] {
          std::uint64_t n = 0;
          while (!stop.load(std::memory_order_relaxed)) n++;  // call-free
          counts[static_cast<std::size_t>(i)].store(n);
          wg.done();
        });
      }
      gmpkit::sleep_for(20ms);  // every hog is running
      auto start = Clock::now();
      for (auto _ : state) {
        auto t0 = Clock::now();
        gmpkit::sleep_for(1ms);
        late.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0 - 1ms).count());
      }
      double secs = std::chrono::duration<double>(Clock::now() - start).count();
      stop.store(true);
      wg.wait();
      const auto st = gmpkit::metrics();
      wakeup_requests = static_cast<double>(st.wakeup_preempt_requests);
      kicks = static_cast<double>(st.sysmon_kicks);
      std::uint64_t total = 0;
      for (auto& c : counts) total += c.load();
      loops_per_s = static_cast<double>(total) / (secs + 0.02);
    });
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (std::getenv("GMPKIT_BENCH_LATE_DUMP"))
    for (std::size_t i = 0; i < late.size(); i++)
      if (late[i] > 5000) std::fprintf(stderr, "late sample %zu: %.0f us\n", i, late[i]);
  gmpkit_bench::LatencyHistogram hist;
  for (double v : late) hist.add_ns(v * 1e3);
  gmpkit_bench::report_latency(state, "lateness", hist.snapshot());
  state.counters["procs"] = procs;
  state.counters["p50_us"] = percentile(late, 0.50);
  state.counters["p99_us"] = percentile(late, 0.99);
  state.counters["max_us"] = late.empty() ? 0 : *std::max_element(late.begin(), late.end());
  state.counters["hog_loops_per_s"] = loops_per_s;
  state.counters["wakeup_preempt_requests"] = wakeup_requests;
  state.counters["sysmon_kicks"] = kicks;
}
BENCHMARK(BM_HogTimerLateness)
    ->Args({1, 0})
    ->Args({1, 1000})
    ->Args({2, 0})
    ->Args({2, 1000})
    ->Iterations(200)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
