// stress/storms/timers.cpp — timers: 10^5 (scaled) goroutines sleeping
// random 50 us-5 ms in a loop keep ~10^5 timers alive in the per-P heaps
// (added, fired, moved by stealing and procresize); deadline waiters on
// pipes have their poll timer reset at every wait, and it is either fired
// (the wait times out) or cancelled (a poker writes a byte first).
// Checked: no sleep or timeout ever ends early; every byte poked is read
// exactly once (drained at the end).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include <gmpkit/netpoll.hpp>

#include "storm.hpp"

namespace gmpkit::stress {

namespace {

using Clock = std::chrono::steady_clock;

void sleeper(StormContext& ctx, std::uint64_t id) {
  auto rng = ctx.rng(6000 + id);
  auto& l = ctx.ledger();
  while (ctx.running()) {
    const auto d = std::chrono::microseconds(50 + rng() % 4950);
    const auto t0 = Clock::now();
    gmpkit::sleep_for(d);
    if (Clock::now() - t0 < d)
      l.violation("timers: sleep_for(" + std::to_string(d.count()) + " us) returned early");
    l.add_ops();
  }
}

void waiter(StormContext& ctx, int fd, std::atomic<std::int64_t>* got) {
  auto rng = ctx.rng(7000 + static_cast<std::uint64_t>(fd));
  auto& l = ctx.ledger();
  char buf[256];
  auto drain = [&] {
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) got->fetch_add(n, std::memory_order_relaxed);
    return n;  // 0 at EOF, -1 (EAGAIN) when empty
  };
  for (;;) {
    if (drain() == 0) break;
    const auto d = std::chrono::microseconds(200 + rng() % 2800);
    const auto t0 = Clock::now();
    const bool ready = gmpkit::wait_readable(fd, d);  // re-arms (resets) the poll deadline
    if (!ready && Clock::now() - t0 < d) l.violation("timers: wait_readable timed out early");
    l.add_ops();
  }
  ::close(fd);
}

void poker(StormContext& ctx, int fd, int id, std::atomic<std::int64_t>* put) {
  auto rng = ctx.rng(8000 + static_cast<std::uint64_t>(id));
  while (ctx.running()) {
    gmpkit::sleep_for(std::chrono::microseconds(rng() % 3000));
    const char b = 'x';
    if (::write(fd, &b, 1) == 1) {
      put->fetch_add(1, std::memory_order_relaxed);  // relaxed: read after the join
      ctx.ledger().sent.fetch_add(1, std::memory_order_relaxed);
    }
  }
  ::close(fd);  // the waiter drains to EOF
}

}  // namespace

void timers_storm(StormContext& ctx) {
  WaitGroup wg;
  std::atomic<std::int64_t> put{0}, got{0};
  for (int i = 0; i < ctx.scaled(64); i++) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      ctx.ledger().violation("timers: pipe2: " + std::string(std::strerror(errno)));
      break;
    }
    ctx.go(&wg, [&ctx, fd = fds[0], &got] { waiter(ctx, fd, &got); });
    ctx.go(&wg, [&ctx, fd = fds[1], i, &put] { poker(ctx, fd, i, &put); });
  }
  const int n = ctx.scaled(100000);
  for (int i = 0; i < n && ctx.running(); i++)
    ctx.go(&wg, [&ctx, i] { sleeper(ctx, static_cast<std::uint64_t>(i)); });
  wait_until_stopped(ctx);
  wg.wait();
  const auto p = put.load(std::memory_order_relaxed), g = got.load(std::memory_order_relaxed);
  ctx.ledger().received.fetch_add(g, std::memory_order_relaxed);
  if (g > p) ctx.ledger().duplicated.fetch_add(g - p, std::memory_order_relaxed);
}

}  // namespace gmpkit::stress
