// select beyond Go's own tests (those are ported in
// conformance/go_chan_test.cpp): nil cases, no cases, closed channels, the
// returned index and callbacks.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

using gmpkit::test::count_waiting;
using gmpkit::test::run_procs;
using gmpkit::test::wait_for_waiters;

}  // namespace

TEST(Select, ReturnsIndexAndRunsCallback) {
  run_procs(2, [] {
    Chan<int> a(1), b(1);
    b.send(5);
    int got = -1;
    std::size_t i =
        gmpkit::select(gmpkit::recv_case(a, [&](std::optional<int> v) { got = 100 + *v; }),
                       gmpkit::recv_case(b, [&](std::optional<int> v) { got = *v; }));
    EXPECT_EQ(i, 1u);
    EXPECT_EQ(got, 5);
    bool sent = false;
    i = gmpkit::select(gmpkit::recv_case(b), gmpkit::send_case(a, 9, [&] { sent = true; }));
    EXPECT_EQ(i, 1u);
    EXPECT_TRUE(sent);
    EXPECT_EQ(*a.recv(), 9);
    bool dflt = false;
    i = gmpkit::select(gmpkit::recv_case(a), gmpkit::recv_case(b),
                       gmpkit::default_case([&] { dflt = true; }));
    EXPECT_EQ(i, 2u);
    EXPECT_TRUE(dflt);
    // Default in the middle: the index is the argument position.
    i = gmpkit::select(gmpkit::recv_case(a), gmpkit::default_case(), gmpkit::recv_case(b));
    EXPECT_EQ(i, 1u);
    // A closed channel is ready: nullopt.
    b.close();
    std::optional<int> v = 7;
    i = gmpkit::select(gmpkit::recv_case(a),
                       gmpkit::recv_case(b, [&](std::optional<int> x) { v = x; }));
    EXPECT_EQ(i, 1u);
    EXPECT_FALSE(v.has_value());
  });
}

TEST(Select, BlocksUntilACaseIsReady) {
  run_procs(2, [] {
    Chan<int> a(0), b(0), res(1);
    gmpkit::go([a, b, res]() mutable {
      int got = 0;
      std::size_t i =
          gmpkit::select(gmpkit::recv_case(a, [&](std::optional<int> v) { got = *v; }),
                         gmpkit::recv_case(b, [&](std::optional<int> v) { got = -*v; }));
      res.send(static_cast<int>(i) * 1000 + got);
    });
    wait_for_waiters("select", 1, 50us);
    b.send(3);
    EXPECT_EQ(*res.recv(), 1000 - 3);
    // The losing case's sudog was dequeued from a: a send there now blocks
    // until someone receives (nobody is queued on a).
    bool sent = false;
    gmpkit::select(gmpkit::send_case(a, 1, [&] { sent = true; }), gmpkit::default_case());
    EXPECT_FALSE(sent);
  });
}

// Send and receive cases on the same channel in one select: never matched
// with each other, but each matches a partner.
TEST(Select, SameChannelSendAndRecv) {
  run_procs(2, [] {
    Chan<int> c(0);
    Chan<int> res(2);
    gmpkit::go([=]() mutable {
      std::size_t i = gmpkit::select(gmpkit::send_case(c, 1), gmpkit::recv_case(c));
      res.send(static_cast<int>(i));
    });
    wait_for_waiters("select", 1, 50us);
    EXPECT_EQ(*c.recv(), 1);
    EXPECT_EQ(*res.recv(), 0);
    gmpkit::go([=]() mutable {
      int got = 0;
      std::size_t i = gmpkit::select(gmpkit::send_case(c, 1),
                                     gmpkit::recv_case(c, [&](std::optional<int> v) { got = *v; }));
      res.send(static_cast<int>(i) * 100 + got);
    });
    wait_for_waiters("select", 1, 50us);
    c.send(42);
    EXPECT_EQ(*res.recv(), 142);
  });
}

