// stress/bench/runq_bench.cpp — run queue operations in isolation (one
// thread, warm caches, no contention): what runqput/runqget/runqsteal and
// globrunqput/globrunqget cost before any cross-core traffic.
//
//   BM_LocalRunq_PutGet/<prefill>   owner put(next=false) + get, one pair per
//                                   iteration, with <prefill> Gs already queued
//   BM_LocalRunq_PutNextGet         owner put(next=true) + get: the runnext
//                                   path (exchange + CAS), what newproc/goready use
//   BM_LocalRunq_StealHalf/<n>      a thief steals half of a victim holding <n>
//                                   Gs; time per steal (manual timing over a
//                                   batch of 32 victims, refill untimed)
//   BM_GlobalRunq_PutGet            lock, put, unlock, lock, pop, unlock
//                                   (gosched_m + the findrunnable pop)
//   BM_LocalRunq_PutSlow            put into a full ring (256 Gs): runqputslow
//                                   moves half of it plus the new G to the
//                                   global queue (one batch under the lock);
//                                   time per overflowing put (manual timing,
//                                   refill untimed)
//   BM_GlobalRunq_GetBatch/<n>      globrunqget moving a batch of n Gs into an
//                                   empty local ring (time per globrunqget,
//                                   manual timing; items/s counts Gs moved)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "core/g.hpp"
#include "core/runq.hpp"
#include "platform/mutex.hpp"

namespace {

using gmpkit::core::G;
using gmpkit::core::GlobalRunQueue;
using gmpkit::core::LocalRunQueue;

// Gs used only as tokens: the run queues never touch anything but schedlink.
std::vector<std::unique_ptr<G>> make_gs(std::size_t n) {
  std::vector<std::unique_ptr<G>> gs;
  gs.reserve(n);
  for (std::size_t i = 0; i < n; i++) gs.push_back(std::make_unique<G>());
  return gs;
}

struct Queues {
  LocalRunQueue local;
  GlobalRunQueue global;
  gmpkit::rt::Mutex lock;
};

void BM_LocalRunq_PutGet(benchmark::State& state) {
  const auto prefill = static_cast<std::size_t>(state.range(0));
  auto q = std::make_unique<Queues>();
  auto gs = make_gs(prefill + 1);
  for (std::size_t i = 0; i < prefill; i++) q->local.put(gs[i].get(), false, q->global, q->lock);
  G* g = gs[prefill].get();
  bool inherit = false;
  for (auto _ : state) {
    q->local.put(g, false, q->global, q->lock);
    g = q->local.get(&inherit);
    benchmark::DoNotOptimize(g);
  }
  if (g == nullptr || q->local.size() != prefill || q->global.size() != 0)
    state.SkipWithError("queue lost a G");
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("put+get pair");
}
BENCHMARK(BM_LocalRunq_PutGet)->Arg(0)->Arg(128);

void BM_LocalRunq_PutNextGet(benchmark::State& state) {
  auto q = std::make_unique<Queues>();
  auto gs = make_gs(1);
  G* g = gs[0].get();
  bool inherit = false;
  for (auto _ : state) {
    q->local.put(g, true, q->global, q->lock);
    g = q->local.get(&inherit);
    benchmark::DoNotOptimize(g);
  }
  if (g == nullptr || !inherit || !q->local.empty()) state.SkipWithError("runnext path broken");
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("put(next=true)+get pair");
}
BENCHMARK(BM_LocalRunq_PutNextGet);

void BM_LocalRunq_StealHalf(benchmark::State& state) {
  constexpr std::size_t kBatch = 32;  // steals per timed batch (amortizes the two clock reads)
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::unique_ptr<Queues>> victims, thieves;
  for (std::size_t i = 0; i < kBatch; i++) {
    victims.push_back(std::make_unique<Queues>());
    thieves.push_back(std::make_unique<Queues>());
  }
  auto gs = make_gs(kBatch * n);
  // Untimed: empty both sides (reset: nobody else touches these queues) and
  // give each victim n Gs through the owner's put.
  auto refill = [&] {
    for (std::size_t b = 0; b < kBatch; b++) {
      thieves[b]->local.reset();
      victims[b]->local.reset();
      for (std::size_t i = 0; i < n; i++)
        victims[b]->local.put(gs[b * n + i].get(), false, victims[b]->global, victims[b]->lock);
    }
  };
  std::size_t stolen = 0;
  std::size_t left_in_thief = 0;
  // One iteration = one steal: KeepRunningBatch counts kBatch iterations per
  // pass and SetIterationTime gets the pass's total, so Time is per steal
  // and the untimed refill runs once per steal (not kBatch times).
  while (state.KeepRunningBatch(kBatch)) {
    refill();
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t b = 0; b < kBatch; b++) {
      G* gp = thieves[b]->local.steal(victims[b]->local, false, false);
      benchmark::DoNotOptimize(gp);
      stolen += gp != nullptr;
    }
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    left_in_thief = thieves[0]->local.size();
  }
  // Each steal takes n - n/2 Gs: one is returned, the rest land in the thief's ring.
  if (stolen != static_cast<std::size_t>(state.iterations()) || left_in_thief + 1 != n - n / 2)
    state.SkipWithError("steal took the wrong number of Gs");
  state.SetItemsProcessed(state.iterations());
  state.counters["gs_per_steal"] = static_cast<double>(n - n / 2);
  state.SetLabel("per steal (manual time)");
}
BENCHMARK(BM_LocalRunq_StealHalf)->Arg(2)->Arg(128)->Arg(256)->UseManualTime();

