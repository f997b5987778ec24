// Channels beyond Go's own tests (those are ported in
// conformance/go_chan_test.cpp): the error messages, the nil channel,
// move-only elements, shared handles and shutdown with blocked goroutines.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

using gmpkit::test::error_of;
using gmpkit::test::run_procs;

}  // namespace

TEST(Chan, ErrorMessages) {
  run_procs(2, [] {
    Chan<int> c(1);
    c.close();
    EXPECT_EQ(error_of<gmpkit::chan_error>([&] { c.send(1); }), "send on closed channel");
    EXPECT_EQ(error_of<gmpkit::chan_error>([&] { c.close(); }), "close of closed channel");
    auto nil = Chan<int>::nil();
    EXPECT_EQ(error_of<gmpkit::chan_error>([&] { nil.close(); }), "close of nil channel");
    Chan<int> a(0);
    Chan<int> b(std::move(a));
    EXPECT_TRUE(a.is_nil());  // NOLINT(bugprone-use-after-move): moved-from is nil by contract
    EXPECT_EQ(error_of<gmpkit::chan_error>([&] { a.close(); }), "close of nil channel");
    EXPECT_EQ(error_of<gmpkit::chan_error>(
                  [&] { gmpkit::select(gmpkit::send_case(c, 1), gmpkit::default_case()); }),
              "send on closed channel");
    Chan<int> d(0);
    EXPECT_EQ(error_of<gmpkit::chan_error>([&] {
                gmpkit::select(gmpkit::send_case(c, 1), gmpkit::recv_case(d),
                               gmpkit::default_case());
              }),
              "send on closed channel");
    // The error types.
    try {
      c.close();
      ADD_FAILURE();
    } catch (const gmpkit::error&) {}
  });
}

TEST(Chan, BlockedSenderGetsSendOnClosed) {
  run_procs(2, [] {
    Chan<int> c(0);
    Chan<std::string> res(1);
    gmpkit::go([c, res]() mutable {
      try {
        c.send(1);
        res.send("sent");
      } catch (const gmpkit::chan_error& e) {
        res.send(e.what());
      }
    });
    gmpkit::sleep_for(2ms);
    c.close();
    EXPECT_EQ(*res.recv(), "send on closed channel");
    // Same for a sender blocked in a select.
    Chan<int> c2(0), never(0);
    gmpkit::go([c2, never, res]() mutable {
      try {
        gmpkit::select(gmpkit::send_case(c2, 1), gmpkit::recv_case(never));
        res.send("sent");
      } catch (const gmpkit::chan_error& e) {
        res.send(e.what());
      }
    });
    gmpkit::sleep_for(2ms);
    c2.close();
    EXPECT_EQ(*res.recv(), "send on closed channel");
  });
}

// `Chan<int> c;` is make(chan int): a usable unbuffered channel, not Go's
// nil channel (that one is Chan<T>::nil()).
TEST(Chan, DefaultConstructedIsUnbuffered) {
  run_procs(2, [] {
    Chan<int> c;
    EXPECT_FALSE(c.is_nil());
    EXPECT_EQ(c.capacity(), 0u);
    Chan<int> other;
    EXPECT_FALSE(c == other);  // each default construction makes a new channel
    // Unbuffered: a non-blocking send finds no receiver and no buffer.
    bool sent = false;
    gmpkit::select(gmpkit::send_case(c, 1, [&] { sent = true; }), gmpkit::default_case());
    EXPECT_FALSE(sent);
    // A blocking send completes only by handing the value to a receiver.
    Chan<int> done(1);
    gmpkit::go([c, done]() mutable {
      c.send(7);
      done.send(1);
    });
    gmpkit::test::wait_for_waiters("chan send", 1, 100us);
    EXPECT_EQ(done.size(), 0u);  // still blocked: nobody received
    EXPECT_EQ(c.recv(), std::optional<int>(7));
    EXPECT_EQ(done.recv(), std::optional<int>(1));
    c.close();
    EXPECT_EQ(c.recv(), std::nullopt);
  });
}

// Chan<T>::nil() and a moved-from handle are Go's nil channel.
TEST(Chan, NilAndMovedFromAreGosNilChannel) {
  run_procs(2, [] {
    Chan<int> a;
    Chan<int> b(std::move(a));
    for (Chan<int>* n : std::initializer_list<Chan<int>*>{&a, nullptr}) {
      Chan<int> nil = n ? *n : Chan<int>::nil();  // NOLINT(bugprone-use-after-move): by contract
      EXPECT_TRUE(nil.is_nil());
      EXPECT_EQ(nil.capacity(), 0u);
      EXPECT_TRUE(nil == Chan<int>::nil());
      EXPECT_EQ(error_of<gmpkit::chan_error>([&] { nil.close(); }), "close of nil channel");
      bool ready = false, dflt = false;
      gmpkit::select(gmpkit::send_case(nil, 1, [&] { ready = true; }),
                     gmpkit::recv_case(nil, [&](std::optional<int>) { ready = true; }),
                     gmpkit::default_case([&] { dflt = true; }));
      EXPECT_FALSE(ready);
      EXPECT_TRUE(dflt);
    }
    EXPECT_FALSE(b.is_nil());
  });
}

