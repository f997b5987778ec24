// scenario_test.cpp — seed scenarios: single moments of a goroutine's life
// pinned down exactly (white box where the moment is internal):
//   BirthMoment                     right after go() the G is runnable in its
//                                   creator's P runnext, and the trace's
//                                   GoCreate carries the creator's schedtick
//   GoFromDestructorDuringUnwinding a destructor that runs while an exception
//                                   unwinds a goroutine starts a goroutine
//   ChannelParkDirectHandoff        a send to a parked receiver hands the
//                                   value over directly (not via the buffer)
//                                   and readies it in the sender's runnext
//   NetpollReadinessInjectsG        an fd becoming ready while every P is
//                                   idle injects the waiting G, which runs
//   BlockingSyscallReleasesItsP     a G blocked in syscall() at procs 1 lets
//                                   the only other G run (it unblocks it)
// Also seeds, in the suite where they already lived: a spawn while the world
// is stopped waits for the restart (stw_test
// StopTheWorld.SpawnDuringStopWaitsForStart); the init-order race caught by
// TSan is tsan_race_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/g.hpp"
#include "core/gstatus.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;
using gmpkit::test::procs;

namespace {

namespace core = gmpkit::core;

// The P the calling goroutine runs on (white box).
core::P* current_p() { return core::getg()->m->p; }

std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/gmpkit_scenario_" +
         std::to_string(::getpid()) + "_" + name + ".json";
}

// A config where nothing preempts the creator between two statements.
gmpkit::Config quiet(int n) {
  gmpkit::Config cfg = procs(n);
  cfg.time_slice = std::chrono::hours(1);
  cfg.min_slice = std::chrono::nanoseconds(0);
  cfg.async_preempt = false;
  return cfg;
}

}  // namespace

// Go's newproc: runqput(pp, newg, true) then wakep. At procs 1 nobody can
// take the new G, so right after go() it is _Grunnable in the creator's
// runnext; the trace's GoCreate for it carries the schedtick of the
// creator's current slice on that P.
TEST(Scenario, BirthMoment) {
  const bool traced = gmpkit::trace::compiled_in();
  const std::string path = tmp_path("birth");
  std::int64_t child = 0;
  std::uint32_t tick_at_birth = 0;
  gmpkit::run(quiet(1), [&] {
    if (traced) gmpkit::trace::start(path);
    Chan<std::int64_t> id(1);
    core::P* pp = current_p();
    const std::uint32_t tick = pp->schedtick.load(gmpkit::rt::relaxed);  // relaxed: our own P
    gmpkit::go([id]() mutable { id.send(gmpkit::goroutine_id()); });
    // The birth moment: nothing has run since go() returned.
    core::G* newg = pp->runq.runnext_peek();
    ASSERT_NE(newg, nullptr) << "the new G is not in runnext";
    EXPECT_EQ(newg->status(), core::GStatus::runnable);
    EXPECT_EQ(pp->schedtick.load(gmpkit::rt::relaxed), tick)
        << "the creator's slice ended inside go()";
    EXPECT_EQ(current_p(), pp);
    child = newg->goid;
    tick_at_birth = tick;
    EXPECT_EQ(*id.recv(), child);  // and it is the goroutine that then runs
    if (traced) gmpkit::trace::stop();
  });
  if (!traced) GTEST_SKIP() << "trace compiled out: runnext part checked only";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  auto doc = nlohmann::json::parse(in);
  int creates = 0;
  for (const auto& e : doc["traceEvents"]) {
    if (!e.contains("args") || e["args"].value("ev", "") != "GoCreate") continue;
    if (e["args"].value("g", std::int64_t{0}) != child) continue;
    creates++;
    EXPECT_EQ(e["args"]["schedtick"].get<std::int64_t>(), static_cast<std::int64_t>(tick_at_birth));
    EXPECT_EQ(e["args"]["parent"].get<std::int64_t>(), 1);
    EXPECT_EQ(e["args"]["to"].get<std::string>(), "runnable");
  }
  EXPECT_EQ(creates, 1);
  std::remove(path.c_str());
}

namespace {
// Starts a goroutine from its destructor.
struct SpawnOnDestroy {
  Chan<int> out;
  int value;
  ~SpawnOnDestroy() {
    gmpkit::go([out = out, v = value]() mutable { out.send(v); });
  }
};
}  // namespace

