// stress/storms/preempt.cpp — preemption: call-free hogs (twice as many as
// Ps, so only signal preemption lets the others and the runner's own
// timer goroutine run), allocation-heavy goroutines (preempted inside
// malloc must not happen: libc is not a safe point), and a signal storm:
// an OS thread sends SIGUSR1 to the process every 50 us (handler without
// SA_RESTART, so the runtime's futex/epoll/nanosleep calls see EINTR).
// Checked: every G ends, heap contents stay intact, signals were handled.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gmpkit/runtime.hpp>
#include <gmpkit/syscall.hpp>

#include "loads.hpp"
#include "storm.hpp"

namespace gmpkit::stress {

namespace {
std::atomic<std::int64_t> g_handled{0};
void on_usr1(int) { g_handled.fetch_add(1, std::memory_order_relaxed); }  // relaxed: a count
}  // namespace

void preempt_storm(StormContext& ctx) {
  // The handler stays installed afterwards: a signal still in flight must
  // not meet the default action (terminate).
  struct sigaction sa {};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: interrupted calls return EINTR
  ::sigaction(SIGUSR1, &sa, nullptr);
  const std::int64_t handled0 = g_handled.load(std::memory_order_relaxed);
  std::atomic<bool> quit{false};
  std::int64_t sent = 0;
  std::thread storm([&] {
    const pid_t pid = ::getpid();
    // relaxed: a stop flag.
    while (!quit.load(std::memory_order_relaxed)) {
      ::kill(pid, SIGUSR1);
      sent++;
      timespec ts{0, 50000};
      ::nanosleep(&ts, nullptr);
    }
  });

  WaitGroup wg;
  const int procs = gmpkit::gomaxprocs();
  start_hogs(ctx, wg, ctx.scaled(2 * procs), nullptr);
  start_allocators(ctx, wg, ctx.scaled(4));
  start_spawners(ctx, wg, 1);
  wait_until_stopped(ctx);
  wg.wait();

  quit.store(true, std::memory_order_relaxed);
  gmpkit::syscall_block([&] { storm.join(); });
  // A process-directed signal is delivered when some thread next returns
  // to user space (under TSan: at its next interceptor), so the last ones
  // may still be pending here. A storm that stopped at once (a mixed part
  // whose parent had already stopped) sends only one or two: give them
  // time before calling that a violation.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (sent > 0 && g_handled.load(std::memory_order_relaxed) == handled0 &&
         std::chrono::steady_clock::now() < until)
    gmpkit::sleep_for(std::chrono::milliseconds(1));
  if (sent > 0 && g_handled.load(std::memory_order_relaxed) == handled0)
    ctx.ledger().violation("preempt: " + std::to_string(sent) +
                           " SIGUSR1 sent, none handled within 2 s");
}

}  // namespace gmpkit::stress
