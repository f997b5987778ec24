// select: ports of Go's runtime/chan_test.go select tests
// (NonblockSelectRace, NonblockSelectRace2, SelectStress, SelectFairness,
// SelectDuplicateChannel) plus nil cases, no cases, closed channels, the
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

using namespace std::chrono_literals;
using gmpkit::Chan;

namespace {

template <class F>
void run_procs(int procs, F&& f) {
  gmpkit::Config cfg;
  cfg.procs = procs;
  gmpkit::run(cfg, std::forward<F>(f));
}

int count_waiting(const std::string& reason) {
  int n = 0;
  for (const auto& g : gmpkit::debug::goroutines())
    if (g.wait_reason == reason) n++;
  return n;
}

// Yield until `n` goroutines wait with `reason`.
void wait_for_waiters(const std::string& reason, int n) {
  while (count_waiting(reason) < n) gmpkit::sleep_for(50us);
}

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
    wait_for_waiters("select", 1);
    b.send(3);
    EXPECT_EQ(*res.recv(), 1000 - 3);
    // The losing case's sudog was dequeued from a: a send there now blocks
    // until someone receives (nobody is queued on a).
    bool sent = false;
    gmpkit::select(gmpkit::send_case(a, 1, [&] { sent = true; }), gmpkit::default_case());
    EXPECT_FALSE(sent);
  });
}

// Go's TestNonblockSelectRace: a select with default must see c2 ready.
TEST(Select, NonblockSelectRace) {
  int failures = 0;
  run_procs(2, [&] {
    const int n = 10000;
    Chan<bool> done(1);
    for (int i = 0; i < n; i++) {
      Chan<int> c1(1), c2(1);
      c1.send(1);
      gmpkit::go([c1, c2, done]() mutable {
        std::size_t k =
            gmpkit::select(gmpkit::recv_case(c1), gmpkit::recv_case(c2), gmpkit::default_case());
        done.send(k != 2);
      });
      c2.send(1);
      gmpkit::select(gmpkit::recv_case(c1), gmpkit::default_case());
      if (!*done.recv()) failures++;
    }
  });
  EXPECT_EQ(failures, 0) << "no chan is ready";
}

// Go's TestNonblockSelectRace2: the same with close.
TEST(Select, NonblockSelectRace2) {
  int failures = 0;
  run_procs(2, [&] {
    const int n = 10000;
    Chan<bool> done(1);
    for (int i = 0; i < n; i++) {
      Chan<int> c1(1), c2(0);
      c1.send(1);
      gmpkit::go([c1, c2, done]() mutable {
        std::size_t k =
            gmpkit::select(gmpkit::recv_case(c1), gmpkit::recv_case(c2), gmpkit::default_case());
        done.send(k != 2);
      });
      c2.close();
      gmpkit::select(gmpkit::recv_case(c1), gmpkit::default_case());
      if (!*done.recv()) failures++;
    }
  });
  EXPECT_EQ(failures, 0) << "no chan is ready";
}

// Go's TestSelectStress at procs 2: 4 senders and 4 receivers on four
// channels (two unbuffered, caps 2 and 3), plus one select that sends on
// all four and one that receives on all four, each case retired (set to
// nil) after N operations. Must not deadlock or lose values.
TEST(Select, SelectStress) {
  run_procs(2, [] {
    std::array<Chan<int>, 4> c{Chan<int>(0), Chan<int>(0), Chan<int>(2), Chan<int>(3)};
    constexpr int N = 10000;
    auto wg = std::make_shared<gmpkit::WaitGroup>();
    wg->add(10);
    for (int k = 0; k < 4; k++) {
      gmpkit::go([ch = c[k], wg]() mutable {
        for (int i = 0; i < N; i++) ch.send(0);
        wg->done();
      });
      gmpkit::go([ch = c[k], wg]() mutable {
        for (int i = 0; i < N; i++) ch.recv();
        wg->done();
      });
    }
    gmpkit::go([c, wg]() mutable {
      std::array<int, 4> n{};
      auto c1 = c;
      for (int i = 0; i < 4 * N; i++) {
        auto bump = [&](int k) {
          if (++n[k] == N) c1[k] = Chan<int>();
        };
        gmpkit::select(gmpkit::send_case(c1[3], 0, [&] { bump(3); }),
                       gmpkit::send_case(c1[2], 0, [&] { bump(2); }),
                       gmpkit::send_case(c1[0], 0, [&] { bump(0); }),
                       gmpkit::send_case(c1[1], 0, [&] { bump(1); }));
      }
      wg->done();
    });
    gmpkit::go([c, wg]() mutable {
      std::array<int, 4> n{};
      auto c1 = c;
      for (int i = 0; i < 4 * N; i++) {
        auto bump = [&](int k) {
          if (++n[k] == N) c1[k] = Chan<int>();
        };
        gmpkit::select(
            gmpkit::recv_case(c1[0], [&] { bump(0); }), gmpkit::recv_case(c1[1], [&] { bump(1); }),
            gmpkit::recv_case(c1[2], [&] { bump(2); }), gmpkit::recv_case(c1[3], [&] { bump(3); }));
      }
      wg->done();
    });
    wg->wait();
    for (auto& ch : c) EXPECT_EQ(ch.size(), 0u);
  });
}

