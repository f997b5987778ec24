// fuzz/sim/sim_detectors_test.cpp — proof that the simulator's lost-wakeup
// detector fires (platform/quiescence.hpp, core/quiescence.cpp), and only
// when it should.
//
// The program: goroutine A parks; goroutine B, 100 µs later, makes A
// runnable and then blocks in a 10 ms system call, keeping its P.
//  - control:  B readies A with goready (runqput + wakep, proc.go's ready):
//              an idle P's M steals A and runs it. Must pass, and the
//              detector must have run at quiescent moments.
//  - stranded: B puts A on the global run queue under sched.lock and does
//              not wakep — what a missing wakep in injectglist does. Every M
//              then parks with A runnable and a P idle: the detector must
//              fail the run with "quiescence: ... lost wakep" and a replay
//              line, and that line must reproduce the failure at the same step.
// The stranded runs are forked children (a simulation failure aborts).
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
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/sim.hpp"
#include "platform/futex.hpp"
#include "platform/mutex.hpp"

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

void program(bool strand) {
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
      // Until the other P idles and no M spins (a spinning M would find A
      // on its own: that is no lost wakeup). osyield: a spin the strategy
      // demotes (PCT would otherwise run this loop forever).
      while (core::sched->nmspinning.load(gmpkit::rt::seq_cst) != 0 ||
             core::sched->npidle.load(gmpkit::rt::seq_cst) != 1)
        gmpkit::rt::osyield();
      if (strand) {
        // The planted mistake, by hand: runnable and queued, nobody woken.
        core::casgstatus(a, core::GStatus::waiting, core::GStatus::runnable);
        gmpkit::rt::LockGuard g(core::sched->lock);
        core::sched->runq.put(a);
      } else {
        core::goready(a);
      }
      (void)gmpkit::syscall([] {
        sim::block_for(10'000'000);
        return 0;
      });
      wg.done();
    });
    wg.wait();
  });
}

// Runs the stranded program in a child with params p; returns its stderr.
std::string run_child(const sim::Params& p, int* status) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    sim::set_replay_command("sim_detectors_test (stranded)");
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
  return g_failures == 0 ? 0 : 1;
}
