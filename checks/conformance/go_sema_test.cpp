// Ports of Go 1.19's runtime/sema_test.go: direct handoff of the runtime
// semaphore (semrelease with handoff=true yields to the woken waiter). One
// gtest per Go test, named Go.<GoTestName>, with Go's numbers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "sync/sema.hpp"
#include "test_util.hpp"

using gmpkit::Chan;
namespace gsync = gmpkit::sync;

namespace {

using gmpkit::test::run_procs;

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

// Go: at the default GOMAXPROCS, in at least 2/3 of 10000 tries the waiter
// woken by a handoff release runs before the releaser's next instruction.
TEST(Go, TestSemaHandoff) { semaHandoff(0); }

// Go: the same at GOMAXPROCS 1.
TEST(Go, TestSemaHandoff1) { semaHandoff(1); }

// Go: the same at GOMAXPROCS 2 (Go skips it on machines with <= 2 CPUs;
// gmpkit's Ps do not need a CPU each, so it always runs).
TEST(Go, TestSemaHandoff2) { semaHandoff(2); }
