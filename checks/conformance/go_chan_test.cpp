// Ports of Go 1.19's runtime/chan_test.go (channels and select; Go 1.19 has
// no select_test.go: its select tests live in chan_test.go) and
// chanbarrier_test.go. One gtest per Go test, named Go.<GoTestName>, with
// Go's numbers; the comment above each says what Go asserts and, for an
// adapted port, what differs. README.md in this folder is the table.
#include <gtest/gtest.h>

#include <any>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;
using gmpkit::test::run_procs;
using gmpkit::test::wait_for_waiters;

namespace {

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
    // Same, but using recv2 (Go's `v, ok := <-c`; in gmpkit both receive
    // forms are recv(), whose std::optional is Go's ok).
    gmpkit::go([c]() mutable {
      for (int i = 0; i < 100; i++) c.send(i);
    });
    for (int i = 0; i < 100; i++) {
      auto v = c.recv();
      ASSERT_TRUE(v.has_value()) << "chan[" << cap << "]: receive failed, expected " << i;
      ASSERT_EQ(*v, i) << "chan[" << cap << "]";
    }
    // 4 senders x L values and 4 receivers: everything sent is received.
    constexpr int P = 4, L = 1000;
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

// Go: at GOMAXPROCS 4, for every capacity 0..N-1 (N=200): receive from an
// empty channel and send to a full one block (also non-blocking), a closed
// channel yields its buffered values then zero, close unblocks receivers,
// values arrive in FIFO order, 4 senders x 4 receivers lose nothing, and
// len/cap are right.
TEST(Go, TestChan) {
  run_procs(4, [] {
    for (std::size_t cap = 0; cap < 200; cap++) {
      test_chan_cap(cap);
      if (::testing::Test::HasFailure()) return;
    }
  });
}

// Go: n=10000 times, a non-blocking receive from a buffered channel that
// holds a value (and is being closed and drained concurrently) never takes
// the default case.
TEST(Go, TestNonblockRecvRace) {
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

// Go: n=100000 times, a select with default over c1 (being drained
// concurrently) and c2 (being filled) must see one of them ready.
TEST(Go, TestNonblockSelectRace) {
  int failures = 0;
  run_procs(2, [&] {
    const int n = 100000;
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

// Go: the same with c2 unbuffered and being closed.
TEST(Go, TestNonblockSelectRace2) {
  int failures = 0;
  run_procs(2, [&] {
    const int n = 100000;
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

// Go: at GOMAXPROCS 2, two goroutines x 1000 selects with a send and a
// receive case on the same channel (caps 0 and 10) neither crash nor
// deadlock, and an unbuffered channel never matches a goroutine with itself.
TEST(Go, TestSelfSelect) {
  run_procs(2, [] {
    for (std::size_t chanCap : {std::size_t{0}, std::size_t{10}}) {
      gmpkit::WaitGroup wg;
      wg.add(2);
      Chan<int> c(chanCap);
      std::atomic<int> self{0};
      for (int p = 0; p < 2; p++) {
        gmpkit::go([&, p] {
          for (int i = 0; i < 1000; i++) {
            auto check = [&](std::optional<int> v) {
              if (chanCap == 0 && v && *v == p) self++;
            };
            if (p == 0 || i % 2 == 0)
              gmpkit::select(gmpkit::send_case(c, p), gmpkit::recv_case(c, check));
            else
              gmpkit::select(gmpkit::recv_case(c, check), gmpkit::send_case(c, p));
            if (self.load() != 0) break;
          }
          wg.done();
        });
      }
      wg.wait();
      EXPECT_EQ(self.load(), 0) << "self receive (cap " << chanCap << ")";
    }
  });
}

// Go: at GOMAXPROCS 10, 4 senders and 4 receivers on four channels (two
// unbuffered, caps 2 and 3) plus one select sending on all four and one
// receiving on all four (a case set to nil after N ops) do not deadlock.
// N = 1e4 (Go's -short value; Go's full run uses 1e5).
TEST(Go, TestSelectStress) {
  run_procs(10, [] {
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
          if (++n[k] == N) c1[k] = Chan<int>::nil();
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

// Go: over 10000 selects that always have c1 and c2 ready (c3, c4 never),
// the share of c1 is within 4.891676 / (2 * sqrt(10000)) of 0.5 (six
// nines confidence).
TEST(Go, TestSelectFairness) {
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

// Go: sending interface values (here std::any holding a pointer) on a
// full buffered channel in selects with default does not block or crash.
TEST(Go, TestChanSendInterface) {
  run_procs(2, [] {
    struct mt {};
    auto m = std::make_shared<mt>();
    Chan<std::any> c(1);
    c.send(std::any(m));
    EXPECT_EQ(gmpkit::select(gmpkit::send_case(c, std::any(m)), gmpkit::default_case()), 1u);
    EXPECT_EQ(gmpkit::select(gmpkit::send_case(c, std::any(m)),
                             gmpkit::send_case(c, std::any(std::make_shared<mt>())),
                             gmpkit::default_case()),
              2u);
    EXPECT_EQ(std::any_cast<std::shared_ptr<mt>>(*c.recv()), m);
  });
}

// Go: n=100 selects between `c <- 1` and `c <- 0` (caps 0 and n) choose
// pseudo-randomly: more than n/10 of each.
TEST(Go, TestPseudoRandomSend) {
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

// Go: 23 workers ranging over q (some Gosched on a value) forward
// niter=271828 values to r; the count and the sum arrive intact.
TEST(Go, TestMultiConsumer) {
  constexpr int nwork = 23, niter = 271828;
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

// Go: a G queued twice on the same channel by one select (A), then B
// queued behind it; waking A via d dequeues both of A's entries, and the
// later send on c wakes B (this corrupted c.recvq once). Adapted: Go
// sleeps 1 ms to order A and B; here the test waits until each is parked.
TEST(Go, TestSelectDuplicateChannel) {
  run_procs(2, [] {
    Chan<int> c(0), d(0), e(0);
    // goroutine A
    gmpkit::go([=]() mutable {
      gmpkit::select(gmpkit::recv_case(c), gmpkit::recv_case(c), gmpkit::recv_case(d));
      e.send(9);
    });
    wait_for_waiters("select", 1, 50us);  // A is queued on c (twice) first
    // goroutine B
    gmpkit::go([=]() mutable { c.recv(); });
    wait_for_waiters("chan receive", 1, 50us);  // B is queued on c behind A
    d.send(7);  // wakes A, which dequeues itself from c (this used to corrupt c.recvq in Go)
    e.recv();  // A is done
    c.send(8);  // wakes B: must not hit A's stale sudogs
  });
}

namespace {
// Go's doRequest: a goroutine sends (in a select with a done case, or
// plainly) a pointer to a fresh struct carrying an error; the caller
// receives it, yields and checks it.
bool doRequest(bool useSelect) {
  struct async {
    int* resp;
    std::string err;
  };
  Chan<std::unique_ptr<async>> ch(0);
  Chan<bool> done(0);
  if (useSelect) {
    gmpkit::go([ch, done]() mutable {
      gmpkit::select(gmpkit::send_case(ch, std::make_unique<async>(async{nullptr, "myError"})),
                     gmpkit::recv_case(done));
    });
  } else {
    gmpkit::go([ch]() mutable { ch.send(std::make_unique<async>(async{nullptr, "myError"})); });
  }
  auto r = *ch.recv();
  gmpkit::yield();
  return r->resp == nullptr && r->err == "myError";
}

void chan_send_barrier(bool useSelect) {
  constexpr int outer = 10, inner = 1000;  // Go's -short values (full: 100, 100000)
  std::atomic<int> bad{0};
  run_procs(2, [&] {
    gmpkit::WaitGroup wg;
    gmpkit::Mutex globalMu;
    std::vector<char> global;
    for (int i = 0; i < outer; i++) {
      wg.add(1);
      gmpkit::go([&] {
        std::vector<char> garbage;
        for (int j = 0; j < inner; j++) {
          if (!doRequest(useSelect)) bad++;
          garbage.assign(1 << 10, 0);
        }
        {
          std::lock_guard g(globalMu);
          global = std::move(garbage);
        }
        // After the unlock: the last done() lets main return and destroy
        // globalMu (Go's GC would keep it alive).
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(bad.load(), 0);
}
}  // namespace

// Go (chanbarrier_test.go): outer goroutines each make inner requests that
// receive a freshly allocated value from a goroutine's select send; the
// value arrives intact (Go: GC write barriers on the send path). Adapted:
// no GC; checks the handoff of owned heap values under churn (ASan/LSan
// check the ownership).
TEST(Go, TestChanSendSelectBarrier) { chan_send_barrier(true); }

// Go: the same with a plain send.
TEST(Go, TestChanSendBarrier) { chan_send_barrier(false); }
