// stress/storms/syscall.cpp — short and long blocking calls mixed with
// compute. Short: getppid() under gmpkit::syscall (the P stays with the M,
// re-taken with one CAS). Long: a 0.2-2 ms nanosleep under syscall (sysmon
// retakes the P: a handoff) or syscall_block (handed off at once), and a
// token round trip through a private pipe. Every call entered must return
// (acquired == released), every token written must be read back intact.
// Handoffs are counted from gmpkit::metrics() by the runner.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gmpkit/syscall.hpp>

#include "loads.hpp"
#include "storm.hpp"

namespace gmpkit::stress {

namespace {

void caller(StormContext& ctx, int id) {
  auto rng = ctx.rng(3000 + static_cast<std::uint64_t>(id));
  auto& l = ctx.ledger();
  const pid_t parent = ::getppid();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    l.violation("syscall: pipe2 failed: " + std::string(std::strerror(errno)));
    return;
  }
  std::uint64_t token = 0;
  while (ctx.running()) {
    const unsigned kind = static_cast<unsigned>(rng() % 8);
    l.acquired.fetch_add(1, std::memory_order_relaxed);
    if (kind < 5) {
      if (gmpkit::syscall([] { return ::getppid(); }) != parent)
        l.violation("syscall: getppid() changed");
    } else if (kind < 7) {
      timespec ts{0, static_cast<long>(200000 + rng() % 1800000)};
      auto sleep = [&ts] {
        while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
      };
      if (kind == 5)
        gmpkit::syscall(sleep);
      else
        gmpkit::syscall_block(sleep);
    } else {
      token++;
      const std::uint64_t out = token;
      std::uint64_t in = 0;
      const ssize_t w = gmpkit::syscall([&] { return ::write(fds[1], &out, sizeof out); });
      l.sent.fetch_add(1, std::memory_order_relaxed);
      const ssize_t r = gmpkit::syscall_block([&] {
        ssize_t n;
        while ((n = ::read(fds[0], &in, sizeof in)) < 0 && errno == EINTR) {}
        return n;
      });
      if (w != sizeof out || r != sizeof in || in != out)
        l.violation("syscall: pipe token " + std::to_string(out) + " came back as " +
                    std::to_string(in));
      else
        l.received.fetch_add(1, std::memory_order_relaxed);
    }
    l.released.fetch_add(1, std::memory_order_relaxed);
    l.add_ops();
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace

void syscall_storm(StormContext& ctx) {
  WaitGroup wg;
  for (int i = 0; i < ctx.scaled(32); i++) ctx.go(&wg, [&ctx, i] { caller(ctx, i); });
  start_spawners(ctx, wg, ctx.scaled(2));  // runnable work, so blocked Ps get handed off
  wait_until_stopped(ctx);
  wg.wait();
}

}  // namespace gmpkit::stress
