// fuzz/sim/sim_detectors_test.cpp — proof that the simulator's lost-wakeup
// detector fires (platform/quiescence.hpp, core/quiescence.cpp), and only
// when it should.
//
// The program: goroutine A parks and main waits for it; a thread outside
// the runtime, 100 µs later, makes A runnable.
//  - control:  it calls goready (global queue + wakep, as for any thread
//              without a P): an idle P's M runs A. Must pass, and the
//              detector must have run at quiescent moments.
//  - stranded: it puts A on the global run queue under sched.lock and does
//              not wake anyone — what a missing startm in injectglist does.
//              Every M stays parked with A runnable and the Ps idle: the
//              detector must fail the run with "quiescence: ... lost wakep"
//              and a replay line that reproduces it at the same step.
// The stranded runs are forked children (a simulation failure aborts).
// Then the liveness check (core/quiescence.cpp): program_busy below.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/g.hpp"
#include "core/gstatus.hpp"
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/sim.hpp"
#include "platform/futex.hpp"
#include "platform/mutex.hpp"
#include "platform/thread.hpp"

namespace {

namespace sim = gmpkit::testing::sim;
namespace core = gmpkit::core;

int g_failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "sim_detectors_test: FAILED: %s\n", what.c_str());
    g_failures++;
  }
}

core::G* g_a = nullptr;  // the parked goroutine the injector readies
bool g_strand = false;