void BM_GlobalRunq_PutGet(benchmark::State& state) {
  auto q = std::make_unique<Queues>();
  auto gs = make_gs(1);
  G* g = gs[0].get();
  for (auto _ : state) {
    {
      gmpkit::rt::LockGuard l(q->lock);
      q->global.put(g);
    }
    {
      gmpkit::rt::LockGuard l(q->lock);
      g = q->global.pop();
    }
    benchmark::DoNotOptimize(g);
  }
  if (g == nullptr || q->global.size() != 0) state.SkipWithError("global queue lost a G");
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("put+pop pair, lock taken for each");
}
BENCHMARK(BM_GlobalRunq_PutGet);

void BM_LocalRunq_PutSlow(benchmark::State& state) {
  constexpr std::size_t kBatch = 8;  // overflowing puts per timed pass
  constexpr std::size_t kRing = 256;  // LocalRunQueue capacity (Go's len(p.runq))
  std::vector<std::unique_ptr<Queues>> qs;
  for (std::size_t b = 0; b < kBatch; b++) qs.push_back(std::make_unique<Queues>());
  auto gs = make_gs(kBatch * (kRing + 1));
  bool ok = true;
  while (state.KeepRunningBatch(kBatch)) {
    for (std::size_t b = 0; b < kBatch; b++) {  // untimed: fill each ring exactly
      qs[b]->local.reset();
      qs[b]->global.reset();
      for (std::size_t i = 0; i < kRing; i++)
        qs[b]->local.put(gs[b * (kRing + 1) + i].get(), false, qs[b]->global, qs[b]->lock);
    }
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t b = 0; b < kBatch; b++)
      qs[b]->local.put(gs[b * (kRing + 1) + kRing].get(), false, qs[b]->global, qs[b]->lock);
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    for (std::size_t b = 0; b < kBatch; b++)
      ok &= qs[b]->global.size() == static_cast<std::int32_t>(kRing / 2 + 1) &&
            qs[b]->local.size() == kRing / 2;
  }
  if (!ok) state.SkipWithError("runqputslow moved the wrong number of Gs");
  state.SetLabel("per overflowing put (half the ring + 1 G to the global queue)");
}
BENCHMARK(BM_LocalRunq_PutSlow)->UseManualTime();

void BM_GlobalRunq_GetBatch(benchmark::State& state) {
  constexpr std::size_t kBatch = 8;  // globrunqgets per timed pass (amortizes the clock reads)
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::unique_ptr<Queues>> qs;
  for (std::size_t b = 0; b < kBatch; b++) qs.push_back(std::make_unique<Queues>());
  auto gs = make_gs(kBatch * n);
  std::int64_t moved = 0;
  bool ok = true;
  // One iteration = one globrunqget (KeepRunningBatch + the pass's total
  // time, as in StealHalf); refilling the global queue is untimed.
  while (state.KeepRunningBatch(kBatch)) {
    for (std::size_t b = 0; b < kBatch; b++) {
      qs[b]->local.reset();
      gmpkit::rt::LockGuard l(qs[b]->lock);
      for (std::size_t i = 0; i < n; i++) qs[b]->global.put(gs[b * n + i].get());
    }
    G* first[kBatch];
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t b = 0; b < kBatch; b++) {
      gmpkit::rt::LockGuard l(qs[b]->lock);
      // gomaxprocs 1: take everything (capped at 128 by globrunqget).
      first[b] = qs[b]->global.get(qs[b]->local, 0, 1);
    }
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    benchmark::DoNotOptimize(first);
    for (std::size_t b = 0; b < kBatch; b++) {
      const std::size_t got = (first[b] != nullptr) + qs[b]->local.size();
      ok &= got == std::min<std::size_t>(n, 128);
      moved += static_cast<std::int64_t>(got);
    }
  }
  if (!ok) state.SkipWithError("globrunqget moved the wrong number of Gs");
  state.SetItemsProcessed(moved);
  state.SetLabel("per globrunqget; items = Gs moved");
}
BENCHMARK(BM_GlobalRunq_GetBatch)->Arg(128)->UseManualTime();

}  // namespace