TEST(Select, NoCasesAndNilCasesBlockForever) {
  run_procs(2, [] {
    gmpkit::go([] { gmpkit::select(); });
    auto nil = Chan<int>::nil();
    gmpkit::go([nil] { gmpkit::select(gmpkit::recv_case(nil), gmpkit::send_case(nil, 1)); });
    wait_for_waiters("select (no cases)", 1, 50us);
    wait_for_waiters("select", 1, 50us);
    // A select of nil cases with a default takes the default.
    EXPECT_EQ(
        gmpkit::select(gmpkit::recv_case(nil), gmpkit::send_case(nil, 1), gmpkit::default_case()),
        2u);
    // Nil cases are skipped among ready ones.
    Chan<int> a(1);
    a.send(1);
    EXPECT_EQ(gmpkit::select(gmpkit::recv_case(nil), gmpkit::recv_case(a)), 1u);
  });
}

TEST(Select, SendOnClosedChannelFromBlockedSelect) {
  run_procs(2, [] {
    Chan<int> c(0), never(0);
    Chan<std::string> res(1);
    gmpkit::go([=]() mutable {
      try {
        gmpkit::select(gmpkit::send_case(c, 1), gmpkit::recv_case(never));
        res.send("sent");
      } catch (const gmpkit::chan_error& e) {
        res.send(e.what());
      }
    });
    wait_for_waiters("select", 1, 50us);
    c.close();
    EXPECT_EQ(*res.recv(), "send on closed channel");
    // Blocked receive cases get nullopt from close.
    Chan<int> r(0);
    Chan<int> got(1);
    gmpkit::go([=]() mutable {
      int k = -1;
      gmpkit::select(gmpkit::recv_case(never),
                     gmpkit::recv_case(r, [&](std::optional<int> v) { k = v ? 1 : 0; }));
      got.send(k);
    });
    wait_for_waiters("select", 1, 50us);
    r.close();
    EXPECT_EQ(*got.recv(), 0);
  });
}

// Many cases (more than the small inline arrays) on distinct channels.
TEST(Select, ManyCases) {
  run_procs(2, [] {
    std::array<Chan<int>, 12> cs;  // twelve distinct unbuffered channels
    Chan<int> res(1);
    gmpkit::go([=]() mutable {
      int got = -1;
      auto f = [&](std::optional<int> v) { got = *v; };
      std::size_t i = gmpkit::select(
          gmpkit::recv_case(cs[0], f), gmpkit::recv_case(cs[1], f), gmpkit::recv_case(cs[2], f),
          gmpkit::recv_case(cs[3], f), gmpkit::recv_case(cs[4], f), gmpkit::recv_case(cs[5], f),
          gmpkit::recv_case(cs[6], f), gmpkit::recv_case(cs[7], f), gmpkit::recv_case(cs[8], f),
          gmpkit::recv_case(cs[9], f), gmpkit::recv_case(cs[10], f), gmpkit::recv_case(cs[11], f));
      res.send(static_cast<int>(i) * 100 + got);
    });
    wait_for_waiters("select", 1, 50us);
    cs[9].send(5);
    EXPECT_EQ(*res.recv(), 905);
    for (auto& c : cs) {  // every losing sudog was dequeued
      bool sent = false;
      gmpkit::select(gmpkit::send_case(c, 1, [&] { sent = true; }), gmpkit::default_case());
      EXPECT_FALSE(sent);
    }
  });
}

TEST(Select, ShutdownWithBlockedSelectsLeaksNothing) {
  for (int round = 0; round < 3; round++) {
    run_procs(2, [] {
      Chan<std::unique_ptr<int>> a(0), b(0);
      auto nil = Chan<std::unique_ptr<int>>::nil();
      for (int i = 0; i < 3; i++) {
        gmpkit::go([a, b] {
          gmpkit::select(gmpkit::send_case(a, std::make_unique<int>(1)),
                         gmpkit::send_case(b, std::make_unique<int>(2)), gmpkit::recv_case(a));
        });
        gmpkit::go([] { gmpkit::select(); });
        gmpkit::go([nil] {
          gmpkit::select(gmpkit::recv_case(nil), gmpkit::send_case(nil, std::make_unique<int>(3)));
        });
      }
      gmpkit::sleep_for(2ms);
    });
  }
}
