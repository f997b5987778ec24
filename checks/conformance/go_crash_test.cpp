// Ports of the deadlock and scheduler cases of Go 1.19's
// runtime/crash_test.go. Go runs a test program (testdata/testprog) and
// matches its output; here the program is a gmpkit::run() and the output
// is the exception run() throws (deadlock_error, thread_exhaustion_error,
// or the user's exception) or what the program observes. One gtest per Go
// test, named Go.<GoTestName>.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "gmpkit/gmpkit.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using gmpkit::Chan;
using gmpkit::test::procs;

namespace {

// Runs f as a program's main and returns what run() threw as E's message.
template <class E, class F>
std::string run_error(gmpkit::Config cfg, F&& f) {
  return gmpkit::test::error_of<E>([&] { gmpkit::run(cfg, std::forward<F>(f)); });
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

constexpr const char* kDeadlock = "all goroutines are asleep - deadlock!";

}  // namespace

// Go (testprog SimpleDeadlock: select {}): the output starts with "fatal
// error: all goroutines are asleep - deadlock!". Here at procs 1 and 2,
// with goroutine 1 listed in its wait.
TEST(Go, TestSimpleDeadlock) {
  for (int n : {1, 2}) {
    std::string msg = run_error<gmpkit::deadlock_error>(procs(n), [] { gmpkit::select(); });
    EXPECT_TRUE(starts_with(msg, kDeadlock)) << msg;
    EXPECT_TRUE(contains(msg, "goroutine 1 [select (no cases)]:")) << msg;
  }
}

// Go (testprog LockedDeadlock: LockOSThread; select {}): the same deadlock
// report when the blocked main goroutine is locked to its thread.
TEST(Go, TestLockedDeadlock) {
  std::string msg = run_error<gmpkit::deadlock_error>(procs(2), [] {
    gmpkit::lock_os_thread();
    gmpkit::select();
  });
  EXPECT_TRUE(starts_with(msg, kDeadlock)) << msg;
  EXPECT_TRUE(contains(msg, "goroutine 1 [select (no cases), locked to thread]:")) << msg;
}

// Go (testprog LockedDeadlock2): a goroutine locks its thread and blocks
// forever, main sleeps 1 ms and blocks forever: a deadlock.
TEST(Go, TestLockedDeadlock2) {
  std::string msg = run_error<gmpkit::deadlock_error>(procs(2), [] {
    gmpkit::go([] {
      gmpkit::lock_os_thread();
      gmpkit::select();
    });
    gmpkit::sleep_for(1ms);
    gmpkit::select();
  });
  EXPECT_TRUE(starts_with(msg, kDeadlock)) << msg;
  EXPECT_TRUE(contains(msg, "goroutine 1 [select (no cases)]:")) << msg;
  EXPECT_TRUE(std::regex_search(
      msg, std::regex("goroutine [0-9]+ \\[select \\(no cases\\), locked to thread\\]:")))
      << msg;
}

// Go (testprog ThreadExhaustion): with SetMaxThreads(10), 100 goroutines
// that lock their threads and block exceed the limit: "runtime: program
// exceeds 10-thread limit" / "fatal error: thread exhaustion". Here
// Config::max_threads = 10 and run() throws thread_exhaustion_error.
TEST(Go, TestThreadExhaustion) {
  gmpkit::Config cfg = procs(2);
  cfg.max_threads = 10;
  std::string msg = run_error<gmpkit::thread_exhaustion_error>(cfg, [] {
    Chan<int> c(0);
    for (int i = 0; i < 100; i++) {
      gmpkit::go([c]() mutable {
        gmpkit::lock_os_thread();
        c.send(0);
        gmpkit::select();
      });
      c.recv();
    }
  });
  EXPECT_EQ(msg, "runtime: program exceeds 10-thread limit: thread exhaustion");
}

// Go (testprog GoNil: `go f()` with a nil func, recovered in a deferred
// call): "go of nil func value". Here go() with an empty std::function
// throws usage_error at the go() call, in the caller (Go panics in the
// caller too), and the runtime keeps working.
TEST(Go, TestGoNil) {
  std::string msg;
  gmpkit::run(procs(2), [&] {
    std::function<void()> f;
    msg = gmpkit::test::error_of<gmpkit::usage_error>([&] { gmpkit::go(f); });
    Chan<int> c(0);
    gmpkit::go([c]() mutable { c.send(1); });
    EXPECT_EQ(*c.recv(), 1);
  });
  EXPECT_TRUE(contains(msg, "go of nil func value")) << msg;
}

// Go (testprog MainGoroutineID: panic("test")): the traceback starts with
// "panic: test\n\ngoroutine 1 [running]:": the main goroutine's id is 1 and
// its panic reaches the top. Here: goroutine_id() is 1 in main, and the
// exception main throws is the one run() rethrows.
TEST(Go, TestMainGoroutineID) {
  std::int64_t id = 0;
  std::string msg = run_error<std::runtime_error>(procs(2), [&] {
    id = gmpkit::goroutine_id();
    throw std::runtime_error("test");
  });
  EXPECT_EQ(id, 1);
  EXPECT_EQ(msg, "test");
}

// Go (testprog NoHelperGoroutines: a finalizer and a pending time.AfterFunc,
// then panic): the traceback shows only goroutine 1; the runtime's helper
// goroutines are hidden. Here: with a timer pending, a goroutine dump and
// debug::goroutines() from main show only goroutine 1 (and sysmon and any
// runtime-owned goroutine are not listed).
TEST(Go, TestNoHelperGoroutines) {
  gmpkit::Config cfg = procs(2);
  gmpkit::run(cfg, [] {
    gmpkit::sleep_for(1ms);  // timers have been used
    std::ostringstream os;
    gmpkit::debug::dump_goroutines(os);
    const std::string d = os.str();
    std::regex head("(^|\n)goroutine [0-9]+ \\[");
    auto n = std::distance(std::sregex_iterator(d.begin(), d.end(), head), std::sregex_iterator());
    EXPECT_EQ(n, 1) << d;
    EXPECT_TRUE(starts_with(d, "goroutine 1 [")) << d;
    auto gs = gmpkit::debug::goroutines();
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0].id, 1);
    EXPECT_EQ(gmpkit::num_goroutine(), 1);
  });
}

