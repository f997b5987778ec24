// gmpkit::wait_readable / wait_writable: the netpoller (epoll, edge-
// triggered), deadlines, blocking polls woken by fds and timers, shutdown
// while goroutines wait on fds, and misuse.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <gmpkit/gmpkit.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>
#include "test_util.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using gmpkit::test::procs;

// A non-blocking pipe closed at scope exit.
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    ::close(r);
    ::close(w);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

void put(int fd, char c = 'x') { ASSERT_EQ(::write(fd, &c, 1), 1); }

// Read one byte the gmpkit way: try, wait on EAGAIN, retry.
char get(int fd) {
  char c = 0;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1) return c;
    if (n < 0 && errno == EAGAIN) {
      gmpkit::wait_readable(fd);
      continue;
    }
    ADD_FAILURE() << "read returned " << n << " errno " << errno;
    return 0;
  }
}

class NetpollAtProcs : public gmpkit::test::ProcsTest {};

}  // namespace

// A reader parks on an empty pipe; a writer goroutine fills it later.
TEST_P(NetpollAtProcs, ReaderWakesWhenWriterWrites) {
  Pipe p;
  char got = 0;
  gmpkit::run(procs(GetParam()), [&] {
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      got = get(p.r);
      wg.done();
    });
    gmpkit::sleep_for(5ms);
    put(p.w, 'q');
    wg.wait();
  });
  EXPECT_EQ(got, 'q');
}

// 64 pipes, 64 readers, one writer: every reader gets exactly its byte.
TEST_P(NetpollAtProcs, ManyWaitersAllWake) {
  constexpr int kN = 64;
  std::vector<std::unique_ptr<Pipe>> pipes;
  for (int i = 0; i < kN; i++) pipes.push_back(std::make_unique<Pipe>());
  std::array<char, kN> got{};
  gmpkit::run(procs(GetParam()), [&] {
    gmpkit::WaitGroup wg;
    wg.add(kN);
    for (int i = 0; i < kN; i++) {
      gmpkit::go([&, i] {
        got[i] = get(pipes[i]->r);
        wg.done();
      });
    }
    gmpkit::sleep_for(2ms);
    for (int i = 0; i < kN; i++) put(pipes[i]->w, static_cast<char>('A' + i % 26));
    wg.wait();
  });
  for (int i = 0; i < kN; i++) EXPECT_EQ(got[i], static_cast<char>('A' + i % 26)) << i;
}

// A deadline with no IO returns false, not before the timeout.
TEST_P(NetpollAtProcs, TimeoutReturnsFalse) {
  Pipe p;
  bool ready = true;
  Clock::duration took{};
  gmpkit::run(procs(GetParam()), [&] {
    auto t0 = Clock::now();
    ready = gmpkit::wait_readable(p.r, 10ms);
    took = Clock::now() - t0;
  });
  EXPECT_FALSE(ready);
  EXPECT_GE(took, 10ms);
}

