// checks/watchdog/watchdog_hang.cpp — a test that hangs on purpose, for
// the watchdog's own test (check_watchdog.py): the main goroutine waits on
// a channel nobody sends to while another goroutine keeps a timer pending,
// so the runtime's deadlock detector (Go's checkdead) rightly stays quiet
// and only the test main's watchdog can end it.
#include <gtest/gtest.h>

#include <chrono>

#include "gmpkit/gmpkit.hpp"

extern "C" __attribute__((noinline)) void watchdog_hang_park_here(gmpkit::Chan<int>* c) {
  (void)c->recv();
  asm volatile("" ::: "memory");  // not a tail call: this frame stays on the stack
}

TEST(Watchdog, HangsForever) {
  gmpkit::Config cfg;
  cfg.procs = 2;
  gmpkit::run(cfg, [] {
    gmpkit::go([] {
      // A pending timer: never a deadlock. One long sleep, so the racy dump
      // always finds it parked (a 10 ms loop was sometimes caught awake).
      for (;;) gmpkit::sleep_for(std::chrono::hours(1));
    });
    gmpkit::Chan<int> never;
    watchdog_hang_park_here(&never);
  });
  ADD_FAILURE() << "the hang ended";
}
