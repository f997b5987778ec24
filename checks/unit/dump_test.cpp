// Goroutine dumps (observe/dump.cpp): Go's headers with wait reasons,
// symbolized stacks of parked goroutines, the current one marked running,
// deadlock errors with stacks, SIGQUIT (dump and exit 2) and fatal errors.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>

#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "platform/clock.hpp"
#include "platform/unwind.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;

// Named, never inlined, and not a tail call: these must appear in stacks.
extern "C" __attribute__((noinline)) void dump_test_park_here(Chan<int>* c) {
  (void)c->recv();
  asm volatile("" ::: "memory");
}
__attribute__((noinline)) void dump_test_spin_here(std::atomic<bool>* stop) {
  while (!stop->load(std::memory_order_relaxed)) gmpkit::preempt_point();
  asm volatile("" ::: "memory");
}
__attribute__((noinline)) void dump_test_wait_here(gmpkit::WaitGroup* wg) {
  wg->wait();
  asm volatile("" ::: "memory");
}

namespace {

using gmpkit::test::await_parked;
using gmpkit::test::procs;

std::string dump() {
  std::ostringstream os;
  gmpkit::debug::dump_goroutines(os);
  return os.str();
}

// The block of goroutine id (its header up to the next blank line).
std::string block_of(const std::string& d, std::int64_t id) {
  const std::string head = "goroutine " + std::to_string(id) + " [";
  std::size_t at = d.find(head);
  if (at == std::string::npos) return "";
  std::size_t end = d.find("\n\n", at);
  return d.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

}  // namespace

TEST(Dump, ParkedGoroutineHeaderAndStack) {
  if (!gmpkit::rt::unwinder_available())
    GTEST_SKIP() << "no libunwind: " << gmpkit::rt::unwinder_unavailable_reason();
  gmpkit::run(procs(2), [] {
    Chan<int> c(0);
    Chan<std::int64_t> id(1);
    gmpkit::go([c, id]() mutable {
      id.send(gmpkit::goroutine_id());
      dump_test_park_here(&c);
    });
    const std::int64_t gid = *id.recv();
    await_parked(gid, "chan receive");
    const std::string d = dump();
    // The current goroutine comes first, running, with its own stack.
    EXPECT_EQ(d.rfind("goroutine 1 [running]:\n", 0), 0u) << d;
    const std::string mine = block_of(d, 1);
    EXPECT_TRUE(contains(mine, "TestBody")) << mine;
    EXPECT_FALSE(contains(mine, "dump_goroutines")) << "the dump's own frames are skipped\n"
                                                    << mine;
    const std::string b = block_of(d, gid);
    EXPECT_EQ(b.rfind("goroutine " + std::to_string(gid) + " [chan receive]:\n", 0), 0u) << d;
    EXPECT_TRUE(contains(b, "dump_test_park_here()")) << b;
    EXPECT_TRUE(contains(b, "gmpkit::detail::chanrecv(")) << b;  // Chan<int>::recv is inlined
    EXPECT_TRUE(contains(b, "\ngmpkit_ctx_entry()\n")) << "walked to the bottom of the stack\n"
                                                       << b;
    EXPECT_TRUE(std::regex_search(b, std::regex("\n\tpc=0x[0-9a-f]+ \\+0x[0-9a-f]+ [^ \n]+\n")))
        << b;
    c.send(1);
  });
}

TEST(Dump, WaitReasonsLockedAndMinutes) {
  gmpkit::run(procs(2), [] {
    Chan<int> c(0);
    Chan<std::int64_t> ids(3);
    // Both woken goroutines report their end: main must not return (and
    // destroy wg, on its stack) before the waiter is out of wg.wait(). It
    // did, and the waiter read a dead WaitGroup: "sync: WaitGroup is reused
    // before previous Wait has returned" in 2 of 60 TSan runs, and once a
    // hang at exit under load.
    Chan<int> finished(2);
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([c, ids, finished]() mutable {
      gmpkit::lock_os_thread();
      ids.send(gmpkit::goroutine_id());
      dump_test_park_here(&c);
      gmpkit::unlock_os_thread();
      finished.send(1);
    });
    const std::int64_t locked = *ids.recv();
    gmpkit::go([&wg, ids, finished]() mutable {
      ids.send(gmpkit::goroutine_id());
      dump_test_wait_here(&wg);
      finished.send(2);
    });
    const std::int64_t waiter = *ids.recv();
    gmpkit::go([ids]() mutable {
      ids.send(gmpkit::goroutine_id());
      gmpkit::sleep_for(1h);
    });
    const std::int64_t sleeper = *ids.recv();
    await_parked(locked, "chan receive");
    await_parked(waiter, "sync.WaitGroup.Wait");
    await_parked(sleeper, "sleep");
    // Pretend the waiter has waited 3 minutes (white box: waitsince).
    {
      gmpkit::rt::LockGuard g(gmpkit::core::sched->allglock);
      for (gmpkit::core::G* gp : gmpkit::core::sched->allgs)
        if (gp->goid == waiter)
          gp->waitsince.store(gmpkit::rt::nanotime() - 3 * 60'000'000'000LL - 1,
                              gmpkit::rt::relaxed);
    }
    const std::string d = dump();
    EXPECT_TRUE(
        contains(d, "goroutine " + std::to_string(locked) + " [chan receive, locked to thread]:\n"))
        << d;
    EXPECT_TRUE(
        contains(d, "goroutine " + std::to_string(waiter) + " [sync.WaitGroup.Wait, 3 minutes]:\n"))
        << d;
    EXPECT_TRUE(contains(d, "goroutine " + std::to_string(sleeper) + " [sleep]:\n")) << d;
    if (gmpkit::rt::unwinder_available()) {
      EXPECT_TRUE(contains(block_of(d, waiter), "dump_test_wait_here(")) << d;
      EXPECT_TRUE(contains(block_of(d, waiter), "gmpkit::WaitGroup::wait")) << d;
      EXPECT_TRUE(contains(block_of(d, sleeper), "gmpkit::sleep_for")) << d;
    }
    c.send(1);
    wg.done();
    (void)finished.recv();
    (void)finished.recv();
  });
}

// dump_goroutines stops the world: a goroutine that was running is
// preempted and shows its stack (runnable) instead of "running on other
// thread".
TEST(Dump, RunningGoroutineIsStoppedAndShown) {
  if (!gmpkit::rt::unwinder_available()) GTEST_SKIP() << "no libunwind";
  gmpkit::run(procs(2), [] {
    std::atomic<bool> stop{false}, started{false};
    Chan<std::int64_t> id(1);
    gmpkit::WaitGroup done;  // main waits: the spinner's closure is destroyed before run() returns
    done.add(1);
    gmpkit::go([&, id]() mutable {
      id.send(gmpkit::goroutine_id());
      started.store(true);
      dump_test_spin_here(&stop);
      done.done();
    });
    const std::int64_t gid = *id.recv();
    while (!started.load()) gmpkit::yield();
    const std::string d = dump();
    const std::string b = block_of(d, gid);
    EXPECT_EQ(b.rfind("goroutine " + std::to_string(gid) + " [runnable]:\n", 0), 0u) << d;
    EXPECT_TRUE(contains(b, "dump_test_spin_here(")) << b;
    stop.store(true);
    done.wait();
  });
}

TEST(Dump, OutsideAGoroutineHeadersOnly) {
  std::ostringstream os;
  gmpkit::debug::dump_goroutines(os);  // no runtime: nothing
  EXPECT_EQ(os.str(), "");
}

TEST(Dump, DeadlockErrorHasHeadersAndStacks) {
  std::string msg;
  try {
    gmpkit::run(procs(2), [] {
      Chan<int> c(0);
      gmpkit::go([c]() mutable { dump_test_park_here(&c); });
      dump_test_park_here(&c);
    });
  } catch (const gmpkit::deadlock_error& e) {
    msg = e.what();
  }
  EXPECT_EQ(msg.rfind("all goroutines are asleep - deadlock!\n\ngoroutine ", 0), 0u) << msg;
  const std::string main_block = block_of(msg, 1);
  EXPECT_EQ(main_block.rfind("goroutine 1 [chan receive]:\n", 0), 0u) << msg;
  if (gmpkit::rt::unwinder_available()) {
    EXPECT_TRUE(contains(main_block, "dump_test_park_here()")) << msg;
    EXPECT_TRUE(contains(main_block, "TestBody")) << msg;
  }
}

class DumpDeathTest : public testing::Test {
 protected:
  void SetUp() override { testing::FLAGS_gtest_death_test_style = "threadsafe"; }
};

void quit_with_parked_goroutine() {
  gmpkit::run(procs(2), [] {
    Chan<int> c(0);
    Chan<std::int64_t> id(1);
    gmpkit::go([c, id]() mutable {
      id.send(gmpkit::goroutine_id());
      dump_test_park_here(&c);
    });
    await_parked(*id.recv(), "chan receive");
    ::kill(::getpid(), SIGQUIT);
    for (;;) gmpkit::sleep_for(10ms);  // a pending timer: no deadlock meanwhile
  });
}

TEST_F(DumpDeathTest, SigquitDumpsAndExits2) {
  const char* re = gmpkit::rt::unwinder_available()
                       ? "^SIGQUIT: quit\nPC=0x[0-9a-f]+ m=-?[0-9]+ "
                         "sigcode=[0-9]+\n\n(.|\n)*goroutine 1 \\[(.|\n)*"
                         "goroutine 2 \\[chan receive\\]:\n(.|\n)*dump_test_park_here\\(\\)"
                       : "^SIGQUIT: quit\n(.|\n)*goroutine 2 \\[chan receive\\]:\n";
  EXPECT_EXIT(quit_with_parked_goroutine(), testing::ExitedWithCode(2), re);
}

// Go respects SIG_IGN: an ignored SIGQUIT stays ignored.
TEST_F(DumpDeathTest, SigquitIgnoredStaysIgnored) {
  EXPECT_EXIT(
      {
        ::signal(SIGQUIT, SIG_IGN);
        gmpkit::run(procs(1), [] {
          ::kill(::getpid(), SIGQUIT);
          gmpkit::sleep_for(20ms);
        });
        std::exit(7);
      },
      testing::ExitedWithCode(7), "");
}

// After run() the previous disposition is back.
TEST(Dump, SigquitDispositionRestored) {
  struct sigaction before {
  }, during{}, after{};
  ASSERT_EQ(sigaction(SIGQUIT, nullptr, &before), 0);
  ASSERT_EQ(before.sa_handler, SIG_DFL);
  gmpkit::run(procs(1), [&] { sigaction(SIGQUIT, nullptr, &during); });
  ASSERT_EQ(sigaction(SIGQUIT, nullptr, &after), 0);
  EXPECT_NE(during.sa_handler, SIG_DFL);
  EXPECT_EQ(after.sa_handler, SIG_DFL);
  EXPECT_EQ(after.sa_flags & SA_SIGINFO, 0);
}

// A fatal runtime error prints the goroutine dump after its message.
TEST_F(DumpDeathTest, FatalErrorDumps) {
  const char* re =
      gmpkit::rt::unwinder_available()
          ? "gmpkit: fatal error: dump test\n\ngoroutine 1 \\[running\\]:\n(.|\n)*TestBody(.|\n)*"
            "goroutine 2 \\[chan receive\\]:\n(.|\n)*dump_test_park_here\\(\\)"
          : "gmpkit: fatal error: dump test\n\ngoroutine 1 \\[running\\]:\n";
  EXPECT_DEATH(gmpkit::run(procs(2),
                           [] {
                             Chan<int> c(0);
                             gmpkit::go([c]() mutable { dump_test_park_here(&c); });
                             await_parked(2, "chan receive");
                             gmpkit::core::fatal("dump test");
                           }),
               re);
}
