// preempt_signal_handler_test.cpp — async preemption never switches away
// from inside a user's signal handler (sysmon/preempt.cpp, rule 7).
//
// A handler installed without SA_ONSTACK runs on the interrupted goroutine's
// stack, and its code is user text; before rule 7 a SIGURG arriving while
// it ran passed the safe-point rule and the G was switched out *inside the
// handler*. If the handler had interrupted malloc, the preempted G kept
// glibc's arena lock, every M then blocked on that lock in the kernel, and
// the runtime wedged (gmpkit-stress's preempt storm: 4 call-free hogs +
// SIGUSR1 every 50 µs). Here: call-free hogs and malloc/free loops at procs
// 2 while a thread sends SIGUSR1 to every running M for ~300 ms; the
// handler spins (call-free, so the preemption signal often lands in it)
// and checks that nothing else ran on its thread meanwhile (same thread,
// M, P and slice at its end). Before the fix 8 of 10 runs failed: handlers
// were switched away from (4), or the run died of SIGSEGV or a bogus "stack
// overflow" abort (4; a handler resumed on another M returns through
// rt_sigreturn there, which installs the first M's sigaltstack on the
// second), or wedged. After: every goroutine ends, no handler was switched
// away from, and the hogs were still preempted by signal.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/metrics.hpp"
#include "platform/signal.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

std::atomic<std::int64_t> g_handled{0};
std::atomic<std::int64_t> g_switched{0};  // handlers during which the thread ran other code

// Where the handler runs: thread, M, its P and that P's schedtick. The
// switch away from a preempted G goes through the scheduler, which moves on
// at least one of these before the G runs again (a new slice bumps the
// P's schedtick), whether it resumes on this thread or another.
struct Where {
  long tid;
  gmpkit::core::M* m;
  gmpkit::core::P* p;
  std::uint32_t tick;
  bool operator==(const Where&) const = default;
};
Where where() {
  Where w{::syscall(SYS_gettid), gmpkit::core::getm(), nullptr, 0};
  if (w.m != nullptr) w.p = w.m->p;
  if (w.p != nullptr) w.tick = w.p->schedtick.load(gmpkit::rt::relaxed);  // relaxed: own P's count
  return w;
}

// relaxed everywhere below: counters read after the threads are joined.
void on_usr1(int) {
  const int saved_errno = errno;
  const Where before = where();
  std::uint64_t x = 0;
  for (int i = 0; i < 100000; i++) asm volatile("" : "+r"(x) : "r"(i));  // call-free: user text
  if (!(where() == before)) g_switched.fetch_add(1, std::memory_order_relaxed);
  g_handled.fetch_add(1, std::memory_order_relaxed);
  errno = saved_errno;
}

TEST(PreemptSignalHandler, UserHandlerOnGoroutineStackIsNeverPreempted) {
  GMPKIT_REQUIRE_ASYNC_PREEMPT();
  struct sigaction sa {};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_ONSTACK: the handler runs on the goroutine's stack
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);

  // A wedged runtime cannot report anything itself: fail loudly instead of
  // waiting for ctest's timeout (generous: the run takes ~0.3 s).
  std::atomic<bool> finished{false};
  std::thread watchdog([&finished] {
    for (int i = 0; i < 1200 && !finished.load(); i++) std::this_thread::sleep_for(100ms);
    if (!finished.load()) {
      std::fprintf(stderr,
                   "PreemptSignalHandler: runtime wedged (a goroutine preempted inside a signal "
                   "handler that had interrupted malloc?)\n");
      std::_Exit(3);
    }
  });

  std::int64_t async = 0, spawned = 0, exited = 0;
  gmpkit::run(gmpkit::test::procs(2), [&] {
    std::atomic<bool> stop{false};
    std::atomic<bool> quit{false};
    std::thread sender([&quit] {
      sigset_t block;
      sigemptyset(&block);
      sigaddset(&block, SIGUSR1);
      pthread_sigmask(SIG_BLOCK, &block, nullptr);
      while (!quit.load(std::memory_order_relaxed)) {
        for (gmpkit::core::P* pp : gmpkit::core::sched->allp) {
          if (pp->pstatus() != gmpkit::core::PStatus::running) continue;
          gmpkit::core::M* mp = pp->m;  // racy on purpose: a stale M only misses a signal
          if (mp != nullptr && mp->procid != 0) gmpkit::rt::signal_thread(mp->procid, SIGUSR1);
        }
        std::this_thread::sleep_for(50us);
      }
    });
    gmpkit::WaitGroup wg;
    std::atomic<int> started{0};  // workers that ran at least once
    for (int k = 0; k < 4; k++) {  // call-free hogs: only the signal preempts them
      wg.add(1);
      gmpkit::go([&] {
        started.fetch_add(1);
        std::int64_t n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          n++;
          asm volatile("" : "+r"(n));
        }
        wg.done();
      });
    }
    for (int k = 0; k < 2; k++) {  // malloc/free: the handler often interrupts libc
      wg.add(1);
      gmpkit::go([&, k] {
        started.fetch_add(1);
        std::uint64_t rng = 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(k);
        while (!stop.load(std::memory_order_relaxed)) {
          rng ^= rng << 13;
          rng ^= rng >> 7;
          rng ^= rng << 17;
          void* p = std::malloc(rng % 8192 + 1);
          std::memset(p, k, 1);
          std::free(p);
        }
        wg.done();
      });
    }
    // ~300 ms of storm, and at least until every worker has run (only
    // signal preemption lets the later ones onto a P).
    gmpkit::sleep_for(300ms);
    while (started.load() < 6) gmpkit::sleep_for(10ms);
    stop.store(true);
    wg.wait();
    quit.store(true);
    gmpkit::syscall_block([&] { sender.join(); });
    // wg.done() runs just before each goroutine exits: wait for the exits.
    gmpkit::Metrics m = gmpkit::metrics();
    while (m.goroutines_exited < m.goroutines_spawned - 1) {
      gmpkit::yield();
      m = gmpkit::metrics();
    }
    spawned = m.goroutines_spawned;
    exited = m.goroutines_exited;
    async = m.preemptions_async;
  });
  finished.store(true);
  watchdog.join();
  ::sigaction(SIGUSR1, &old, nullptr);

  EXPECT_EQ(g_switched.load(), 0) << "a signal handler was preempted (the thread ran other code)";
  EXPECT_GT(g_handled.load(), 0);
  EXPECT_EQ(spawned, 7);  // main + 4 hogs + 2 allocators, all but main exited
  EXPECT_EQ(exited, 6);
  EXPECT_GT(async, 0) << "the call-free hogs must still be preempted by signal";
}

}  // namespace
