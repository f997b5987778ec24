// Channels: ports of Go's runtime/chan_test.go (TestChan, NonblockRecvRace,
// PseudoRandomSend, MultiConsumer) plus the error messages, the nil
// channel, move-only elements and shutdown with blocked goroutines.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const gmpkit::chan_error& e) {
    return e.what();
  }
  return "<no chan_error>";
}

// Go's TestChan, for one capacity.
void test_chan_cap(std::size_t cap) {
  {
    // Receive from an empty channel blocks.
    Chan<int> c(cap);
    auto recv1 = std::make_shared<std::atomic<bool>>(false);
    auto recv2 = std::make_shared<std::atomic<bool>>(false);
    gmpkit::go([c, recv1]() mutable {
      c.recv();
      recv1->store(true);
    });
    gmpkit::go([c, recv2]() mutable {
      (void)c.recv().has_value();
      recv2->store(true);
    });
    gmpkit::sleep_for(1ms);
    EXPECT_FALSE(recv1->load() || recv2->load()) << "chan[" << cap << "]: receive from empty chan";
    // A non-blocking receive does not block.
    bool got = false;
    gmpkit::select(gmpkit::recv_case(c, [&] { got = true; }), gmpkit::default_case());
    EXPECT_FALSE(got) << "chan[" << cap << "]: receive from empty chan";
    gmpkit::select(gmpkit::recv_case(c, [&](std::optional<int>) { got = true; }),
                   gmpkit::default_case());
    EXPECT_FALSE(got) << "chan[" << cap << "]: receive from empty chan";
    c.send(0);
    c.send(0);
  }
  {
    // Send to a full channel blocks.
    Chan<int> c(cap);
    for (std::size_t i = 0; i < cap; i++) c.send(static_cast<int>(i));
    auto sent = std::make_shared<std::atomic<bool>>(false);
    gmpkit::go([c, sent]() mutable {
      c.send(0);
      sent->store(true);
    });
    gmpkit::sleep_for(1ms);
    EXPECT_FALSE(sent->load()) << "chan[" << cap << "]: send to full chan";
    bool got = false;
    gmpkit::select(gmpkit::send_case(c, 0, [&] { got = true; }), gmpkit::default_case());
    EXPECT_FALSE(got) << "chan[" << cap << "]: send to full chan";
    c.recv();
  }
  {
    // Receive the buffered values, then "zero" (nullopt), from a closed channel.
    Chan<int> c(cap);
    for (std::size_t i = 0; i < cap; i++) c.send(static_cast<int>(i));
    c.close();
    for (std::size_t i = 0; i < cap; i++) {
      auto v = c.recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(*v, static_cast<int>(i));
    }
    EXPECT_FALSE(c.recv().has_value());
    EXPECT_FALSE(c.recv().has_value());
  }
  {
    // Close unblocks a receive.
    Chan<int> c(cap);
    Chan<bool> done(0);
    gmpkit::go([c, done]() mutable { done.send(!c.recv().has_value()); });
    gmpkit::sleep_for(1ms);
    c.close();
    EXPECT_TRUE(*done.recv()) << "chan[" << cap << "]: received a value from a closed chan";
  }
  {
    // 100 integers arrive intact, in FIFO order.
    Chan<int> c(cap);
    gmpkit::go([c]() mutable {
      for (int i = 0; i < 100; i++) c.send(i);
    });
    for (int i = 0; i < 100; i++) {
      auto v = c.recv();
      ASSERT_TRUE(v.has_value());
      ASSERT_EQ(*v, i) << "chan[" << cap << "]";
    }
    // 4 senders x L values and 4 receivers: everything sent is received.
    constexpr int P = 4, L = 250;
    for (int p = 0; p < P; p++)
      gmpkit::go([c]() mutable {
        for (int i = 0; i < L; i++) c.send(i);
      });
    Chan<std::map<int, int>> done(0);
    for (int p = 0; p < P; p++)
      gmpkit::go([c, done]() mutable {
        std::map<int, int> recv;
        for (int i = 0; i < L; i++) recv[*c.recv()]++;
        done.send(std::move(recv));
      });
    std::map<int, int> recv;
    for (int p = 0; p < P; p++) {
      std::map<int, int> part =
          *done.recv();  // own the map: *recv() alone would dangle in a range-for
      for (auto [k, v] : part) recv[k] += v;
    }
    EXPECT_EQ(recv.size(), static_cast<std::size_t>(L));
    for (auto [k, v] : recv) EXPECT_EQ(v, P) << "chan[" << cap << "] value " << k;
  }
  {
    // len/cap.
    Chan<int> c(cap);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.capacity(), cap);
    for (std::size_t i = 0; i < cap; i++) c.send(static_cast<int>(i));
    EXPECT_EQ(c.size(), cap);
    EXPECT_EQ(c.capacity(), cap);
  }
}

}  // namespace