TEST(Chan, NilChannelBlocksForever) {
  run_procs(2, [] {
    auto nil = Chan<int>::nil();
    EXPECT_EQ(nil.size(), 0u);
    EXPECT_EQ(nil.capacity(), 0u);
    gmpkit::go([nil]() mutable { nil.recv(); });
    gmpkit::go([nil]() mutable { nil.send(1); });
    gmpkit::test::wait_for_waiters("chan receive (nil chan)", 1, 100us);
    gmpkit::test::wait_for_waiters("chan send (nil chan)", 1, 100us);
    std::map<std::string, int> reasons;
    for (const auto& g : gmpkit::debug::goroutines()) reasons[g.wait_reason]++;
    EXPECT_EQ(reasons["chan receive (nil chan)"], 1);
    EXPECT_EQ(reasons["chan send (nil chan)"], 1);
    // Non-blocking operations on nil never proceed.
    bool dflt = false;
    gmpkit::select(gmpkit::recv_case(nil), gmpkit::default_case([&] { dflt = true; }));
    EXPECT_TRUE(dflt);
  });
}

TEST(Chan, MoveOnlyElements) {
  run_procs(2, [] {
    for (std::size_t cap : {0, 1, 4}) {
      Chan<std::unique_ptr<int>> c(cap);
      gmpkit::go([c]() mutable {
        for (int i = 0; i < 20; i++) c.send(std::make_unique<int>(i));
        c.close();
      });
      int want = 0;
      while (auto v = c.recv()) {
        ASSERT_TRUE(*v);
        EXPECT_EQ(**v, want++);
      }
      EXPECT_EQ(want, 20);
      // Through select, both directions.
      Chan<std::unique_ptr<int>> d(cap);
      gmpkit::go([d]() mutable {
        gmpkit::select(gmpkit::send_case(d, std::make_unique<int>(7)));
        gmpkit::select(gmpkit::send_case(d, std::make_unique<int>(8)),
                       gmpkit::send_case(d, std::make_unique<int>(9)));
      });
      std::unique_ptr<int> got;
      gmpkit::select(gmpkit::recv_case(
          d, [&](std::optional<std::unique_ptr<int>> v) { got = std::move(*v); }));
      EXPECT_EQ(*got, 7);
      Chan<int> never(0);
      gmpkit::select(
          gmpkit::recv_case(d, [&](std::optional<std::unique_ptr<int>> v) { got = std::move(*v); }),
          gmpkit::recv_case(never));
      EXPECT_TRUE(*got == 8 || *got == 9);
    }
    // Values left buffered in a dropped channel are destroyed (LeakSanitizer).
    Chan<std::unique_ptr<int>> left(3);
    left.send(std::make_unique<int>(1));
    left.send(std::make_unique<int>(2));
  });
}

TEST(Chan, CopiesShareTheChannel) {
  run_procs(1, [] {
    Chan<int> a(2);
    Chan<int> b = a;
    a.send(5);
    EXPECT_EQ(b.size(), 1u);
    EXPECT_TRUE(a == b);
    EXPECT_EQ(*b.recv(), 5);
    Chan<int> c(2);
    EXPECT_FALSE(a == c);
  });
}

TEST(Chan, PingPong) {
  run_procs(4, [] {
    Chan<int> ping(0), pong(0);
    gmpkit::go([ping, pong]() mutable {
      while (auto v = ping.recv()) pong.send(*v + 1);
    });
    for (int i = 0; i < 10000; i++) ASSERT_EQ(*(ping.send(i), pong.recv()), i + 1);
    ping.close();
  });
}

TEST(Chan, ShutdownWithBlockedGoroutinesLeaksNothing) {
  // The main goroutine returns while others are parked in every kind of
  // channel wait; the channels' last handles go away with main's frame.
  for (int round = 0; round < 3; round++) {
    run_procs(2, [] {
      Chan<std::unique_ptr<int>> full(1), empty(0), sel(0);
      full.send(std::make_unique<int>(1));
      for (int i = 0; i < 3; i++) {
        gmpkit::go([&full] {
          full.send(std::make_unique<int>(2));
        });  // by reference: main's handle dies first
        gmpkit::go([&empty] { empty.recv(); });
        gmpkit::go([sel, empty]() mutable {
          gmpkit::select(gmpkit::recv_case(sel),
                         gmpkit::send_case(empty, std::make_unique<int>(3)));
        });
      }
      // Until each goroutine has read its handle and parked (or paired a
      // receive with a select's send and exited): one that had not yet read
      // main's handle when main returned would read a dead one.
      for (;;) {
        int not_waiting = 0;
        for (const auto& g : gmpkit::debug::goroutines())
          if (g.status != "waiting") not_waiting++;
        if (not_waiting == 1 && gmpkit::test::count_waiting("chan send") == 3) break;
        gmpkit::yield();
      }
    });
  }
}
