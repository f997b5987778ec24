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
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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

// ---------------------------------------------------------------------------
// Latency distributions for reports/ (the result schema's `histograms`).
//
// A latency benchmark records every sample into a log-linear histogram (the
// runtime's own bucketing: 8 sub-buckets per power of two, so a quantile is
// within 12.5 %) and writes it with write_histogram(): one JSON line
//   {"name": ..., "upper_ns": [...], "counts": [...], "count": N, "min_ns": .., "max_ns": ..}
// appended to the file named by $GMPKIT_BENCH_HIST_OUT (nothing when unset).
// reports/gmpkit_reports/runner.py runs one benchmark per process and keeps
// the LAST line per name: Google Benchmark may call a benchmark function more
// than once (iteration estimation), the last call is the measured one.

// Bucket index of v ns: values < 8 get their own bucket; above, 8 buckets per
// power of two. upper_ns(index) is the bucket's inclusive upper bound.
inline int latency_bucket(std::int64_t v) {
  if (v < 8) return static_cast<int>(std::max<std::int64_t>(v, 0));
  const int e = 63 - __builtin_clzll(static_cast<unsigned long long>(v));  // 2^e <= v
  const int sub = static_cast<int>((v >> (e - 3)) & 7);  // next 3 bits
  return 8 + (e - 3) * 8 + sub;
}
inline std::int64_t latency_bucket_upper(int i) {
  if (i < 8) return i;
  const int e = (i - 8) / 8 + 3, sub = (i - 8) % 8;
  return (std::int64_t{8 + sub + 1} << (e - 3)) - 1;
}

class LatencyHistogram {
 public:
  void add_ns(double ns) {
    const auto v = static_cast<std::int64_t>(std::llround(std::max(ns, 0.0)));
    const auto i = static_cast<std::size_t>(latency_bucket(v));
    if (counts_.size() <= i) counts_.resize(i + 1, 0);
    counts_[i]++;
    min_ = count_ == 0 ? v : std::min(min_, v);
    max_ = std::max(max_, v);
    count_++;
  }
  std::uint64_t count() const { return count_; }
  // The runtime's HistogramSnapshot layout, so both kinds go through one writer.
  gmpkit::HistogramSnapshot snapshot() const {
    gmpkit::HistogramSnapshot h;
    for (std::size_t i = 0; i < counts_.size(); i++) {
      h.upper_ns.push_back(latency_bucket_upper(static_cast<int>(i)));
      h.counts.push_back(counts_[i]);
    }
    h.count = count_;
    h.min_ns = min_;
    h.max_ns = max_;
    return h;
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0, max_ = 0;
};

// Appends one histogram line to $GMPKIT_BENCH_HIST_OUT (empty buckets at both
// ends are trimmed; the bounds stay exact).
inline void write_histogram(const char* name, const gmpkit::HistogramSnapshot& h) {
  const char* path = std::getenv("GMPKIT_BENCH_HIST_OUT");
  if (path == nullptr || *path == 0) return;
  std::size_t lo = 0, hi = h.counts.size();
  while (lo < hi && h.counts[lo] == 0) lo++;
  while (hi > lo && h.counts[hi - 1] == 0) hi--;
  std::string line = "{\"name\":\"";
  line += name;
  line += "\",\"upper_ns\":[";
  for (std::size_t i = lo; i < hi; i++) {
    if (i > lo) line += ',';
    line += std::to_string(h.upper_ns[i]);
  }
  line += "],\"counts\":[";
  for (std::size_t i = lo; i < hi; i++) {
    if (i > lo) line += ',';
    line += std::to_string(h.counts[i]);
  }
  line += "],\"count\":";
  line += std::to_string(h.count);
  line += ",\"min_ns\":";
  line += std::to_string(h.min_ns);
  line += ",\"max_ns\":";
  line += std::to_string(h.max_ns);
  line += "}\n";
  if (std::FILE* f = std::fopen(path, "a")) {
    std::fputs(line.c_str(), f);
    std::fclose(f);
  }
}

// Sets <prefix>_p50/_p99/_p999/_max counters (ns) from a histogram and writes it.
inline void report_latency(benchmark::State& state, const char* name,
                           const gmpkit::HistogramSnapshot& h) {
  const std::string p(name);
  state.counters[p + "_p50_ns"] = h.quantile(0.50);
  state.counters[p + "_p99_ns"] = h.quantile(0.99);
  state.counters[p + "_p999_ns"] = h.quantile(0.999);
  state.counters[p + "_max_ns"] = static_cast<double>(h.max_ns);
  write_histogram(name, h);
}

}  // namespace gmpkit_bench