TEST(Chan, CapacitySweep) {
  run_procs(4, [] {
    for (std::size_t cap = 0; cap < 200; cap++) {
      test_chan_cap(cap);
      if (::testing::Test::HasFailure()) return;
    }
  });
}

TEST(Chan, NonblockRecvRace) {
  std::atomic<int> failures{0};
  run_procs(4, [&] {
    for (int i = 0; i < 10000; i++) {
      Chan<int> c(1);
      c.send(1);
      gmpkit::go([c, &failures]() mutable {
        gmpkit::select(gmpkit::recv_case(c), gmpkit::default_case([&] { failures++; }));
      });
      c.close();
      c.recv();
    }
    // Let the last goroutines finish.
    gmpkit::sleep_for(2ms);
  });
  EXPECT_EQ(failures.load(), 0) << "chan is not ready";
}

TEST(Chan, PseudoRandomSend) {
  constexpr int n = 100;
  for (std::size_t cap : {std::size_t{0}, std::size_t{n}}) {
    run_procs(2, [cap] {
      Chan<int> c(cap);
      std::vector<int> l(n);
      Chan<bool> done(0);
      gmpkit::go([&] {
        for (int i = 0; i < n; i++) {
          gmpkit::yield();
          l[i] = *c.recv();
        }
        done.send(true);
      });
      for (int i = 0; i < n; i++) gmpkit::select(gmpkit::send_case(c, 1), gmpkit::send_case(c, 0));
      done.recv();
      int n0 = 0, n1 = 0;
      for (int v : l) {
        n0 += (v + 1) % 2;
        n1 += v;
      }
      EXPECT_GT(n0, n / 10) << "want pseudorandom, got " << n0 << " zeros and " << n1
                            << " ones (cap " << cap << ")";
      EXPECT_GT(n1, n / 10) << "want pseudorandom, got " << n0 << " zeros and " << n1
                            << " ones (cap " << cap << ")";
    });
  }
}

TEST(Chan, MultiConsumer) {
  constexpr int nwork = 23, niter = 27182;
  const std::vector<int> pn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
  run_procs(4, [&] {
    Chan<int> q(nwork * 3), r(nwork * 3);
    auto wg = std::make_shared<gmpkit::WaitGroup>();
    for (int i = 0; i < nwork; i++) {
      wg->add(1);
      gmpkit::go([q, r, wg, &pn, w = i]() mutable {
        while (auto v = q.recv()) {
          if (pn[w % pn.size()] == *v) gmpkit::yield();  // mess with the fifo-ish nature of range
          r.send(*v);
        }
        wg->done();
      });
    }
    long expect = 0;
    Chan<long> expect_ch(1);
    gmpkit::go([q, r, wg, &pn, expect_ch]() mutable {
      long e = 0;
      for (int i = 0; i < niter; i++) {
        int v = pn[i % pn.size()];
        e += v;
        q.send(v);
      }
      q.close();
      wg->wait();
      expect_ch.send(e);
      r.close();
    });
    long n = 0, s = 0;
    while (auto v = r.recv()) {
      n++;
      s += *v;
    }
    expect = *expect_ch.recv();
    EXPECT_EQ(n, niter);
    EXPECT_EQ(s, expect);
  });
}

TEST(Chan, ErrorMessages) {
  run_procs(2, [] {
    Chan<int> c(1);
    c.close();
    EXPECT_EQ(error_of([&] { c.send(1); }), "send on closed channel");
    EXPECT_EQ(error_of([&] { c.close(); }), "close of closed channel");
    Chan<int> nil;
    EXPECT_EQ(error_of([&] { nil.close(); }), "close of nil channel");
    Chan<int> a(0);
    Chan<int> b(std::move(a));
    EXPECT_TRUE(a.is_nil());  // NOLINT(bugprone-use-after-move): moved-from is nil by contract
    EXPECT_EQ(error_of([&] { a.close(); }), "close of nil channel");
    EXPECT_EQ(error_of([&] { gmpkit::select(gmpkit::send_case(c, 1), gmpkit::default_case()); }),
              "send on closed channel");
    Chan<int> d(0);
    EXPECT_EQ(error_of([&] {
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

TEST(Chan, NilChannelBlocksForever) {
  run_procs(2, [] {
    Chan<int> nil;
    EXPECT_EQ(nil.size(), 0u);
    EXPECT_EQ(nil.capacity(), 0u);
    gmpkit::go([nil]() mutable { nil.recv(); });
    gmpkit::go([nil]() mutable { nil.send(1); });
    gmpkit::sleep_for(2ms);
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
      gmpkit::sleep_for(5ms);
    });
  }
}