// Go's TestSelectFairness, with the bound: the share of c1 among
// `trials` selects that always have c1 and c2 ready stays within
// 4.891676 / (2 * sqrt(trials)) of 0.5 (a two-sided p of about 1e-6).
TEST(Select, SelectFairness) {
  constexpr int trials = 10000;
  int cnt1 = 0, cnt2 = 0;
  run_procs(2, [&] {
    Chan<char> c1(trials + 1), c2(trials + 1);
    for (int i = 0; i < trials + 1; i++) {
      c1.send(1);
      c2.send(2);
    }
    Chan<char> c3(0), c4(0), out(0), done(0);
    auto wg = std::make_shared<gmpkit::WaitGroup>();
    wg->add(1);
    gmpkit::go([=]() mutable {
      for (;;) {
        char b = 0;
        auto take = [&](std::optional<char> v) { b = *v; };
        gmpkit::select(gmpkit::recv_case(c3, take), gmpkit::recv_case(c4, take),
                       gmpkit::recv_case(c1, take), gmpkit::recv_case(c2, take));
        if (gmpkit::select(gmpkit::send_case(out, b), gmpkit::recv_case(done)) == 1) break;
      }
      wg->done();
    });
    for (int i = 0; i < trials; i++) {
      char b = *out.recv();
      if (b == 1)
        cnt1++;
      else if (b == 2)
        cnt2++;
      else
        ADD_FAILURE() << "unexpected value " << int(b) << " on channel";
    }
    done.close();
    wg->wait();
  });
  double r = static_cast<double>(cnt1) / trials;
  EXPECT_LE(std::fabs(r - 0.5), 4.891676 / (2 * std::sqrt(double(trials))))
      << "unfair select: in " << trials << " trials, results were " << cnt1 << ", " << cnt2;
}

// Go's TestSelectDuplicateChannel: a G queued on the same channel twice.
TEST(Select, SelectDuplicateChannel) {
  run_procs(2, [] {
    Chan<int> c(0), d(0), e(0);
    // goroutine A
    gmpkit::go([=]() mutable {
      gmpkit::select(gmpkit::recv_case(c), gmpkit::recv_case(c), gmpkit::recv_case(d));
      e.send(9);
    });
    wait_for_waiters("select", 1);  // A is queued on c (twice) first
    // goroutine B
    gmpkit::go([=]() mutable { c.recv(); });
    wait_for_waiters("chan receive", 1);  // B is queued on c behind A
    d.send(7);  // wakes A, which dequeues itself from c (this used to corrupt c.recvq in Go)
    e.recv();  // A is done
    c.send(8);  // wakes B: must not hit A's stale sudogs
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
    wait_for_waiters("select", 1);
    EXPECT_EQ(*c.recv(), 1);
    EXPECT_EQ(*res.recv(), 0);
    gmpkit::go([=]() mutable {
      int got = 0;
      std::size_t i = gmpkit::select(gmpkit::send_case(c, 1),
                                     gmpkit::recv_case(c, [&](std::optional<int> v) { got = *v; }));
      res.send(static_cast<int>(i) * 100 + got);
    });
    wait_for_waiters("select", 1);
    c.send(42);
    EXPECT_EQ(*res.recv(), 142);
  });
}

TEST(Select, NoCasesAndNilCasesBlockForever) {
  run_procs(2, [] {
    gmpkit::go([] { gmpkit::select(); });
    Chan<int> nil;
    gmpkit::go([nil] { gmpkit::select(gmpkit::recv_case(nil), gmpkit::send_case(nil, 1)); });
    wait_for_waiters("select (no cases)", 1);
    wait_for_waiters("select", 1);
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
    wait_for_waiters("select", 1);
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
    wait_for_waiters("select", 1);
    r.close();
    EXPECT_EQ(*got.recv(), 0);
  });
}

// Many cases (more than the small inline arrays) on distinct channels.
TEST(Select, ManyCases) {
  run_procs(2, [] {
    std::array<Chan<int>, 12> cs;
    for (auto& c : cs) c = Chan<int>(0);
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
    wait_for_waiters("select", 1);
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
      Chan<std::unique_ptr<int>> nil;
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