// A thread outside the runtime (no M, like a C library callback thread):
// 100 us later it makes A runnable.
void injector(void*) {
  sim::block_for(100'000);
  while (g_a == nullptr || g_a->status() != core::GStatus::waiting) sim::block_for(10'000);
  if (g_strand) {
    // The planted mistake, by hand: queued, nobody woken (injectglist
    // without its startm).
    core::casgstatus(g_a, core::GStatus::waiting, core::GStatus::runnable);
    gmpkit::rt::LockGuard g(core::sched->lock);
    core::sched->runq.put(g_a);
  } else {
    core::goready(g_a);  // from a thread without a P: global queue + wakep
  }
}

void program(bool strand) {
  gmpkit::Config c;
  c.procs = 2;
  c.stack_size = 64 * 1024;
  g_a = nullptr;
  g_strand = strand;
  gmpkit::run(c, [] {
    gmpkit::rt::Thread t;
    if (!gmpkit::rt::thread_create(&t, injector, nullptr, 64 * 1024)) std::abort();
    // A pending timer: the runtime cannot see the injector thread, and with
    // no timer its deadlock check would end the run first.
    gmpkit::go([] { gmpkit::sleep_for(std::chrono::milliseconds(2)); });
    gmpkit::WaitGroup wg;
    wg.add(1);
    gmpkit::go([&] {
      g_a = core::getg();
      core::gopark(nullptr, nullptr, core::WaitReason::select_no_cases);
      wg.done();
    });
    wg.wait();
    gmpkit::rt::thread_join(t);
  });
}

// Liveness: as `program`, but B queues A on its own (running) P and then
// stays busy for 5 ms of virtual time without blocking (each osyield is a
// scheduling point of 100 ns). stranded: no wakep — the other P idles, no M
// spins, A waits for B. control: goready, whose wakep lets an idle P's M
// steal A at once.
void program_busy(bool strand) {
  gmpkit::Config c;
  c.procs = 2;
  c.stack_size = 64 * 1024;
  gmpkit::run(c, [strand] {
    core::G* a = nullptr;
    gmpkit::WaitGroup wg;
    wg.add(2);
    gmpkit::go([&] {
      a = core::getg();
      core::gopark(nullptr, nullptr, core::WaitReason::select_no_cases);
      wg.done();
    });
    gmpkit::go([&] {
      gmpkit::sleep_for(std::chrono::microseconds(100));
      while (a == nullptr || a->status() != core::GStatus::waiting) gmpkit::yield();
      while (core::sched->nmspinning.load(gmpkit::rt::seq_cst) != 0 ||
             core::sched->npidle.load(gmpkit::rt::seq_cst) != 1)
        gmpkit::rt::osyield();
      if (strand) {
        // The planted mistake, by hand: queued on this P, nobody woken.
        core::casgstatus(a, core::GStatus::waiting, core::GStatus::runnable);
        core::runqput(core::getm()->p, a, false);
      } else {
        core::goready(a);
      }
      for (int i = 0; i < 25'000; i++) gmpkit::rt::osyield();
      wg.done();
    });
    wg.wait();
  });
}

// Runs one of the faulty programs in a child with params p; returns its stderr.
std::string run_child(const sim::Params& p, int* status, bool busy = false) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    sim::set_replay_command(busy ? "sim_detectors_test (busy)" : "sim_detectors_test (stranded)");
    if (busy)
      (void)sim::run(p, [] { program_busy(true); });
    else
      (void)sim::run(p, [] { program(true); });
    std::fprintf(stderr, "sim_detectors_test: stranded run ended without a failure\n");
    std::_Exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  waitpid(pid, status, 0);
  return out;
}

}  // namespace

int main() {
  // Control: the detector runs and stays quiet, under both strategies.
  std::uint64_t checks = 0;
  for (std::uint64_t seed = 1; seed <= 200; seed++) {
    sim::Params p;
    p.seed = seed;
    p.strategy = seed % 2 ? sim::Strategy::random : sim::Strategy::pct;
    sim::set_replay_command("sim_detectors_test (control)");
    checks += sim::run(p, [] { program(false); }).quiescent_checks;
  }
  check(checks > 0, "the detector never ran in 200 control simulations");
  std::printf("sim_detectors_test: 200 control simulations passed, %llu quiescent checks\n",
              static_cast<unsigned long long>(checks));

  // Stranded: every seed must trip the detector, and the replay reproduce it.
  for (std::uint64_t seed : {1ULL, 2ULL, 0x9e37ULL}) {
    sim::Params p;
    p.seed = seed;
    p.strategy = seed == 2 ? sim::Strategy::pct : sim::Strategy::random;
    int status = 0;
    const std::string out = run_child(p, &status);
    const bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    const auto f = out.find("gmpkit-sim: FAILURE: quiescence:");
    const auto r = out.find("GMPKIT_SIM_REPLAY=");
    check(aborted && f != std::string::npos && r != std::string::npos &&
              out.find("global run queue") != std::string::npos,
          "stranded run (seed " + std::to_string(seed) +
              ") was not reported as a lost wakep; its output:\n" + out);
    if (r == std::string::npos) continue;
    const std::string line = out.substr(r + 18, out.find_first_of(" \n", r) - (r + 18));
    sim::Params q;
    std::uint64_t step = 0;
    check(sim::parse_params(line, &q, &step) && step > 0, "unparsable replay line: " + line);
    int status2 = 0;
    const std::string out2 = run_child(q, &status2);
    const auto r2 = out2.find("GMPKIT_SIM_REPLAY=");
    check(r2 != std::string::npos &&
              out2.substr(r2, out2.find_first_of(" \n", r2) - r2) == "GMPKIT_SIM_REPLAY=" + line,
          "the replay of " + line + " did not fail at the same step:\n" + out2);
    std::printf("sim_detectors_test: stranded seed %llu: caught, replay %s reproduces it\n",
                static_cast<unsigned long long>(seed), line.c_str());
  }

  // Liveness: the control (main parks) passes and the check runs; main
  // keeping its P busy while A waits and a P idles is reported.
  std::uint64_t lchecks = 0;
  for (std::uint64_t seed = 1; seed <= 50; seed++) {
    sim::Params p;
    p.seed = seed;
    p.strategy = seed % 2 ? sim::Strategy::random : sim::Strategy::pct;
    sim::set_replay_command("sim_detectors_test (busy control)");
    lchecks += sim::run(p, [] { program_busy(false); }).liveness_checks;
  }
  check(lchecks > 0, "the liveness check never ran in 50 control simulations");
  for (std::uint64_t seed : {1ULL, 2ULL}) {
    sim::Params p;
    p.seed = seed;
    p.strategy = seed == 2 ? sim::Strategy::pct : sim::Strategy::random;
    int status = 0;
    const std::string out = run_child(p, &status, true);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
              out.find("gmpkit-sim: FAILURE: liveness: ") != std::string::npos &&
              out.find("missing wakep") != std::string::npos &&
              out.find("GMPKIT_SIM_REPLAY=") != std::string::npos,
          "busy run (seed " + std::to_string(seed) + ") was not reported by the liveness check:\n" +
              out);
  }
  std::printf("sim_detectors_test: liveness: 50 controls passed (%llu checks), 2 busy runs caught\n",
              static_cast<unsigned long long>(lchecks));
  return g_failures == 0 ? 0 : 1;
}
