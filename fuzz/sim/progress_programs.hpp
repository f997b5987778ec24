// fuzz/sim/progress_programs.hpp — programs with bounds in virtual time
// (fuzz/bugs/README.md "Progress oracles"): parallelism, time slices,
// sysmon's retake and forced poll, fairness of select and Mutex, timers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/m.hpp"
#include "core/proc.hpp"
#include "platform/clock.hpp"
#include "sim_programs.hpp"
#include "time/timer.hpp"

namespace gmpkit::simtest {

// --- progress programs: oracles in virtual time ----------------------------
//
// Progress bugs break no data structure: the runtime does less, later, or
// never. These programs charge virtual time for user compute (compute()) so
// that parallelism, time slices and sysmon's retake have a measurable
// effect, and check bounds that Go's design guarantees with a wide margin
// (each bound's reasoning is at the check). ci/bug-hunt's planted
// missing-wakep, preemption, retake and fairness bugs break them.

// User compute: keeps the goroutine's M and P busy for ns of virtual time,
// in 20 us stretches with a cooperative preemption check between them (a
// loop of user code that calls into the runtime now and then).
inline void compute(std::int64_t ns) {
  while (ns > 0) {
    const std::int64_t d = ns < 20'000 ? ns : 20'000;
    sim::block_for(d);
    ns -= d;
    preempt_point();
  }
}

inline std::string ms(std::int64_t ns) { return std::to_string(ns / 1000) + " us"; }

// Four goroutines computing 1 ms each on 4 Ps: newproc's wakep starts an M
// for each new G, so they run side by side (~1 ms). Go allows one G to wait
// behind its spawner's compute (a spinning M's wakep can miss an idle P an
// instant before it is put idle): 2 ms. Serial: 4 ms.
inline void prog_spawn_parallel() {
  std::int64_t took = 0;
  run(config(4), [&] {
    const std::int64_t t0 = sim::now();
    WaitGroup wg;
    for (int i = 0; i < 3; i++) {
      wg.add(1);
      go([&] {
        compute(1'000'000);
        wg.done();
      });
    }
    compute(1'000'000);
    wg.wait();
    took = sim::now() - t0;
  });
  expect(took < 3'200'000, "4 goroutines computing 1 ms each on 4 Ps took " + ms(took) +
                               " of virtual time (serial: 4 ms; a lost wakep in newproc?)");
}

// The same with goroutines readied by channel sends (ready -> wakep).
inline void prog_ready_parallel() {
  std::int64_t took = 0;
  run(config(4), [&] {
    std::vector<Chan<int>> start;
    for (int i = 0; i < 3; i++) start.emplace_back(1);
    WaitGroup wg;
    for (int i = 0; i < 3; i++) {
      wg.add(1);
      go([&, c = start[static_cast<std::size_t>(i)]]() mutable {
        (void)c.recv();
        compute(1'000'000);
        wg.done();
      });
    }
    sleep_for(200us);  // the workers park on their receives
    const std::int64_t t0 = sim::now();
    for (auto& c : start) c.send(1);
    compute(1'000'000);
    wg.wait();
    took = sim::now() - t0;
  });
  expect(took < 3'200'000, "3 readied goroutines and their readier computing 1 ms each on 4 Ps "
                           "took " + ms(took) + " (serial: 4 ms; a lost wakep in ready?)");
}

// Several goroutines in WaitGroup::wait and Cond::wait: every one returns.
inline void prog_many_waiters() {
  int woken = 0;
  run(config(3), [&] {
    Mutex mu;
    Cond cond(mu);
    bool go_on = false;
    WaitGroup gate, all;
    gate.add(1);
    for (int i = 0; i < 3; i++) {
      all.add(2);
      go([&] {
        gate.wait();
        mu.lock();
        woken++;
        mu.unlock();
        all.done();
      });
      go([&] {
        mu.lock();
        while (!go_on) cond.wait();
        woken++;
        mu.unlock();
        all.done();
      });
    }
    sleep_for(100us);
    gate.done();
    mu.lock();
    go_on = true;
    cond.broadcast();
    mu.unlock();
    all.wait();
  });
  expect(woken == 6, "every WaitGroup and Cond waiter returned");
}

// select over two always-ready channels picks each about half the time
// (Go's pollorder shuffle; TestSelectFairness). 400 selects: a share outside
// 30-70 % is 8 standard deviations from a fair coin.
inline void prog_select_fair() {
  int first = 0;
  run(config(2), [&] {
    Chan<int> a(1), b(1);
    for (int i = 0; i < 400; i++) {
      if (a.size() == 0) a.send(1);
      if (b.size() == 0) b.send(2);
      select(recv_case(a, [&] { first++; }), recv_case(b));
    }
  });
  expect(first > 120 && first < 280,
         "select chose the first of two ready cases " + std::to_string(first) + " times in 400");
}

inline Config go_semantics(int procs) {
  Config c = config(procs);
  c.min_slice = std::chrono::nanoseconds(0);  // Go's time slice only (no wake-up preemption)
  return c;
}

// A CPU hog on the only P: a sleeper's timer is due after 1 ms, and sysmon
// preempts the hog after its 10 ms slice (seen within two rounds of at most
// 10 ms each), so the sleeper runs within ~31 ms; never preempted, it waits
// for the whole 80 ms.
inline void prog_timeslice() {
  std::int64_t late = 0;
  run(go_semantics(1), [&] {
    WaitGroup wg;
    wg.add(1);
    go([&] {
      compute(80'000'000);
      wg.done();
    });
    const std::int64_t t0 = sim::now();
    sleep_for(1ms);  // the hog runs meanwhile
    late = sim::now() - t0 - 1'000'000;
    wg.wait();
  });
  expect(late < 35'000'000, "a 1 ms sleep behind a CPU hog on the only P returned " + ms(late) +
                                " late (the hog's time slice is 10 ms: no preemption?)");
}

// Go's TestPingPongHog shape on one P: a ping-pong pair hands the P back
// and forth through runnext, inheriting one time slice, while a third G
// (spawned by the pair, so in the local ring behind it) waits; sysmon
// preempts the pair within ~31 ms. If every handoff started a fresh slice,
// sysmon would never see one run long and the third G would wait for the
// whole 60 ms (runnext always goes first).
inline void prog_pingpong_hog() {
  std::int64_t waited = -1;
  run(go_semantics(1), [&] {
    Chan<int> ping(0), pong(0);
    WaitGroup wg;
    wg.add(3);
    go([&] {
      const std::int64_t t0 = sim::now();
      go([&, t0] {
        waited = sim::now() - t0;
        wg.done();
      });
      while (sim::now() - t0 < 60'000'000) {
        compute(5'000);
        ping.send(1);
        (void)pong.recv();
      }
      ping.send(0);
      wg.done();
    });
    go([&] {
      while (auto v = ping.recv()) {
        if (*v == 0) break;
        compute(5'000);
        pong.send(1);
      }
      wg.done();
    });
    wg.wait();
  });
  expect(waited >= 0 && waited < 35'000'000,
         "a goroutine behind a ping-pong pair on the only P waited " + ms(waited) +
             " (the pair shares one 10 ms slice)");
}

// pingpong_hog with call-free user code between the channel operations
// (sim::block_for, no preempt_point): the simulator has no asynchronous
// preemption, so only the checks at chansend/chanrecv entry can end the
// pair's slice, and only if the request survives the pair's runnext
// handoffs (execute() keeps it for an inherited slice). Before both, the
// third G waited the whole 60 ms (gmpkit-stress run stw under TSan starved
// its clock goroutine so for a minute).
inline void prog_pingpong_bare() {
  std::int64_t waited = -1;
  run(go_semantics(1), [&] {
    Chan<int> ping(0), pong(0);
    WaitGroup wg;
    wg.add(3);
    go([&] {
      const std::int64_t t0 = sim::now();
      go([&, t0] {
        waited = sim::now() - t0;
        wg.done();
      });
      while (sim::now() - t0 < 60'000'000) {
        sim::block_for(5'000);
        ping.send(1);
        (void)pong.recv();
      }
      ping.send(0);
      wg.done();
    });
    go([&] {
      while (auto v = ping.recv()) {
        if (*v == 0) break;
        sim::block_for(5'000);
        pong.send(1);
      }
      wg.done();
    });
    wg.wait();
  });
  expect(waited >= 0 && waited < 35'000'000,
         "a goroutine behind a ping-pong pair of call-free goroutines on the only P waited " +
             ms(waited) + " (the pair shares one 10 ms slice)");
}

// A goroutine queued on the only P while its G blocks in a 100 ms system
// call: sysmon's retake hands the P off within two rounds (~20 ms).
inline void prog_syscall_handoff() {
  std::int64_t waited = -1;
  run(go_semantics(1), [&] {
    const std::int64_t t0 = sim::now();
    WaitGroup wg;
    wg.add(1);
    go([&] {
      waited = sim::now() - t0;
      wg.done();
    });
    gmpkit::syscall([] { sim::block_for(100'000'000); });
    wg.wait();
  });
  expect(waited >= 0 && waited < 35'000'000,
         "a goroutine queued behind a 100 ms system call on the only P waited " + ms(waited) +
             " (sysmon retakes a P in a syscall after one tick)");
}

// Go's TestMutexFairness in virtual time: one goroutine holds the mutex
// almost all the time (100 us of compute per hold) for 60 ms; another
// takes it 10 times. After 1 ms of waiting a waiter switches the mutex to
// starvation mode and gets it handed over, so the 10 take ~10-20 ms.
inline void prog_mutex_fair() {
  std::int64_t took = -1;
  run(go_semantics(2), [&] {
    Mutex mu;
    WaitGroup wg;
    wg.add(2);
    const std::int64_t t0 = sim::now();
    go([&] {
      while (sim::now() - t0 < 60'000'000) {
        mu.lock();
        compute(100'000);
        mu.unlock();
      }
      wg.done();
    });
    go([&] {
      sleep_for(200us);
      const std::int64_t t1 = sim::now();
      for (int i = 0; i < 10; i++) {
        compute(50'000);
        mu.lock();
        mu.unlock();
      }
      took = sim::now() - t1;
      wg.done();
    });
    wg.wait();
  });
  expect(took >= 0 && took < 40'000'000,
         "10 lock/unlock against a holder that relocks at once took " + ms(took) +
             " (starvation mode hands the mutex over after 1 ms)");
}

// Two goroutines take turns under a Mutex and Cond with signal only: a
// signal lost between a waiter's unlock and its park leaves both waiting
// (the runtime reports the deadlock).
inline void prog_cond_turns() {
  int rounds = 0;
  run(config(2), [&] {
    Mutex mu;
    Cond cond(mu);
    int turn = 0;
    WaitGroup wg;
    wg.add(2);
    for (int me = 0; me < 2; me++) {
      go([&, me] {
        for (int i = 0; i < 20; i++) {
          mu.lock();
          while (turn != me) cond.wait();
          turn = 1 - me;
          if (me == 0) rounds++;
          cond.signal();
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  expect(rounds == 20, "twenty turns taken through Cond::signal");
}

// A sender sends one value and closes while the receiver polls with
// select/default: the receiver must see the value before it sees the close
// (Go's non-blocking receive re-checks emptiness after seeing closed).
inline void prog_poll_close() {
  int lost = 0;
  run(config(2), [&] {
    for (int round = 0; round < 20; round++) {
      Chan<int> c(1);
      WaitGroup wg;
      wg.add(1);
      go([&wg, c]() mutable {
        c.send(7);
        c.close();
        wg.done();
      });
      bool got = false, closed = false;
      while (!closed) {
        select(recv_case(c,
                         [&](std::optional<int> v) {
                           if (v)
                             got = true;
                           else
                             closed = true;
                         }),
               default_case());
        // Not a busy loop: PCT would starve the sender behind it forever.
        if (!got && !closed) sleep_for(1us);
      }
      if (!got) lost++;
      wg.wait();
    }
  });
  expect(lost == 0, "a buffered value was lost to a receive that saw the close (" +
                        std::to_string(lost) + " of 20 rounds)");
}

// Timers added and deleted out of order: sleepers with random durations and
// fd waits whose deadline timers are deleted from the middle of the heap
// when their fd becomes ready first. With idle Ps the poller sleeps until
// the earliest timer, so every timer fires at its time, up to the poller's
// 1 ms granularity (epoll_wait takes milliseconds; Go's netpoll rounds the
// same way): a timer over 2 ms late means the heap hid an earlier one.
inline void prog_timer_heap() {
  std::int64_t worst = 0;
  int early = 0;
  run(config(2), [&] {
    Mutex mu;
    WaitGroup wg;
    const auto note = [&](std::int64_t late) {
      mu.lock();
      if (late < 0) early++;
      if (late > worst) worst = late;
      mu.unlock();
    };
    for (int i = 0; i < 6; i++) {
      const std::int64_t d = 200'000 + 500'000 * static_cast<std::int64_t>(sim::random(40));
      wg.add(1);
      go([&, d] {
        const std::int64_t t0 = sim::now();
        sleep_for(std::chrono::nanoseconds(d));
        note(sim::now() - t0 - d);
        wg.done();
      });
      const int fd = 40 + i;
      sim::fd_make_ready(fd, 0);
      const std::int64_t timeout = 300'000 + 500'000 * static_cast<std::int64_t>(sim::random(40));
      wg.add(1);
      go([&, fd, timeout] {
        const std::int64_t t0 = sim::now();
        if (!wait_readable(fd, std::chrono::nanoseconds(timeout)))
          note(sim::now() - t0 - timeout);
        wg.done();
      });
    }
    for (int i = 0; i < 6; i += 2) {
      sleep_for(std::chrono::nanoseconds(100'000 + 50'000 * static_cast<std::int64_t>(sim::random(8))));
      sim::fd_make_ready(40 + i, 1);  // its wait's deadline timer is deleted
    }
    wg.wait();
  });
  expect(early == 0, "a timer fired before its time");
  expect(worst < 2'000'000, "a timer fired " + ms(worst) + " late with idle Ps (timer heap order?)");
}

// Parallelism, repeated: 16 rounds of 7 goroutines plus main computing
// 200 us each on 4 Ps (400 us if perfectly parallel); odd rounds spawn the
// goroutines, even rounds wake parked ones through channels or the netpoller
// (injectglist). Go leaves one window where work can wait behind its P's
// running G while another P idles (a spinning M's wakep sees no idle P an
// instant before a non-spinning M drops its P without rechecking): a rare
// interleaving, so a round over 800 us is allowed now and then. Clean
// rounds: 445-684 us in 7520 (random walk); with resetspinning's wakep
// missing most take ~1050 us (two Ps do the work).
inline void prog_parallel_rounds() {
  int slow = 0;
  std::string times;
  run(config(4), [&] {
    constexpr int kWorkers = 7;
    constexpr std::int64_t kWork = 200'000;
    std::vector<Chan<int>> wake;
    for (int i = 0; i < kWorkers; i++) wake.emplace_back(1);
    for (int round = 0; round < 16; round++) {
      WaitGroup wg;
      wg.add(kWorkers);
      std::int64_t t0 = 0;
      if (round % 2 == 1) {
        t0 = sim::now();
        for (int i = 0; i < kWorkers; i++)
          go([&] {
            compute(kWork);
            wg.done();
          });
      } else {
        WaitGroup parked;
        parked.add(kWorkers);
        for (int i = 0; i < kWorkers; i++) {
          const int fd = 70 + i;
          if (round % 4 == 2) sim::fd_make_ready(fd, 0);
          go([&, c = wake[static_cast<std::size_t>(i)], fd, round]() mutable {
            parked.done();
            if (round % 4 == 2)
              (void)wait_readable(fd, std::chrono::seconds(1));  // woken by the poller
            else
              (void)c.recv();
            compute(kWork);
            wg.done();
          });
        }
        parked.wait();
        sleep_for(100us);  // they park
        t0 = sim::now();
        for (int i = 0; i < kWorkers; i++) {
          if (round % 4 == 2)
            sim::fd_make_ready(70 + i, 1);
          else
            wake[static_cast<std::size_t>(i)].send(1);
        }
      }
      compute(kWork);
      wg.wait();
      const std::int64_t took = sim::now() - t0;
      times += " " + std::to_string(took / 1000);
      if (took > 4 * kWork) slow++;
    }
  });
  expect(slow <= 2, std::to_string(slow) + " of 16 rounds of 8 x 200 us on 4 Ps took over 800 us "
                    "(round times in us:" + times + "): work waits while Ps idle (a lost wakep?)");
}

// A stop-the-world while a goroutine is in a system call: the stopper
// takes the syscall P itself (CAS _Psyscall -> _Pgcstop) under sched.lock,
// so the pause is the stop's own bookkeeping (9-17 us of virtual time in
// 10 000 clean runs); it must not wait for sysmon's retake (650-750 us
// here: sysmon has backed off while main computed without a retake).
inline void prog_stw_syscall() {
  std::int64_t pause = -1;
  run(go_semantics(2), [&] {
    WaitGroup wg;
    wg.add(1);
    go([&] {
      sleep_for(20ms);
      gmpkit::syscall([] { sim::block_for(50'000'000); });
      wg.done();
    });
    compute(20'300'000);  // the goroutine is in its syscall now
    const std::int64_t t0 = sim::now();
    { WorldStopped w("simtest"); }
    pause = sim::now() - t0;
    wg.wait();
  });
  expect(pause >= 0 && pause < 200'000,
         "a stop-the-world with a P in a system call took " + ms(pause) +
             " (the stopper takes a syscall P itself)");
}

// Back-to-back stops while goroutines loop on short system calls on every
// P: each stop must count every P exactly once (a P that enters a syscall
// just after a stop ended must not be stopped outside any stop's count).
inline void prog_stw_loop() {
  int stops = 0;
  run(config(2), [&] {
    WaitGroup wg;
    std::atomic<bool> done{false};
    for (int i = 0; i < 2; i++) {
      wg.add(1);
      go([&] {
        while (!done.load()) gmpkit::syscall([] { sim::block_for(5'000); });
        wg.done();
      });
    }
    for (int i = 0; i < 12; i++) {
      { WorldStopped w("simtest"); }
      stops++;
      compute(20'000);
    }
    done.store(true);
    wg.wait();
  });
  expect(stops == 12, "twelve stops");
}

// Both Ps busy with CPU hogs while a goroutine waits on an fd that becomes
// ready: no M looks at the poller (each finds the other hog on the global
// queue), so sysmon polls it when it has not been polled for 10 ms; the
// waiter then runs at the next preemption: ~30 ms, not at the hogs' end.
inline void prog_forced_netpoll() {
  std::int64_t waited = -1;
  run(go_semantics(2), [&] {
    WaitGroup wg;
    wg.add(3);
    sim::fd_make_ready(80, 0);
    std::int64_t ready_at = 0;
    go([&] {
      (void)wait_readable(80, std::chrono::seconds(10));
      waited = sim::now() - ready_at;
      wg.done();
    });
    sleep_for(100us);  // the waiter parks
    for (int i = 0; i < 2; i++)
      go([&] {
        compute(100'000'000);
        wg.done();
      });
    sleep_for(1ms);  // the hogs hold both Ps
    ready_at = sim::now();
    sim::fd_make_ready(80, 1);
    wg.wait();
  });
  expect(waited >= 0 && waited < 45'000'000,
         "a goroutine whose fd became ready while hogs held every P waited " + ms(waited) +
             " (sysmon polls the network after 10 ms without a poll)");
}

// 600 goroutines spawned without a pause on 2 Ps: the local run queue (256
// slots) overflows into the global one (runqputslow, half the ring and the
// new G); every one of them runs.
inline void prog_runq_overflow() {
  std::atomic<int> ran{0};
  run(config(2), [&] {
    WaitGroup wg;
    for (int i = 0; i < 600; i++) {
      wg.add(1);
      go([&] {
        ran.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
  });
  expect(ran.load() == 600, "600 spawned goroutines ran");
}

// Readers and writers on one RWMutex with yields inside: never a writer
// with anyone else inside; a reader that arrives while a writer waits
// queues behind it (Go's writer preference).
inline void prog_rwmutex() {
  int violations = 0;
  run(config(3), [&] {
    RWMutex rw;
    int readers = 0, writers = 0;
    WaitGroup wg;
    for (int i = 0; i < 3; i++) {
      wg.add(1);
      go([&] {
        for (int k = 0; k < 6; k++) {
          rw.rlock();
          readers++;
          if (writers != 0) violations++;
          yield();
          if (writers != 0) violations++;
          readers--;
          rw.runlock();
        }
        wg.done();
      });
    }
    for (int i = 0; i < 2; i++) {
      wg.add(1);
      go([&] {
        for (int k = 0; k < 4; k++) {
          rw.lock();
          writers++;
          if (writers != 1 || readers != 0) violations++;
          yield();
          if (writers != 1 || readers != 0) violations++;
          writers--;
          rw.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  expect(violations == 0, "RWMutex exclusion violated " + std::to_string(violations) + " times");
}

// Every P idle for 50 ms (sysmon parks), then a CPU hog: the P going busy
// wakes sysmon, which preempts the hog after its slice, so a 1 ms sleeper
// behind it returns within ~31 ms, not when the hog ends (80 ms).
inline void prog_sysmon_resume() {
  std::int64_t late = -1;
  run(go_semantics(1), [&] {
    sleep_for(50ms);
    WaitGroup wg;
    wg.add(1);
    go([&] {
      compute(80'000'000);
      wg.done();
    });
    const std::int64_t t0 = sim::now();
    sleep_for(1ms);
    late = sim::now() - t0 - 1'000'000;
    wg.wait();
  });
  expect(late >= 0 && late < 35'000'000, "a 1 ms sleep behind a hog after an idle period returned " +
                                             ms(late) + " late (sysmon still parked?)");
}

// A timer earlier than the one the blocked poller sleeps for, added by a
// goroutine whose P then runs a CPU hog (so no M drops a P and looks at the
// timers): adding it breaks the poll (wakeNetPoller), and the woken M runs
// it from the busy P's heap on time (within the poller's 1 ms granularity),
// not at the hog's preemption (10 ms) or the poller's timeout (100 ms).
// Other goroutines keep Ms polling without blocking meanwhile (a
// non-blocking poll must not consume the break meant for the blocked one).
inline void prog_timer_wakes_poller() {
  std::int64_t late = -1;
  run(config(3), [&] {
    WaitGroup wg;
    wg.add(3);
    go([&] {
      sleep_for(100ms);  // the poller blocks until then
      wg.done();
    });
    go([&] {
      for (int i = 0; i < 40; i++) sleep_for(std::chrono::microseconds(5 + sim::random(40)));
      wg.done();
    });
    sleep_for(300us);
    go([&] {
      compute(10'000'000);
      wg.done();
    });
    const std::int64_t t0 = sim::now();
    sleep_for(2ms);
    late = sim::now() - t0 - 2'000'000;
    wg.wait();
  });
  expect(late >= 0 && late < 3'000'000,
         "a 2 ms sleep returned " + ms(late) + " late while the poller slept for a later timer");
}

// A timer added while the poller sleeps for a later one, by a goroutine that
// then keeps its P busy (a runtime timer, as a deadline or a time.AfterFunc
// would add: a goroutine's own sleep parks it, and its M then looks at the
// timers itself, which hides the case). addtimer's wakeNetPoller breaks the
// poll; the woken M, finding the timer not yet due, polls again until it is,
// then runs it from the busy P's heap (stealWork's last pass): on time
// within the poll's granularity. Without the break it fires only when the
// busy goroutine is preempted (10 ms) or the poller's old timeout (100 ms).
// (Clean runs: under 100 us late in 15 000 simulations, random and PCT.)
inline void prog_timer_added_while_polling() {
  struct Fired {
    std::int64_t at = -1;
    static void f(void* arg, std::uintptr_t) { static_cast<Fired*>(arg)->at = rt::nanotime(); }
  };
  Fired fired;
  time::Timer t;
  std::int64_t when = 0;
  run(go_semantics(2), [&] {
    WaitGroup wg;
    wg.add(2);
    go([&] {
      sleep_for(100ms);  // the poller's deadline
      wg.done();
    });
    sleep_for(300us);
    go([&] {
      compute(200'000);  // the other M gives up and blocks in netpoll meanwhile
      when = rt::nanotime() + 2'000'000;  // the runtime's clock (sim::now() has another origin)
      t.when = when;
      t.f = Fired::f;
      t.arg = &fired;
      time::addtimer(core::getm()->p, &t);
      compute(20'000'000);
      wg.done();
    });
    wg.wait();
    (void)time::deltimer(&t);  // never fired: do not leave it in a heap
  });
  const std::int64_t late = fired.at < 0 ? -1 : fired.at - when;
  expect(late >= 0 && late < 3'000'000,
         "a runtime timer added while the poller slept for a later one fired " +
             (late < 0 ? std::string("never") : ms(late) + " late") +
             " (its P busy: only the poller or a thief could run it on time)");
}

// Four goroutines waiting on four fds that become ready at once, on 4 Ps
// with main computing on one of them: the poller that wakes takes an idle
// P and injects the batch into it (injectglist), whose wakep starts a
// spinner that steals and wakes the next, so the four 2 ms computations
// share the three free Ps (~4 ms). Without that wakep they run one after
// another on the poller's P (8 ms) while two Ps idle.
inline void prog_netpoll_parallel() {
  std::int64_t t0 = -1, last = -1;
  run(config(4), [&] {
    WaitGroup wg;
    for (int fd = 81; fd <= 84; fd++) {
      sim::fd_make_ready(fd, 0);
      wg.add(1);
      go([&, fd] {
        (void)wait_readable(fd, std::chrono::seconds(10));
        compute(2'000'000);
        const std::int64_t now = sim::now();  // one OS thread: plain writes are safe
        if (now > last) last = now;
        wg.done();
      });
    }
    sleep_for(200us);  // the four park on their fds; an M blocks in netpoll
    t0 = sim::now();
    for (int fd = 81; fd <= 84; fd++) sim::fd_make_ready(fd, 1);
    compute(10'000'000);  // main keeps its P: the batch has the other three
    wg.wait();
  });
  const std::int64_t took = last - t0;
  expect(t0 >= 0 && took < 6'500'000,
         "four goroutines computing 2 ms each after their fds became ready at once, three Ps "
         "free, finished after " + ms(took) + " (one after another: 8 ms; injectglist's wakep?)");
}

// A P handed off from a system call while every other P is busy and nobody
// spins: handoffp starts a spinning M with it (Go: "no local work, check
// that there are no spinning/idle M's, otherwise our help is not
// required"), which steals the work queued on the busy P. Here three 1 ms
// workers are queued on main's P while the other P runs a goroutine that
// then enters a 30 ms system call; main computes 10 ms. Sysmon retakes the
// syscall P within a few of its 20 us ticks and the workers finish ~3 ms
// later; if the retaken P goes idle instead, nobody spins and no wakep
// comes (the workers were queued while no P was idle), so they wait for
// main's slice to end (10 ms).
inline void prog_retake_steals() {
  std::int64_t queued_at = -1, done_at = -1;
  run(go_semantics(2), [&] {
    WaitGroup wg, workers;
    std::atomic<bool> enter{false};
    wg.add(1);
    go([&] {
      while (!enter.load()) compute(5'000);
      gmpkit::syscall([] { sim::block_for(30'000'000); });
      wg.done();
    });
    compute(100'000);  // the other P's M stole it; it waits for `enter`
    queued_at = sim::now();
    for (int i = 0; i < 3; i++) {
      workers.add(1);
      go([&] {
        compute(1'000'000);
        const std::int64_t now = sim::now();  // one OS thread: plain writes are safe
        if (now > done_at) done_at = now;
        workers.done();
      });
    }
    enter.store(true);
    compute(10'000'000);
    workers.wait();
    wg.wait();
  });
  const std::int64_t took = done_at - queued_at;
  expect(done_at >= 0 && took < 7'000'000,
         "three 1 ms goroutines queued behind a 10 ms compute, the other P then retaken from a "
         "system call, finished after " + ms(took) + " (the retaken P must come with a spinning M)");
}

// The only P idle with no timer pending while main sits in a 50 ms system
// call: sysmon parks with nothing to wake it for. When main gets the P back
// (exitsyscall -> pidleget) sysmon must wake, as Go's exitsyscall wakes it,
// or nothing preempts the CPU hog main then starts: a 1 ms sleep behind it
// returns after the hog's 10 ms slice (plus up to two sysmon rounds), not
// when the hog ends (80 ms).
inline void prog_sysmon_after_syscall() {
  std::int64_t late = -1;
  run(go_semantics(1), [&] {
    gmpkit::syscall([] { sim::block_for(50'000'000); });
    WaitGroup wg;
    wg.add(1);
    go([&] {
      compute(80'000'000);
      wg.done();
    });
    const std::int64_t t0 = sim::now();
    sleep_for(1ms);
    late = sim::now() - t0 - 1'000'000;
    wg.wait();
  });
  expect(late >= 0 && late < 35'000'000,
         "a 1 ms sleep behind a hog, after a system call during which sysmon parked, returned " +
             ms(late) + " late (sysmon not woken when the P went busy again?)");
}

// Back-to-back stops while a goroutine makes 40-80 us system calls, long
// enough for sysmon to retake its P now and then: a P retaken (handed off)
// while the world is stopping must be stopped and counted by handoffp, or
// the stop waits for it forever.
inline void prog_stw_retake() {
  int stops = 0;
  run(go_semantics(2), [&] {
    WaitGroup wg;
    std::atomic<bool> done{false};
    wg.add(1);
    go([&] {
      while (!done.load())
        gmpkit::syscall([] { sim::block_for(40'000 + sim::random(40'000)); });
      wg.done();
    });
    for (int i = 0; i < 20; i++) {
      { WorldStopped w("simtest"); }
      stops++;
      compute(30'000 + sim::random(60'000));
    }
    done.store(true);
    wg.wait();
  });
  expect(stops == 20, "twenty stops");
}

// Work queued while the last spinning M gives up: its readier's wakep sees
// that M still spinning and starts nobody, so the M, after dropping its P
// and leaving the spinning state, must look at every run queue once more
// (Go's checkRunqsNoP, the "spinning dance"). Each round here readies w1
// (an M comes, runs it for 20 us, then spins and gives up), then after a
// random gap w2, then computes 2.5 ms: a w2 missed by that last look waits
// for main's compute while a P idles (the stranded-G oracle, 2 ms).
inline void prog_spawn_during_drop() {
  std::atomic<int> ran{0};
  run(config(2), [&] {
    WaitGroup wg;
    for (int round = 0; round < 12; round++) {
      for (int k = 0; k < 2; k++) {
        wg.add(1);
        go([&] {
          compute(20'000);
          ran.fetch_add(1);
          wg.done();
        });
        if (k == 0) compute(10'000 + sim::random(30'000));
      }
      compute(2'500'000);
    }
    wg.wait();
  });
  expect(ran.load() == 24, "24 goroutines ran");
}

}  // namespace gmpkit::simtest
