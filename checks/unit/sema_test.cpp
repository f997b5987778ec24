// The runtime semaphore (sync/sema.cpp): Go's sema_test.go (SemaHandoff,
// SemaHandoff1, SemaHandoff2) and basic FIFO / lifo behaviour.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "core/gstatus.hpp"
#include "gmpkit/gmpkit.hpp"
#include "sync/sema.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;
namespace gsync = gmpkit::sync;

namespace {

template <class F>
void run_procs(int procs, F&& f) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  gmpkit::run(cfg, std::forward<F>(f));
}

// Go's testSemaHandoff: release the semaphore with handoff and
// immediately CAS both here and in the waiter; the waiter must go first.
bool testSemaHandoff() {
  alignas(8) std::uint32_t sema = 0;
  std::atomic<std::uint32_t> res{0};
  Chan<bool> done(0);
  auto wg = std::make_shared<gmpkit::WaitGroup>();
  // Keep the other CPUs slightly busy so the current goroutine does not
  // migrate to one where it can win the race.
  for (int i = 0; i < gmpkit::gomaxprocs(); i++) {
    wg->add(1);
    gmpkit::go([wg, done]() mutable {
      for (;;) {
        if (gmpkit::select(gmpkit::recv_case(done), gmpkit::default_case()) == 0) break;
        gmpkit::yield();
      }
      wg->done();
    });
  }
  wg->add(1);
  gmpkit::go([&, wg, done]() mutable {
    gsync::semacquire(&sema, gmpkit::core::WaitReason::semacquire);
    std::uint32_t z = 0;
    res.compare_exchange_strong(z, 1);
    gsync::semrelease(&sema, true);
    done.close();
    wg->done();
  });
  while (gsync::semnwait(&sema) == 0)
    gmpkit::yield();  // wait for the goroutine to block in semacquire
  // The crux of the test: we release the semaphore with handoff and
  // immediately perform a CAS both here and in the waiter; we want the CAS
  // in the waiter to execute first.
  gsync::semrelease(&sema, true);
  std::uint32_t z = 0;
  res.compare_exchange_strong(z, 2);
  wg->wait();  // wait for the goroutines to finish
  return res.load() == 1;  // did the waiter run first?
}

void semaHandoff(int procs) {
  constexpr int iter = 10000;  // Go's
  int ok = 0;
  run_procs(procs, [&] {
    for (int i = 0; i < iter; i++)
      if (testSemaHandoff()) ok++;
  });
  // As long as two thirds of handoffs are direct, the test passes (Go's
  // bound: the machine may preempt and reschedule at any point).
  EXPECT_GE(ok, iter * 2 / 3) << "direct handoff < 2/3: " << ok << " of " << iter;
  std::printf("procs %d: direct handoff in %d of %d\n", procs, ok, iter);
}

}  // namespace

TEST(Sema, SemaHandoff) { semaHandoff(2); }
TEST(Sema, SemaHandoff1) { semaHandoff(1); }

TEST(Sema, AcquireReleaseFIFO) {
  run_procs(1, [] {
    alignas(8) std::uint32_t sema = 2;
    gsync::semacquire(&sema, gmpkit::core::WaitReason::semacquire);
    gsync::semacquire(&sema, gmpkit::core::WaitReason::semacquire);  // no block: count was 2
    EXPECT_EQ(sema, 0u);
    std::vector<int> order;
    Chan<bool> done(4);
    for (int i = 0; i < 3; i++) {
      gmpkit::go([&, i, done]() mutable {
        gsync::semacquire(&sema, gmpkit::core::WaitReason::semacquire);
        order.push_back(i);
        done.send(true);
      });
      while (gsync::semnwait(&sema) < static_cast<std::uint32_t>(i + 1)) gmpkit::yield();
    }
    // A lifo waiter goes in front of the three.
    gmpkit::go([&, done]() mutable {
      gsync::semacquire(&sema, gmpkit::core::WaitReason::semacquire, /*lifo=*/true);
      order.push_back(9);
      done.send(true);
    });
    while (gsync::semnwait(&sema) < 4) gmpkit::yield();
    for (int i = 0; i < 4; i++) {
      gsync::semrelease(&sema, false);
      done.recv();
    }
    EXPECT_EQ(order, (std::vector<int>{9, 0, 1, 2}));
    EXPECT_EQ(gsync::semnwait(&sema), 0u);
  });
}