// An exception thrown in a goroutine unwinds its stack; a destructor that
// runs during the unwinding calls go(). The new goroutine runs (it is an
// ordinary go() from a running G), and the thrower catches its exception.
TEST(Scenario, GoFromDestructorDuringUnwinding) {
  for (int n : {1, 2}) {
    gmpkit::run(procs(n), [] {
      Chan<int> out(0), caught(1);
      gmpkit::go([out, caught]() mutable {
        try {
          SpawnOnDestroy s{out, 42};
          throw std::runtime_error("unwind");
        } catch (const std::runtime_error&) {
          caught.send(1);
        }
      });
      EXPECT_EQ(*out.recv(), 42);
      EXPECT_EQ(*caught.recv(), 1);
    });
  }
  // At shutdown parked goroutines are unwound with forced_unwind; a go()
  // from a destructor then must not let user code run after run() returns:
  // the spawned goroutine never runs, and its callable is destroyed.
  std::atomic<int> ran{0}, destroyed{0};
  struct Flag {
    std::atomic<int>* d;
    Flag(std::atomic<int>* p) : d(p) {}
    Flag(Flag&& o) noexcept : d(std::exchange(o.d, nullptr)) {}
    ~Flag() {
      if (d) d->fetch_add(1);
    }
  };
  struct Spawner {
    std::atomic<int>* ran;
    std::atomic<int>* destroyed;
    ~Spawner() {
      try {
        gmpkit::go([r = ran, f = Flag(destroyed)] { r->fetch_add(1); });
      } catch (const gmpkit::usage_error&) {
        destroyed->fetch_add(1);  // refusing the spawn is as good as never running it
      }
    }
  };
  gmpkit::run(procs(2), [&] {
    Chan<int> never(0);
    gmpkit::go([&, never]() mutable {
      Spawner s{&ran, &destroyed};
      never.recv();  // parked: unwound at shutdown
    });
    gmpkit::test::wait_for_waiters("chan receive", 1);
  });
  EXPECT_EQ(ran.load(), 0) << "user code ran after run() returned";
  EXPECT_EQ(destroyed.load(), 1);
}

// chansend to a channel with a parked receiver (Go's send(): sg :=
// c.recvq.dequeue() → copy straight into the receiver, goready(gp) into the
// sender's runnext). Checked for an unbuffered and an (empty) buffered
// channel: after send() returns the value is not in the buffer, and the
// receiver is runnable in the sender's runnext.
TEST(Scenario, ChannelParkDirectHandoff) {
  for (std::size_t cap : {std::size_t{0}, std::size_t{4}}) {
    SCOPED_TRACE("cap " + std::to_string(cap));
    gmpkit::run(quiet(1), [cap] {
      Chan<int> c(cap), got(1);
      Chan<std::int64_t> id(1);
      gmpkit::go([c, got, id]() mutable {
        id.send(gmpkit::goroutine_id());
        got.send(*c.recv());
      });
      const std::int64_t rid = *id.recv();
      gmpkit::test::await_parked(rid, "chan receive");
      core::P* pp = current_p();
      c.send(7);
      EXPECT_EQ(c.size(), 0u) << "the value went through the buffer";
      core::G* next = pp->runq.runnext_peek();
      ASSERT_NE(next, nullptr);
      EXPECT_EQ(next->goid, rid) << "the receiver is not in the sender's runnext";
      EXPECT_EQ(next->status(), core::GStatus::runnable);
      EXPECT_EQ(*got.recv(), 7);
    });
  }
}

// A G parked in wait_readable while every P is idle (main blocks on a
// channel the reader will send to, so an M sits in the netpoller): an
// external thread writing the fd makes netpoll return the G, it is
// injected and runs, and main gets the byte.
TEST(Scenario, NetpollReadinessInjectsG) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::atomic<bool> parked{false};
  std::thread writer([&] {
    while (!parked.load()) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(5ms);  // let every P go idle
    char c = 'r';
    EXPECT_EQ(::write(fds[1], &c, 1), 1);
  });
  char got = 0;
  gmpkit::run(procs(1), [&] {
    Chan<char> out(0);
    Chan<std::int64_t> id(1);
    gmpkit::go([&, out, id]() mutable {
      id.send(gmpkit::goroutine_id());
      char c = 0;
      while (::read(fds[0], &c, 1) != 1) gmpkit::wait_readable(fds[0]);
      out.send(c);
    });
    gmpkit::test::await_parked(*id.recv(), "IO wait");
    parked.store(true);
    got = *out.recv();
  });
  writer.join();
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(got, 'r');
}

// A blocking read in syscall() (not syscall_block: sysmon must notice) at
// procs 1: the reader signals main (readying it in the P's runnext) and
// enters the syscall; main, the only goroutine that can unblock the read,
// runs only if the P is retaken from the syscall and handed to another M.
// A watchdog thread unblocks the read after 20 s so a failure is reported,
// not hung.
TEST(Scenario, BlockingSyscallReleasesItsP) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);  // blocking fds
  std::atomic<bool> finished{false}, watchdog_fired{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 2000 && !finished.load(); i++) std::this_thread::sleep_for(10ms);
    if (!finished.load()) {
      watchdog_fired.store(true);
      char c = 'w';
      (void)!::write(fds[1], &c, 1);
    }
  });
  char got = 0;
  gmpkit::run(procs(1), [&] {
    Chan<bool> started(1);
    Chan<char> out(1);
    gmpkit::go([&, started, out]() mutable {
      started.send(true);
      char c = 0;
      ssize_t n = gmpkit::syscall([&] { return ::read(fds[0], &c, 1); });
      out.send(n == 1 ? c : '?');
    });
    started.recv();  // runs only once the reader's P was released
    char c = 'm';
    EXPECT_EQ(::write(fds[1], &c, 1), 1);
    got = *out.recv();
  });
  finished.store(true);
  watchdog.join();
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_FALSE(watchdog_fired.load()) << "the P stayed with the blocked syscall";
  EXPECT_EQ(got, 'm');
}
