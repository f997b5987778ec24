// The runtime semaphore (sync/sema.cpp): FIFO / lifo queueing. Go's
// sema_test.go is ported in conformance/go_sema_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

#include "core/gstatus.hpp"
#include "gmpkit/gmpkit.hpp"
#include "sync/sema.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;
namespace gsync = gmpkit::sync;

namespace {

using gmpkit::test::run_procs;

}  // namespace

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

// A handoff release yields to the waiter it readied (Go's semrelease:
// goyield), often from Mutex::unlock in a destructor. If the runtime starts
// exiting meanwhile (here: the waiter throws), the releaser must not be
// unwound from that yield — a forced_unwind thrown out of a noexcept
// destructor would terminate the process. Shutdown resumes it in place
// instead; it is unwound at its next scheduling point.
TEST(Sema, HandoffYieldInANoexceptDestructorIsResumedAtExitNotUnwound) {
  std::atomic<int> reached{0};
  struct Release {
    std::uint32_t* sema;
    std::atomic<int>* reached;
    ~Release() noexcept {
      gsync::semrelease(sema, /*handoff=*/true);  // yields to the waiter, which throws
      reached->store(1);
    }
  };
  try {
    run_procs(1, [&] {
      alignas(8) std::uint32_t sema = 0;
      gmpkit::go([&] {
        gsync::semacquire(&sema, gmpkit::core::WaitReason::semacquire);
        throw std::runtime_error("waiter");
      });
      while (gsync::semnwait(&sema) < 1) gmpkit::yield();
      { Release r{&sema, &reached}; }
      gmpkit::yield();  // the first scheduling point after the resume: unwound here
      reached.store(2);
    });
    ADD_FAILURE() << "run() returned normally";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "waiter");
  }
  EXPECT_EQ(reached.load(), 1);
}
