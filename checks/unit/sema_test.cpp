// The runtime semaphore (sync/sema.cpp): FIFO / lifo queueing. Go's
// sema_test.go is ported in conformance/go_sema_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
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
