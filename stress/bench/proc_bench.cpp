// stress/bench/proc_bench.cpp — the scheduler end to end: goroutine
// creation and exit, yield, WaitGroup, and work distribution by stealing.
// Each benchmark function starts one runtime and runs its timed loop inside
// the main goroutine (see bench_util.hpp); times are wall-clock (real time),
// the CPU column is the whole process's CPU (spinning Ms included).
//
//   BM_SpawnJoin/<procs>/<batch>   main spawns <batch> goroutines that each
//                                  call wg.done(), then wg.wait(). One
//                                  iteration = one goroutine: Time is the
//                                  spawn+run+exit+join cost PER G. Stacks are
//                                  pre-warmed (untimed) so pooled Gs are reused,
//                                  as in a long-running program.
//   BM_GoExitLatency/<procs>       go() one goroutine and wait for it: the
//                                  latency of newproc -> run -> done -> goexit
//                                  -> main resumed, one at a time.
//   BM_YieldRoundTrip              procs=1, two goroutines yielding to each
//                                  other. One iteration = main's yield plus the
//                                  partner's yield (a round trip through the
//                                  global run queue, 4 context switches);
//                                  per_yield = Time / 2 (seconds in the JSON).
//   BM_YieldAlone                  procs=1, a single goroutine yielding: the
//                                  mcall -> gosched_m -> globrunqput ->
//                                  schedule -> gogo path with nobody else.
//   BM_WaitGroup_AddDone           uncontended add(1)+done() (two seq_cst RMWs).
//   BM_WaitGroup_WaitZero          wait() on a zero counter (the fast path).
//   BM_FanOutWork/<procs>          steal-heavy: main spawns 4096 goroutines
//                                  that each spin ~1 µs; every one lands in
//                                  main's P, so the other Ps get work only by
//                                  stealing. Time per G; steals_per_G counter.
//   BM_SpawnTree/<procs>           parallel spawning: a binary tree of 8191
//                                  goroutines (each spawns two children and
//                                  exits; every node calls done on one wg).
//                                  Time per G.
//   BM_Skynet/<size>               the skynet benchmark: a tree of goroutines,
//                                  10 children per node, <size> leaves (1e5:
//                                  111,111 goroutines; 1e6: 1,111,111); each
//                                  leaf sends its number, each node sums its
//                                  children's over a buffered channel. All Ps.
//                                  Time per goroutine. Same workload in the
//                                  Go / oneTBB / Boost.Fiber peers
//                                  (stress/bench/peers).
//
// Ports of Go 1.19's runtime/proc_test.go benchmarks (Go's names; one
// iteration is one of Go's b.N units, so Time compares with `go test -bench`
// ns/op; all Ps as Go's default GOMAXPROCS). The Go peers in
// stress/bench/peers/go run the same code with result.Loop.
//   CreateGoroutines               one chain: each goroutine starts the next
//                                  and exits. Time per goroutine.
//   CreateGoroutinesParallel       gomaxprocs() chains at once.
//   WakeupParallelSpinning/delay_ns:D  two goroutines alternate as sender and
//                                  receiver on unbuffered channels; before
//                                  each receive a goroutine spins D, before
//                                  each send D + 5 us (Go's wakeDelay). One
//                                  iteration = each side sends once and
//                                  receives once. Needs gomaxprocs() > 1.
//   WakeupParallelSyscall/delay_ns:D   the same with the delay spent in a
//                                  blocking nanosleep inside gmpkit::syscall
//                                  (Go: syscall.Nanosleep, sysNanosleep).
//   Matmult/n:N                    recursive divide-and-conquer C += A*B of
//                                  N x N doubles: the larger of the i/j
//                                  extents is split in two with a goroutine
//                                  for one half (joined over a 1-buffered
//                                  channel), k is split serially, blocks
//                                  below 8 are computed directly. Go sizes
//                                  N = cbrt(b.N) + 1; here N is fixed (a
//                                  stable workload for peers and history)
//                                  and Time is per multiply-add (N^3 per
//                                  product, Go's ns/op). Counter
//                                  serial_ns_per_op: the same recursion
//                                  without goroutines (best of 3), so the
//                                  scheduling cost is Time - serial / procs
//                                  (a peer ratio also compares compilers:
//                                  the leaf loop is most of the work).
//                                  oneTBB peer: tbb_peer matmult.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <vector>

#include "bench_util.hpp"
#include "gmpkit/gmpkit.hpp"
#include "matmult.hpp"

namespace {

using gmpkit_bench::in_runtime;
using gmpkit_bench::make_matrix;
using gmpkit_bench::matmult;
using gmpkit_bench::matmult_correct;
using gmpkit_bench::Matrix;
using gmpkit_bench::SerialFork;
using gmpkit_bench::time_per;
using gmpkit_bench::warm_stacks;

// ---------------------------------------------------------------------------
void BM_SpawnJoin(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  in_runtime(state, procs, [&] {
    warm_stacks(batch);
    const auto before = gmpkit::metrics();
    while (state.KeepRunningBatch(batch)) {
      gmpkit::WaitGroup wg;
      wg.add(batch);
      for (int i = 0; i < batch; i++) gmpkit::go([&wg] { wg.done(); });
      wg.wait();
    }
    const auto after = gmpkit::metrics();
    state.counters["steals_per_G"] = benchmark::Counter(
        static_cast<double>(after.steals - before.steals), benchmark::Counter::kAvgIterations);
    state.counters["threads"] = static_cast<double>(after.threads);
  });
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("time per goroutine");
}
BENCHMARK(BM_SpawnJoin)
    ->Apply([](benchmark::internal::Benchmark* b) {
      b->ArgNames({"procs", "batch"});
      b->Args({1, 100})->Args({2, 100});
      gmpkit_bench::procs_scaling_with(b, 10000);
    })
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
void BM_GoExitLatency(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  in_runtime(state, procs, [&] {
    warm_stacks(1);
    for (auto _ : state) {
      gmpkit::WaitGroup wg;
      wg.add(1);
      gmpkit::go([&wg] { wg.done(); });
      wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("go + run + exit + wake, serial");
}
BENCHMARK(BM_GoExitLatency)
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
void BM_YieldRoundTrip(benchmark::State& state) {
  in_runtime(state, 1, [&] {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> partner_yields{0};
    gmpkit::WaitGroup partner_done;
    partner_done.add(1);
    gmpkit::go([&] {
      while (!stop.load(
          std::memory_order_relaxed)) {  // relaxed: procs=1, and yield() is a full switch anyway
        gmpkit::yield();
        partner_yields.fetch_add(
            1, std::memory_order_relaxed);  // relaxed: read after partner_done.wait()
      }
      partner_done.done();
    });
    gmpkit::yield();  // let the partner start: both are now in the yield loop
    const std::uint64_t start = partner_yields.load(std::memory_order_relaxed);  // relaxed: procs=1
    for (auto _ : state) gmpkit::yield();
    const std::uint64_t end = partner_yields.load(std::memory_order_relaxed);  // relaxed: procs=1
    stop.store(true, std::memory_order_relaxed);  // relaxed: procs=1
    partner_done.wait();
    // Each of main's yields must have let the partner run exactly once.
    const auto d =
        static_cast<std::int64_t>(end - start) - static_cast<std::int64_t>(state.iterations());
    if (d < -1 || d > 1) state.SkipWithError("yields did not alternate between the two goroutines");
  });
  state.counters["per_yield"] = time_per(2.0 * static_cast<double>(state.iterations()));
  state.SetLabel("1 iteration = 2 yields (main + partner)");
}
BENCHMARK(BM_YieldRoundTrip)->UseRealTime()->MeasureProcessCPUTime();

void BM_YieldAlone(benchmark::State& state) {
  in_runtime(state, 1, [&] {
    for (auto _ : state) gmpkit::yield();
  });
  state.SetLabel("1 iteration = 1 yield, no other goroutine");
}
BENCHMARK(BM_YieldAlone)->UseRealTime()->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
void BM_WaitGroup_AddDone(benchmark::State& state) {
  in_runtime(state, 1, [&] {
    gmpkit::WaitGroup wg;
    for (auto _ : state) {
      wg.add(1);
      wg.done();
    }
    wg.wait();
  });
}
BENCHMARK(BM_WaitGroup_AddDone)->UseRealTime()->MeasureProcessCPUTime();

void BM_WaitGroup_WaitZero(benchmark::State& state) {
  in_runtime(state, 1, [&] {
    gmpkit::WaitGroup wg;
    for (auto _ : state) wg.wait();
  });
}
BENCHMARK(BM_WaitGroup_WaitZero)->UseRealTime()->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
// ~1 µs of private work per goroutine (a dependent integer chain the
// compiler cannot fold).
constexpr int kWorkSteps = 400;
__attribute__((noinline)) std::uint64_t spin_work(std::uint64_t x) {
  for (int i = 0; i < kWorkSteps; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    benchmark::DoNotOptimize(x);
  }
  return x;
}

// What spin_work costs on this machine, measured once outside the runtime,
// so the fan-out rows can be read as an efficiency: ideal Time = work_ns / procs.
double work_ns() {
  static const double ns = [] {
    std::uint64_t x = 1;
    constexpr int kReps = 2000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kReps; i++) x = spin_work(x);
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(x);
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / kReps;
  }();
  return ns;
}

void BM_FanOutWork(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  constexpr int kBatch = 4096;
  const double work = work_ns();
  in_runtime(state, procs, [&] {
    warm_stacks(kBatch);
    std::atomic<std::uint64_t> sink{0};
    const auto before = gmpkit::metrics();
    while (state.KeepRunningBatch(kBatch)) {
      gmpkit::WaitGroup wg;
      wg.add(kBatch);
      for (int i = 0; i < kBatch; i++)
        gmpkit::go([&wg, &sink, i] {
          sink.fetch_add(spin_work(static_cast<std::uint64_t>(i)) & 1,
                         std::memory_order_relaxed);  // relaxed: a sink
          wg.done();
        });
      wg.wait();
    }
    const auto after = gmpkit::metrics();
    benchmark::DoNotOptimize(sink.load(std::memory_order_relaxed));  // relaxed: a sink
    state.counters["steals_per_G"] = benchmark::Counter(
        static_cast<double>(after.steals - before.steals), benchmark::Counter::kAvgIterations);
    state.counters["threads"] = static_cast<double>(after.threads);
  });
  state.counters["work_ns"] = work;
  state.counters["ideal_ns_per_G"] = work / procs;
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("time per goroutine (~1us work each)");
}
BENCHMARK(BM_FanOutWork)
    ->ArgName("procs")
    ->Apply(gmpkit_bench::procs_scaling)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
struct Tree {
  gmpkit::WaitGroup wg;
};

void tree_node(Tree* t, int depth) {
  if (depth > 0) {
    gmpkit::go([t, depth] { tree_node(t, depth - 1); });
    gmpkit::go([t, depth] { tree_node(t, depth - 1); });
  }
  t->wg.done();
}

void BM_SpawnTree(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  constexpr int kDepth = 12;
  constexpr int kNodes = (1 << (kDepth + 1)) - 1;  // 8191
  in_runtime(state, procs, [&] {
    warm_stacks(kNodes);
    while (state.KeepRunningBatch(kNodes)) {
      Tree t;
      t.wg.add(kNodes);
      gmpkit::go([&t] { tree_node(&t, kDepth); });
      t.wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("time per goroutine");
}
BENCHMARK(BM_SpawnTree)
    ->ArgName("procs")
    ->Apply(gmpkit_bench::procs_scaling)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
void skynet(gmpkit::Chan<std::int64_t> out, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    out.send(num);
    return;
  }
  gmpkit::Chan<std::int64_t> rc(10);
  const std::int64_t child = size / 10;
  for (int i = 0; i < 10; i++)
    gmpkit::go([rc, n = num + i * child, child] { skynet(rc, n, child); });
  std::int64_t sum = 0;
  for (int i = 0; i < 10; i++) sum += *rc.recv();
  out.send(sum);
}

void BM_Skynet(benchmark::State& state) {
  const std::int64_t size = state.range(0);
  const std::int64_t nodes = (size * 10 - 1) / 9;  // 10^k leaves: (10^(k+1) - 1) / 9 goroutines
  gmpkit::Config cfg;
  cfg.stack_size = 64 * 1024;  // skynet's goroutines are shallow (Go starts at 8 KiB)
  try {
    gmpkit::run(cfg, [&] {
      while (state.KeepRunningBatch(nodes)) {
        gmpkit::Chan<std::int64_t> out(1);
        gmpkit::go([out, size] { skynet(out, 0, size); });
        const std::int64_t sum = *out.recv();
        if (sum != size * (size - 1) / 2) state.SkipWithError("skynet: wrong sum");
      }
    });
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  state.SetLabel("time per goroutine");
}
BENCHMARK(BM_Skynet)
    ->ArgName("size")
    ->Arg(100000)
    ->Arg(1000000)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
// Go's benchmarkCreateGoroutines: f(n) starts f(n-1) and exits; f(0) signals c.
// c outlives every goroutine of the chain (main waits for it), so they hold a
// plain pointer, as Go's closure holds the channel reference.
void create_chain(gmpkit::Chan<bool>* c, std::int64_t n) {
  if (n == 0) {
    c->send(true);
    return;
  }
  gmpkit::go([c, n] { create_chain(c, n - 1); });
}

void create_goroutines(benchmark::State& state, bool parallel) {
  int procs = 0;
  gmpkit_bench::in_runtime(state, 0, [&] {
    procs = gmpkit::gomaxprocs();
    const int chains = parallel ? procs : 1;
    while (state.KeepRunningBatch(state.max_iterations)) {
      gmpkit::Chan<bool> c(0);
      const std::int64_t per_chain = state.max_iterations / chains;
      for (int i = 0; i < chains; i++) gmpkit::go([&c, per_chain] { create_chain(&c, per_chain); });
      for (int i = 0; i < chains; i++) c.recv();
    }
  });
  state.counters["procs"] = procs;
  state.SetLabel("time per goroutine");
}
void CreateGoroutines(benchmark::State& state) { create_goroutines(state, false); }
void CreateGoroutinesParallel(benchmark::State& state) { create_goroutines(state, true); }
BENCHMARK(CreateGoroutines)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(CreateGoroutinesParallel)->UseRealTime()->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
// Go's benchmarkWakeupParallel (see the comment there): with both goroutines
// on their own cores, Time = 2 * (runtime overhead + send/receive + delay +
// wakeDelay), so a row minus 2 * (delay + 5 us) estimates the wake-up cost.
struct Empty {};
constexpr std::chrono::nanoseconds kWakeDelay{5000};

template <class Spin>
void wakeup_parallel(benchmark::State& state, Spin spin) {
  const std::chrono::nanoseconds delay{state.range(0)};
  int procs = 0;
  gmpkit_bench::in_runtime(state, 0, [&] {
    procs = gmpkit::gomaxprocs();
    if (procs == 1) {
      state.SkipWithError("needs gomaxprocs() > 1 (Go skips at GOMAXPROCS=1)");
      return;
    }
    while (state.KeepRunningBatch(state.max_iterations)) {
      const std::int64_t n = state.max_iterations;
      gmpkit::Chan<Empty> ping(0), pong(0), start(0), done(0);
      gmpkit::go([&] {
        start.recv();
        for (std::int64_t i = 0; i < n; i++) {
          spin(delay + kWakeDelay);  // sender
          ping.send({});
          spin(delay);  // receiver
          pong.recv();
        }
        done.send({});
      });
      gmpkit::go([&] {
        for (std::int64_t i = 0; i < n; i++) {
          spin(delay);  // receiver
          ping.recv();
          spin(delay + kWakeDelay);  // sender
          pong.send({});
        }
        done.send({});
      });
      start.send({});
      done.recv();
      done.recv();
    }
  });
  state.counters["procs"] = procs;
  state.SetLabel("1 iteration = each goroutine sends once and receives once");
}

void spin_until(std::chrono::nanoseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {}
}

// Go's sysNanosleep (runtime_linux_test.go): a blocking nanosleep that keeps
// the goroutine on its M, retried on EINTR.
void sys_nanosleep(std::chrono::nanoseconds d) {
  gmpkit::syscall([d] {
    timespec ts{static_cast<time_t>(d.count() / 1000000000),
                static_cast<long>(d.count() % 1000000000)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
  });
}

void WakeupParallelSpinning(benchmark::State& state) { wakeup_parallel(state, spin_until); }
void WakeupParallelSyscall(benchmark::State& state) { wakeup_parallel(state, sys_nanosleep); }
void wakeup_delays(benchmark::internal::Benchmark* b) {
  b->ArgName("delay_ns");
  for (long us : {0, 1, 2, 5, 10, 20, 50, 100}) b->Arg(us * 1000);
}
BENCHMARK(WakeupParallelSpinning)->Apply(wakeup_delays)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(WakeupParallelSyscall)->Apply(wakeup_delays)->UseRealTime()->MeasureProcessCPUTime();

// ---------------------------------------------------------------------------
// Go's BenchmarkMatmult (proc_test.go; the workload is stress/bench/matmult.hpp,
// shared with the peers): the i and j halves fork a goroutine that signals a
// done channel, as Go's matmult does; the parent waits for it.
struct GoroutineFork {
  template <class L, class R>
  void operator()(L&& left, R&& right) const {
    gmpkit::Chan<Empty> done1(1);
    gmpkit::go([&left, &done1] {  // left and done1 outlive the child: we wait below
      left();
      done1.send({});
    });
    right();
    done1.recv();
  }
};

void Matmult(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::int64_t ops = std::int64_t{n} * n * n;
  int procs = 0;
  gmpkit_bench::in_runtime(state, 0, [&] {
    procs = gmpkit::gomaxprocs();
    const Matrix A = make_matrix(n), B = make_matrix(n), C0 = make_matrix(n);
    Matrix C = C0;
    GoroutineFork fork;
    SerialFork serial;
    matmult(fork, A, B, C, 0, n, 0, n, 0, n);  // untimed: check + warm-up
    if (!matmult_correct(A, B, C0, C, n)) {
      state.SkipWithError("matmult: wrong product");
      return;
    }
    // The serial baseline (untimed by Google Benchmark): the best of 3 serial
    // products, so a row reads as Time ~ serial_ns_per_op / procs + overhead.
    double serial_ns = 0;
    for (int r = 0; r < 3; r++) {
      const auto t0 = std::chrono::steady_clock::now();
      matmult(serial, A, B, C, 0, n, 0, n, 0, n);
      const double ns =
          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
      serial_ns = r == 0 ? ns : std::min(serial_ns, ns);
    }
    state.counters["serial_ns_per_op"] = serial_ns / static_cast<double>(ops);
    while (state.KeepRunningBatch(ops)) matmult(fork, A, B, C, 0, n, 0, n, 0, n);
    benchmark::DoNotOptimize(C[n / 2][n / 2]);
  });
  state.counters["procs"] = procs;
  state.SetLabel("time per multiply-add (n^3 per product)");
}
BENCHMARK(Matmult)->ArgName("n")->Arg(128)->Arg(256)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace
