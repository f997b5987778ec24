// stress/bench/trace_bench.cpp — what the execution tracer costs.
//
// The question: with tracing OFF, is a build that has the
// trace hooks (CMake GMPKIT_TRACE=ON, the default: one relaxed load of a
// global flag per hook) within 2 % of a build without any trace code
// (GMPKIT_TRACE=OFF)? The *_TraceOff rows answer it when this binary is
// built both ways and the rows are compared (stress/README.md, docs/OBSERVABILITY.md
// "Execution trace": interleave the two binaries, several repetitions).
// The *_TraceOn rows show what recording costs (events go to memory; the
// file is written by trace::stop(), outside the timed loop). They run a
// fixed number of iterations so the trace stays inside its memory budget.
//
// Workloads: the hottest paths the hooks sit on —
//   SpawnJoin      go() + run + exit (GoCreate, GoStart, GoDestroy, park/ready of the joiner)
//   YieldPingPong  two goroutines yielding to each other at procs 1 (GoStop, GoStart)
//   ChanPingPong   unbuffered channel round trips at procs 1 (GoBlock, GoUnblock, GoStart)
#include <atomic>
#include <cstdint>
#include <string>

#include "bench_util.hpp"
#include "gmpkit/gmpkit.hpp"

namespace {

using gmpkit_bench::in_runtime;
using gmpkit_bench::time_per;
using gmpkit_bench::warm_stacks;

constexpr int kBatch = 100;

void spawn_join(benchmark::State& state) {
  warm_stacks(kBatch);
  while (state.KeepRunningBatch(kBatch)) {
    gmpkit::WaitGroup wg;
    wg.add(kBatch);
    for (int i = 0; i < kBatch; i++) gmpkit::go([&wg] { wg.done(); });
    wg.wait();
  }
}

void yield_ping_pong(benchmark::State& state) {
  std::atomic<bool> stop{false};
  gmpkit::WaitGroup done;
  done.add(1);
  gmpkit::go([&] {
    while (!stop.load(std::memory_order_relaxed))
      gmpkit::yield();  // relaxed: procs 1, yield is a full switch
    done.done();
  });
  gmpkit::yield();
  for (auto _ : state) gmpkit::yield();
  stop.store(true, std::memory_order_relaxed);  // relaxed: as above
  done.wait();
}

void chan_ping_pong(benchmark::State& state) {
  gmpkit::Chan<int> ping(0), pong(0);
  gmpkit::WaitGroup done;
  done.add(1);
  gmpkit::go([&] {
    for (;;) {
      auto v = ping.recv();
      if (!v || *v < 0) break;
      pong.send(*v);
    }
    done.done();
  });
  int i = 0;
  for (auto _ : state) {
    ping.send(i++);
    (void)pong.recv();
  }
  ping.send(-1);
  done.wait();
}

template <void (*Body)(benchmark::State&)>
void traced(benchmark::State& state, bool on) {
  const std::string path = "/dev/null";
  if (on && !gmpkit::trace::compiled_in()) {
    state.SkipWithError("built with GMPKIT_TRACE=OFF");
    return;
  }
  in_runtime(state, 1, [&] {
    if (on) gmpkit::trace::start(path);
    Body(state);
    if (on) gmpkit::trace::stop();
  });
  if (on) {
    auto s = gmpkit::trace::last_summary();
    state.counters["events"] = static_cast<double>(s.events);
    state.counters["lost"] = static_cast<double>(s.lost_events);
  }
  state.SetLabel(on                             ? "tracing on (to memory)"
                 : gmpkit::trace::compiled_in() ? "hooks compiled in, tracing off"
                                                : "no trace code (GMPKIT_TRACE=OFF)");
}

void BM_SpawnJoin_TraceOff(benchmark::State& s) {
  traced<spawn_join>(s, false);
  s.SetItemsProcessed(s.iterations());
}
void BM_YieldPingPong_TraceOff(benchmark::State& s) {
  traced<yield_ping_pong>(s, false);
  s.counters["per_yield"] = time_per(2.0 * static_cast<double>(s.iterations()));
}
void BM_ChanPingPong_TraceOff(benchmark::State& s) {
  traced<chan_ping_pong>(s, false);
  s.SetItemsProcessed(s.iterations());
}
void BM_SpawnJoin_TraceOn(benchmark::State& s) {
  traced<spawn_join>(s, true);
  s.SetItemsProcessed(s.iterations());
}
void BM_YieldPingPong_TraceOn(benchmark::State& s) {
  traced<yield_ping_pong>(s, true);
  s.counters["per_yield"] = time_per(2.0 * static_cast<double>(s.iterations()));
}
void BM_ChanPingPong_TraceOn(benchmark::State& s) {
  traced<chan_ping_pong>(s, true);
  s.SetItemsProcessed(s.iterations());
}

BENCHMARK(BM_SpawnJoin_TraceOff)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_YieldPingPong_TraceOff)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_ChanPingPong_TraceOff)->UseRealTime()->MeasureProcessCPUTime();
// Fixed iteration counts: about 1-2 M events, inside the default 96 MiB budget.
BENCHMARK(BM_SpawnJoin_TraceOn)->Iterations(200000)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_YieldPingPong_TraceOn)->Iterations(300000)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_ChanPingPong_TraceOn)->Iterations(200000)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace
