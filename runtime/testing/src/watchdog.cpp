// runtime/testing/src/watchdog.cpp — see gmpkit/testing/watchdog.hpp.
#include "gmpkit/testing/watchdog.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/sched.hpp"
#include "observe/hooks.hpp"
#include "observe/schedtrace.hpp"
#include "platform/annotations.hpp"
#include "platform/clock.hpp"
#include "platform/signal.hpp"

#if GMPKIT_TSAN
// The dump reads other goroutines' stacks and G fields while they may
// change (that is what a racy dump is): not a race to report. TSan's
// halt_on_error would otherwise end the process before the dump is out.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace gmpkit::testing {

namespace {

// Part 1 (goroutines) or 2 (the P/M/G lines: schedtrace takes sched.lock,
// so a hang that holds it stops us only after the goroutines are out).
std::string report_part(int part) {
#if GMPKIT_TSAN
  __tsan_ignore_thread_begin();
#endif
  std::string out;
  {
    // Pinned, the scheduler cannot be freed while we read it.
    rt::Published<core::Sched>::Pin pin(core::sched_pub);
    if (!pin)
      out = part == 1 ? "(no gmpkit run active)\n" : "";
    else if (part == 1)
      observe::write_goroutine_dump(&out, observe::DumpStacks::racy);
    else
      out = "\nscheduler state:\n" + observe::schedtrace_text(true, rt::nanotime());
  }
#if GMPKIT_TSAN
  __tsan_ignore_thread_end();
#endif
  return out;
}

}  // namespace

std::string hang_report() { return report_part(1) + report_part(2); }

Watchdog::Watchdog(std::chrono::milliseconds budget)
    : budget_(budget), thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> g(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::arm(std::string what) {
  {
    std::lock_guard<std::mutex> g(mu_);
    armed_ = true;
    deadline_ = std::chrono::steady_clock::now() + budget_;
    what_ = std::move(what);
  }
  cv_.notify_all();
}

void Watchdog::disarm() {
  {
    std::lock_guard<std::mutex> g(mu_);
    armed_ = false;
  }
  cv_.notify_all();
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (quit_) return;
    if (!armed_) {
      cv_.wait(lk);
      continue;
    }
    if (cv_.wait_until(lk, deadline_) == std::cv_status::timeout && armed_ && !quit_ &&
        std::chrono::steady_clock::now() >= deadline_) {
      std::string what = what_;
      lk.unlock();
      fire(what);
    }
  }
}

void Watchdog::fire(const std::string& what) {
  char head[512];
  std::snprintf(head, sizeof head,
                "\npanic: test timed out after %.1fs\n"
                "gmpkit test watchdog: %s is still running after its budget "
                "(GMPKIT_TEST_TIMEOUT); every goroutine follows\n\n",
                static_cast<double>(budget_.count()) / 1e3, what.c_str());
  std::string out = head + report_part(1);
  rt::write_stderr(out.data(), out.size());
  out = report_part(2) + "\ngmpkit test watchdog: aborting " + what + "\n";
  rt::write_stderr(out.data(), out.size());
  std::abort();
}

}  // namespace gmpkit::testing