// Go (testprognet NetpollDeadlock: an init function dials localhost:14356,
// then main prints "done"): a program that used the netpoller and has
// nothing else waiting is not reported as deadlocked and exits normally.
// Here: main connects a non-blocking socket to 127.0.0.1:14356 and waits
// for the result in the netpoller, then returns.
TEST(Go, TestNetpollDeadlock) {
  bool done = false;
  EXPECT_NO_THROW(gmpkit::run(procs(2), [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(14356);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == EINPROGRESS)
      gmpkit::wait_writable(fd, 5s);  // refused or connected: writable either way
    ::close(fd);
    done = true;
  }));
  EXPECT_TRUE(done);
}

namespace {
// An exception whose unwinding (a destructor on main's stack) calls `f`.
template <class F>
struct OnUnwind {
  F f;
  ~OnUnwind() {
    if (std::uncaught_exceptions() > 0) f();
  }
};
template <class F>
OnUnwind(F) -> OnUnwind<F>;

// Go's testPanicDeadlock: main panics while other goroutines are blocked
// forever; the panic's message must be what is reported, not a deadlock,
// even though producing it yields or enters a syscall.
template <class F>
std::string panic_with_blocked_goroutines(F&& during_unwind) {
  return run_error<std::runtime_error>(procs(1), [&] {
    Chan<int> never(0);
    for (int i = 0; i < 2; i++) gmpkit::go([never]() mutable { never.recv(); });
    gmpkit::yield();
    OnUnwind guard{during_unwind};
    throw std::runtime_error("panic: 3");
  });
}
}  // namespace

// Go (testprog GoschedInPanic: the panic value's Error() calls Gosched
// while other goroutines are blocked): the output is "panic:
// errorThatGosched", not a deadlock. Here: main's exception unwinds
// through a destructor that yields; run() rethrows that exception.
TEST(Go, TestPanicDeadlockGosched) {
  std::string msg = panic_with_blocked_goroutines([] { gmpkit::yield(); });
  EXPECT_EQ(msg, "panic: 3");
}

// Go (testprog SyscallInPanic: Error() makes a syscall): the panic is
// reported ("1\n2\npanic: 3"), not a deadlock. Here the destructor runs a
// gmpkit::syscall (write of 0 bytes).
TEST(Go, TestPanicDeadlockSyscall) {
  std::string msg = panic_with_blocked_goroutines(
      [] { (void)gmpkit::syscall([] { return ::write(2, "", 0); }); });
  EXPECT_EQ(msg, "panic: 3");
}
