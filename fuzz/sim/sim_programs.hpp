// fuzz/sim/sim_programs.hpp — fixed goroutine programs the `sim` tests run
// under many seeds (correctness: results, FIFO order, exclusion, deadlock
// reports). Each returns normally when its result is right and calls
// testing::sim::fail (which prints the replay line) when it is not. The
// progress programs are in progress_programs.hpp, the list of all in
// program_list.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/sim.hpp"

namespace gmpkit::simtest {

namespace sim = gmpkit::testing::sim;
using namespace std::chrono_literals;

inline void expect(bool ok, const std::string& what) {
  if (!ok) sim::fail(what.c_str());
}

inline Config config(int procs) {
  Config c;
  c.procs = procs;
  c.stack_size = 64 * 1024;
  return c;
}

// Producers -> buffered channel -> one consumer; WaitGroup closes it.
inline void prog_pipeline() {
  long sum = 0;
  int count = 0;
  run(config(4), [&] {
    Chan<int> c(2);
    WaitGroup wg;
    for (int i = 0; i < 4; i++) {
      wg.add(1);
      go([&, i] {
        for (int k = 0; k < 8; k++) c.send(i * 100 + k);
        wg.done();
      });
    }
    go([&] {
      wg.wait();
      c.close();
    });
    int last[4] = {-1, -1, -1, -1};
    while (auto v = c.recv()) {
      const int p = *v / 100, k = *v % 100;
      expect(k > last[p], "channel FIFO order per producer");
      last[p] = k;
      sum += *v;
      count++;
    }
  });
  expect(count == 32 && sum == 100 * 8 * 6 + 4 * 28, "every value received exactly once");
}

// Mutex-protected counter with yields inside the critical section.
inline void prog_mutex() {
  int counter = 0;
  run(config(3), [&] {
    Mutex mu;
    WaitGroup wg;
    int inside = 0;
    for (int i = 0; i < 5; i++) {
      wg.add(1);
      go([&] {
        for (int k = 0; k < 6; k++) {
          mu.lock();
          expect(++inside == 1, "mutual exclusion");
          if (k % 2) yield();
          counter++;
          inside--;
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  expect(counter == 30, "no lost increments under the Mutex");
}

// Unbuffered ping-pong through select with timers and a default case.
inline void prog_select() {
  int pongs = 0;
  run(config(2), [&] {
    Chan<int> ping(0), pong(0), quit(0);
    // The handles by value: the ponger's last select may run after main
    // closed quit and returned.
    go([ping, pong, quit]() mutable {
      for (;;) {
        bool done = false;
        select(recv_case(ping, [&](std::optional<int> v) { pong.send(*v + 1); }),
               recv_case(quit, [&] { done = true; }));
        if (done) return;
      }
    });
    for (int i = 0; i < 10; i++) {
      ping.send(i);
      auto v = pong.recv();
      expect(v && *v == i + 1, "ping-pong reply");
      pongs++;
      if (i % 3 == 0) sleep_for(50us);
      select(recv_case(pong), default_case());  // never ready: nothing in flight
    }
    quit.close();
  });
  expect(pongs == 10, "ten round trips");
}

// Blocking syscalls (virtual), gomaxprocs changes and a stop-the-world.
inline void prog_syscall_stw() {
  int done = 0;
  run(config(2), [&] {
    WaitGroup wg;
    for (int i = 0; i < 3; i++) {
      wg.add(1);
      go([&, i] {
        gmpkit::syscall([i] { sim::block_for(200'000 * (i + 1)); });
        yield();
        wg.done();
      });
    }
    gomaxprocs(3);
    { WorldStopped w("simtest"); }
    gomaxprocs(1);
    wg.wait();
    const debug::InvariantReport r = debug::verify_invariants(debug::InvariantMode::report);
    expect(r.ok(), "invariants after the syscalls: " + r.str());
    done = 1;
  });
  expect(done == 1, "main ran to the end");
}

// Ten seconds of sleeping take no real time: virtual time jumps.
inline void prog_sleep() {
  run(config(2), [&] {
    WaitGroup wg;
    for (int i = 0; i < 3; i++) {
      wg.add(1);
      go([&, i] {
        sleep_for(std::chrono::seconds(1 + i));
        wg.done();
      });
    }
    sleep_for(10s);
    wg.wait();
  });
  expect(sim::now() >= 10'000'000'000, "virtual time advanced by the sleeps");
}

// A simulated fd that another goroutine makes ready.
inline void prog_netpoll() {
  bool readable = false, timed_out_first = false;
  run(config(2), [&] {
    timed_out_first = !wait_readable(7, std::chrono::microseconds(100));
    go([] {
      sleep_for(1ms);
      sim::fd_make_ready(7, 1);
    });
    readable = wait_readable(7, std::chrono::seconds(5));
  });
  expect(timed_out_first, "wait_readable times out on a never-ready fd");
  expect(readable, "wait_readable wakes when the fd becomes ready");
}

// A wait whose deadline fires just as its fd becomes ready, then a second
// wait on the same fd: the first wait's timer callback, if it already ran
// its sequence check, must not end the second wait early (it did: no
// lock between the check and the unblock, and the second wait returned
// "timed out" at once).
inline void prog_netpoll_rewait() {
  int premature = 0;
  run(config(2), [&] {
    for (int i = 0; i < 8; i++) {
      sim::fd_make_ready(9, 0);  // not readable until the goroutine says so
      go([] {
        sleep_for(20us);
        sim::fd_make_ready(9, 1);
      });
      (void)wait_readable(9, std::chrono::microseconds(20));  // ready ~ deadline
      const std::int64_t t0 = sim::now();
      const bool ready = wait_readable(9, std::chrono::microseconds(500));
      if (!ready && sim::now() - t0 < 500'000) premature++;
    }
  });
  expect(premature == 0, "a wait on an fd ended before its timeout (a stale deadline)");
}

// Deadlocked by construction: the runtime must say so.
inline void prog_deadlock() {
  bool deadlocked = false;
  try {
    run(config(2), [] {
      Chan<int> never(0);
      go([] { yield(); });
      (void)never.recv();
    });
  } catch (const deadlock_error&) {
    deadlocked = true;
  }
  expect(deadlocked, "the runtime reports the deadlock");
}

// Go's TestBlockLocked, then an exit while the locked thread still needs
// new Ms: a goroutine wired to its thread blocks on an unbuffered channel
// ten times (each wakeup goes through its own M: startlockedm/stoplockedm),
// and a second locked goroutine keeps blocking while main returns, so the
// runtime shuts down while the template thread may still be creating an M.
inline void prog_locked() {
  int received = 0;
  run(config(2), [&] {
    Chan<int> c(0);
    go([c]() mutable {
      lock_os_thread();
      for (int i = 0; i < 10; i++) c.send(i);
      unlock_os_thread();
    });
    for (int i = 0; i < 10; i++) {
      auto v = c.recv();
      expect(v && *v == i, "values from the locked goroutine in order");
      received++;
    }
    // Dump.WaitReasonsLockedAndMinutes's shape: a locked goroutine parked
    // on a receive is readied by main's send, and main returns at once.
    Chan<int> wake(0), ids(1);
    go([wake, ids]() mutable {
      lock_os_thread();
      ids.send(1);
      (void)wake.recv();
      unlock_os_thread();
    });
    (void)ids.recv();
    Chan<int> never(0);
    go([never]() mutable {
      lock_os_thread();
      yield();
      (void)never.recv();  // unwound at shutdown
    });
    yield();
    wake.send(1);
  });
  expect(received == 10, "ten values from the locked goroutine");
}

}  // namespace gmpkit::simtest
