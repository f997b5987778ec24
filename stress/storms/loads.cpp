// stress/storms/loads.cpp — the workloads storms combine (loads.hpp).
#include "loads.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gmpkit/chan.hpp>
#include <gmpkit/mutex.hpp>
#include <gmpkit/runtime.hpp>

#include "seen_set.hpp"

namespace gmpkit::stress {

namespace {
struct Guarded {
  Mutex mu;
  std::atomic<std::int64_t> owner{0};
  std::int64_t count = 0;  // guarded by mu
};
}  // namespace

void start_pairs(StormContext& ctx, WaitGroup& wg, int n) {
  for (int i = 0; i < n; i++) {
    Chan<std::uint64_t> ch(i % 2 == 0 ? 0 : 4);
    ctx.go(&wg, [&ctx, ch]() mutable {
      std::uint64_t seq = 0;
      while (ctx.running()) {
        ch.send(seq++);
        ctx.ledger().sent.fetch_add(1, std::memory_order_relaxed);
      }
      ch.close();
    });
    ctx.go(&wg, [&ctx, ch, i]() mutable {
      std::uint64_t expect = 0;
      while (auto v = ch.recv()) {
        auto& l = ctx.ledger();
        if (*v == expect) {
          l.received.fetch_add(1, std::memory_order_relaxed);
          l.add_ops();
          expect++;
        } else if (*v < expect) {
          l.duplicated.fetch_add(1, std::memory_order_relaxed);
        } else {
          l.violation("park: pair " + std::to_string(i) + " got " + std::to_string(*v) +
                      ", expected " + std::to_string(expect));
          expect = *v + 1;
        }
      }
    });
  }
}

void start_mpmc(StormContext& ctx, WaitGroup& wg, int producers, int consumers) {
  auto seen = std::make_shared<SeenSet>(producers);
  Chan<std::uint64_t> ch(16);
  auto left = std::make_shared<std::atomic<int>>(producers);
  for (int p = 0; p < producers; p++) {
    ctx.go(&wg, [&ctx, ch, p, left]() mutable {
      std::uint64_t seq = 0;
      while (ctx.running()) {
        ch.send(static_cast<std::uint64_t>(p) << 40 | seq++);
        ctx.ledger().sent.fetch_add(1, std::memory_order_relaxed);
      }
      // acq_rel: the last producer closes after every other one's sends.
      if (left->fetch_sub(1, std::memory_order_acq_rel) == 1) ch.close();
    });
  }
  for (int c = 0; c < consumers; c++) {
    ctx.go(&wg, [&ctx, ch, seen]() mutable {
      while (auto v = ch.recv()) {
        const int p = static_cast<int>(*v >> 40);
        auto& l = ctx.ledger();
        if (seen->mark(p, *v & ((std::uint64_t{1} << 40) - 1))) {
          l.received.fetch_add(1, std::memory_order_relaxed);
          l.add_ops();
        } else {
          l.duplicated.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
}

void start_mutexes(StormContext& ctx, WaitGroup& wg, int nmutex, int workers) {
  auto locks = std::make_shared<std::vector<std::unique_ptr<Guarded>>>();
  for (int i = 0; i < nmutex; i++) locks->push_back(std::make_unique<Guarded>());
  auto done = std::make_shared<WaitGroup>();
  auto acq = std::make_shared<std::atomic<std::int64_t>>(0);  // this part's acquisitions
  for (int w = 0; w < workers; w++) {
    ctx.go(done.get(), [&ctx, locks, acq, w] {
      auto rng = ctx.rng(1000 + static_cast<std::uint64_t>(w));
      auto& l = ctx.ledger();
      while (ctx.running()) {
        Guarded& g = *(*locks)[rng() % locks->size()];
        g.mu.lock();
        l.acquired.fetch_add(1, std::memory_order_relaxed);
        acq->fetch_add(1, std::memory_order_relaxed);  // relaxed: read after done->wait()
        std::int64_t prev = 0;
        // relaxed: the mutex orders holders; the word only detects overlap.
        if (!g.owner.compare_exchange_strong(prev, w + 1, std::memory_order_relaxed))
          l.violation("park: mutex held by worker " + std::to_string(prev - 1) + " and " +
                      std::to_string(w) + " at once");
        g.count++;
        if (rng() % 16 == 0) gmpkit::yield();  // waiters park behind a descheduled holder
        g.owner.store(0, std::memory_order_relaxed);
        g.mu.unlock();
        l.released.fetch_add(1, std::memory_order_relaxed);
        l.add_ops();
      }
    });
  }
  // A checker G waits for the workers, then compares the counters.
  ctx.go(&wg, [&ctx, locks, done, acq] {
    done->wait();
    std::int64_t total = 0;
    for (auto& g : *locks) {
      g->mu.lock();
      total += g->count;
      g->mu.unlock();
    }
    // Each plain increment happened under its mutex: a lost update means two
    // holders at once.
    const std::int64_t want = acq->load(std::memory_order_relaxed);  // relaxed: after done->wait()
    if (total != want)
      ctx.ledger().violation("park: mutex counters sum to " + std::to_string(total) + ", " +
                             std::to_string(want) + " acquisitions");
  });
}

void start_hogs(StormContext& ctx, WaitGroup& wg, int n, const std::atomic<bool>* forbidden) {
  for (int i = 0; i < n; i++) {
    ctx.go(&wg, [&ctx, forbidden, i] {
      // Call-free: only asynchronous (signal) preemption can take the P
      // away. The loop reads two relaxed flags and does arithmetic.
      std::uint64_t x = 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(i), iters = 0;
      std::int64_t seen_forbidden = 0;
      while (ctx.running()) {
        for (int k = 0; k < 4096; k++) x = x * 6364136223846793005ull + 1442695040888963407ull;
        iters++;
        if constexpr (!kAsyncPreemption) gmpkit::preempt_point();
        // relaxed: set/cleared while the world is stopped (stw storm).
        if (forbidden && forbidden->load(std::memory_order_relaxed)) seen_forbidden++;
      }
      ctx.ledger().add_ops(static_cast<std::int64_t>(iters));
      if (seen_forbidden)
        ctx.ledger().violation("hog " + std::to_string(i) + " ran " +
                               std::to_string(seen_forbidden) +
                               " times while the world was stopped");
      if (x == 42) ctx.ledger().violation("hog: impossible value");  // keeps x live
    });
  }
}

void start_allocators(StormContext& ctx, WaitGroup& wg, int n) {
  for (int i = 0; i < n; i++) {
    ctx.go(&wg, [&ctx, i] {
      auto rng = ctx.rng(2000 + static_cast<std::uint64_t>(i));
      std::vector<std::unique_ptr<std::vector<std::uint64_t>>> live(64);
      std::uint64_t sum = 0, want = 0;
      while (ctx.running()) {
        auto& slot = live[rng() % live.size()];
        if (slot) {
          for (auto v : *slot) sum += v;
          want += slot->size() * (slot->empty() ? 0 : (*slot)[0]);
        }
        const std::size_t len = 1 + rng() % 2048;
        const std::uint64_t fill = rng() % 1000;
        slot = std::make_unique<std::vector<std::uint64_t>>(len, fill);
        ctx.ledger().add_ops();
        if constexpr (!kAsyncPreemption) gmpkit::preempt_point();
      }
      // Each vector is filled with one value: the sums must agree.
      if (sum != want)
        ctx.ledger().violation("allocator " + std::to_string(i) + ": heap data changed");
    });
  }
}

void start_spawners(StormContext& ctx, WaitGroup& wg, int n) {
  for (int i = 0; i < n; i++) {
    ctx.go(&wg, [&ctx] {
      while (ctx.running()) {
        WaitGroup batch;
        for (int k = 0; k < 32; k++) ctx.go(&batch, [&ctx] { ctx.ledger().add_ops(); });
        batch.wait();
      }
    });
  }
}

}  // namespace gmpkit::stress