// IO that arrives before the deadline wins; the stale deadline timer that
// fires later must not wake the goroutine's next, unrelated wait.
TEST_P(NetpollAtProcs, IoBeforeDeadlineAndStaleDeadlineIsHarmless) {
  Pipe p;
  bool first = false, second = true;
  gmpkit::run(procs(GetParam()), [&] {
    gmpkit::go([&] {
      gmpkit::sleep_for(1ms);
      put(p.w);
    });
    first = gmpkit::wait_readable(p.r, 2s);
    char c;
    ASSERT_EQ(::read(p.r, &c, 1), 1);
    // The 2 s deadline above was disarmed; this 30 ms wait must time out on
    // its own deadline, not be woken early (or report ready) by a stale one.
    auto t0 = Clock::now();
    second = gmpkit::wait_readable(p.r, 30ms);
    EXPECT_GE(Clock::now() - t0, 30ms);
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
}

// A zero or negative timeout polls: true only if a notification is pending.
TEST(Netpoll, ZeroTimeoutDoesNotBlock) {
  Pipe p;
  gmpkit::run(procs(1), [&] { EXPECT_FALSE(gmpkit::wait_readable(p.r, 0ns)); });
}

// Writability: an empty pipe is writable at once; a full one becomes
// writable when a reader drains it.
TEST_P(NetpollAtProcs, WriterWaitsForSpace) {
  Pipe p;
  std::size_t written = 0, drained = 0;
  gmpkit::run(procs(GetParam()), [&] {
    EXPECT_TRUE(gmpkit::wait_writable(p.w, 1s));
    char buf[4096] = {};
    for (;;) {
      ssize_t n = ::write(p.w, buf, sizeof buf);
      if (n < 0) {
        ASSERT_EQ(errno, EAGAIN);
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      gmpkit::sleep_for(2ms);
      char rb[4096];
      ssize_t n;
      while ((n = ::read(p.r, rb, sizeof rb)) > 0) drained += static_cast<std::size_t>(n);
      wg.done();
    });
    EXPECT_TRUE(gmpkit::wait_writable(p.w));
    EXPECT_EQ(::write(p.w, buf, 1), 1);
    wg.wait();
    // The drainer may or may not have seen our last byte.
    char rb[16];
    ssize_t n;
    while ((n = ::read(p.r, rb, sizeof rb)) > 0) drained += static_cast<std::size_t>(n);
  });
  EXPECT_GT(written, 0u);
  EXPECT_EQ(drained, written + 1);
}

// Readiness and EOF: closing the write end wakes the reader (read() == 0).
TEST(Netpoll, HangupWakesReader) {
  Pipe p;
  ssize_t n = -2;
  gmpkit::run(procs(2), [&] {
    gmpkit::go([&] {
      gmpkit::sleep_for(2ms);
      ::close(p.w);
      p.w = ::open("/dev/null", O_WRONLY | O_CLOEXEC);  // keep ~Pipe's close harmless
    });
    EXPECT_TRUE(gmpkit::wait_readable(p.r));
    char c;
    n = ::read(p.r, &c, 1);
  });
  EXPECT_EQ(n, 0);
}

// Only a thread outside the runtime makes the fd ready: every goroutine is
// parked in IO wait meanwhile. That is not a deadlock (Go's checkdead does
// not count netpoll waiters as dead), and the M blocked in epoll_wait with
// no timer must be woken by the fd itself.
TEST(Netpoll, ExternalWriterWakesBlockedPollAndNoFalseDeadlock) {
  Pipe p;
  char got = 0;
  std::thread writer([&] {
    std::this_thread::sleep_for(30ms);
    put(p.w, 'z');
  });
  EXPECT_NO_THROW(gmpkit::run(procs(2), [&] { got = get(p.r); }));
  writer.join();
  EXPECT_EQ(got, 'z');
}

// Shutdown while goroutines are parked in IO wait: run() returns, their
// stacks unwind (destructors run), and the runtime is reusable.
TEST(Netpoll, ShutdownUnwindsIoWaiters) {
  Pipe a, b;
  std::atomic<int> destroyed{0}, resumed{0};
  struct Guard {
    std::atomic<int>* n;
    ~Guard() { n->fetch_add(1); }
  };
  for (int round = 0; round < 3; round++) {
    gmpkit::run(procs(2), [&] {
      gmpkit::go([&] {
        Guard g{&destroyed};
        gmpkit::wait_readable(a.r);  // no deadline
        resumed.fetch_add(1);
      });
      gmpkit::go([&] {
        Guard g{&destroyed};
        gmpkit::wait_readable(b.r, 1h);  // a pending deadline timer
        resumed.fetch_add(1);
      });
      // Both must be parked: a goroutine that never started has no Guard
      // yet (shutdown only destroys its callable). A fixed sleep was not
      // enough on a loaded machine under TSan ("5 of 6").
      gmpkit::test::wait_for_waiters("IO wait", 2, 100us);
    });
  }
  EXPECT_EQ(destroyed.load(), 6);
  EXPECT_EQ(resumed.load(), 0) << "a goroutine ran user code after main returned";
}

// Misuse gets gmpkit::usage_error with a message naming the problem.
TEST(Netpoll, Misuse) {
  Pipe p;
  EXPECT_THROW(gmpkit::wait_readable(p.r), gmpkit::usage_error);  // outside a goroutine
  gmpkit::run(procs(2), [&] {
    EXPECT_THROW(gmpkit::wait_readable(-1), gmpkit::usage_error);
    // A regular file cannot be polled (epoll_ctl: EPERM).
    int f = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(f, 0);
    try {
      gmpkit::wait_readable(f);
      ADD_FAILURE() << "no usage_error for a regular file";
    } catch (const gmpkit::usage_error& e) {
      EXPECT_NE(std::string(e.what()).find("epoll_ctl failed"), std::string::npos) << e.what();
    }
    ::close(f);
    // Two goroutines on the same fd and direction.
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      gmpkit::wait_readable(p.r);
      wg.done();
    });
    gmpkit::sleep_for(2ms);
    try {
      gmpkit::wait_readable(p.r);
      ADD_FAILURE() << "no usage_error for a second waiter";
    } catch (const gmpkit::usage_error& e) {
      EXPECT_NE(std::string(e.what()).find("same fd"), std::string::npos) << e.what();
    }
    put(p.w);
    wg.wait();
  });
}

GMPKIT_INSTANTIATE_PROCS(NetpollAtProcs, 1, 2, 4);
