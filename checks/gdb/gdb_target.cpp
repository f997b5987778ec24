// The program checks/gdb/gdb_test.sh runs under gdb: it parks goroutine 2 in
// a channel receive and goroutine 3 in WaitGroup::wait, each inside a named
// function, then calls gmpkit_gdb_test_stop() (the breakpoint), then lets
// them finish and exits 0.
#include <cstdio>
#include <cstdlib>

#include "gmpkit/gmpkit.hpp"

extern "C" __attribute__((noinline)) void gmpkit_gdb_test_stop() { asm volatile("" ::: "memory"); }

__attribute__((noinline)) void gdb_target_park_in_recv(gmpkit::Chan<int>* c) {
  (void)c->recv();
  asm volatile("" ::: "memory");  // not a tail call: this frame stays on the stack
}
__attribute__((noinline)) void gdb_target_wait_group(gmpkit::WaitGroup* wg) {
  wg->wait();
  asm volatile("" ::: "memory");
}

int main() {
  gmpkit::Config cfg;
  cfg.procs = 2;
  // gdb_test.sh names goroutines 2 and 3: ids come from the current P's
  // batch (Go's goidcache), so main must not be preempted, and moved to
  // the other P, between the two go() calls. Under TSan under gdb main ran
  // past min_slice, wake-up preemption moved it, goroutine 3 became 17 and
  // the wait below spun forever.
  cfg.time_slice = std::chrono::hours(1);
  cfg.min_slice = std::chrono::nanoseconds(0);
  gmpkit::run(cfg, [] {
    gmpkit::Chan<int> c(0);
    gmpkit::WaitGroup wg, done;
    wg.add(1);
    done.add(2);
    gmpkit::go([c, &done]() mutable {  // goroutine 2
      gdb_target_park_in_recv(&c);
      done.done();
    });
    gmpkit::go([&wg, &done] {  // goroutine 3
      gdb_target_wait_group(&wg);
      done.done();
    });
    for (const auto& g : gmpkit::debug::goroutines())
      if (g.id != 1 && g.id != 2 && g.id != 3) {
        std::fprintf(stderr, "gdb_target: goroutine %lld exists; expected only 1, 2 and 3\n",
                     static_cast<long long>(g.id));
        std::exit(1);
      }
    for (int parked = 0; parked < 2;) {
      parked = 0;
      for (const auto& g : gmpkit::debug::goroutines())
        if ((g.id == 2 && g.wait_reason == "chan receive") ||
            (g.id == 3 && g.wait_reason == "sync.WaitGroup.Wait"))
          parked++;
      gmpkit::yield();
    }
    gmpkit_gdb_test_stop();
    c.send(1);
    wg.done();
    done.wait();
  });
  return 0;
}
