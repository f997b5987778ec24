// fuzz/sim/sim_hunt.cpp — runs simulations until one fails or the time is
// up: the simulator techniques of ci/bug-hunt (fuzz/bugs/README.md).
//
//   sim_hunt --strategy random|pct [--depth D] --seconds S [--programs a,b,ops]
//   GMPKIT_SIM_REPLAY=<params> sim_hunt --program NAME     (one run, replayed)
//
// The programs are the fixed ones of sim_programs.hpp plus "ops": goroutine
// programs of the fuzz_ops interpreter decoded from bytes drawn from the
// seed (named ops:<seed>, so a replay needs nothing but the name). Seeds go
// 1, 2, 3, ... round-robin over the programs. PCT draws its change points
// over each program's longest run so far (Shuttle's learned horizon).
//
// A failure (a wrong result, a runtime abort, the simulator's lost-wakeup,
// deadlock or livelock detectors, an exception escaping a program) prints
// "gmpkit-sim: FAILURE: ..." and the replay line and aborts. Without one it
// prints a JSON line {"caught": false, "simulations": N, "seconds": S}.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <cxxabi.h>

#include <CLI/CLI.hpp>

#include "common/fuzz_support.hpp"
#include "netpoll/netpoll.hpp"
#include "observe/hooks.hpp"
#include "observe/schedtrace.hpp"
#include "ops/interpreter.hpp"
#include "platform/unwind.hpp"
#include "program_list.hpp"

namespace {

namespace sim = gmpkit::testing::sim;

[[noreturn]] void ops_fail(const std::string& what) {
  std::fprintf(stderr, "sim_hunt: property violated: %s\n", what.c_str());
  sim::fail("a program property was violated (above)");
}

// The simulator's last scheduling points, symbolized: who looped on what.
void print_recent_steps() {
  std::fprintf(stderr, "last scheduling points (step thread kind where):\n");
  for (const sim::StepRecord& r : sim::recent_steps()) {
    gmpkit::rt::UnwindFrame f;
    std::string where = "?";
    if (r.pc != 0 && gmpkit::rt::symbolize(r.pc, &f)) {
      int status = 0;
      char* d = abi::__cxa_demangle(f.name, nullptr, nullptr, &status);
      where = d != nullptr ? d : f.name;
      std::free(d);
      if (where.size() > 110) where = where.substr(0, 107) + "...";
      where += " +0x" + [&] {
        char b[24];
        std::snprintf(b, sizeof b, "%lx", static_cast<unsigned long>(f.off));
        return std::string(b);
      }();
    }
    std::fprintf(stderr, "  %llu T%d %s %s\n", static_cast<unsigned long long>(r.step), r.thread,
                 r.kind, where.c_str());
  }
}

// At a failure: the scheduler's state (Go's schedtrace, detailed), every
// goroutine, read racily (scheduling is frozen), and the last scheduling
// points.
void dump_hook(const char*) {
  print_recent_steps();
  std::fprintf(stderr, "%snetpollWaiters=%u\n",
               gmpkit::observe::schedtrace_text_frozen(true, sim::now()).c_str(),
               gmpkit::netpoll::netpollWaiters.raw()->load());
  std::string out;
  gmpkit::observe::write_goroutine_dump(&out, gmpkit::observe::DumpStacks::racy);
  if (!out.empty()) std::fprintf(stderr, "goroutines at the failure:\n%s", out.c_str());
}

// The bytes of program ops:<seed>: a fixed-size input from the seed.
std::vector<std::uint8_t> ops_bytes(std::uint64_t seed) {
  std::vector<std::uint8_t> b(96);
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  for (auto& v : b) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 29;
    v = static_cast<std::uint8_t>(x >> 24);
  }
  return b;
}

// Runs program `name` once under p; returns the result (a failure aborts).
sim::Result run_one(const std::string& name, const sim::Params& p) {
  sim::set_replay_command("sim_hunt --program " + name);
  std::function<void()> body;
  if (name.rfind("ops:", 0) == 0) {
    const auto bytes = ops_bytes(std::stoull(name.substr(4)));
    auto prog = gmpkit::fuzz::ops::decode(bytes.data(), bytes.size());
    if (std::getenv("GMPKIT_FUZZ_VERBOSE")) std::fprintf(stderr, "%s", prog.describe().c_str());
    body = [prog] { gmpkit::fuzz::ops::execute(prog, ops_fail); };
  } else {
    for (const auto& pr : gmpkit::simtest::programs())
      if (name == pr.name) body = pr.fn;
    if (!body) {
      std::fprintf(stderr, "sim_hunt: no program named '%s'\n", name.c_str());
      std::exit(2);
    }
  }
  return sim::run(p, [&] {
    try {
      body();
    } catch (const std::exception& e) {
      const std::string what = std::string("an exception escaped the program: ") + e.what();
      sim::fail(what.c_str());
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs simulations until one fails or the time is up (ci/bug-hunt)"};
  std::string strategy = "random", programs_opt, replay_program;
  int depth = 3;
  double seconds = 10;
  std::uint64_t max_steps = 1'000'000;
  app.add_option("--strategy", strategy, "random or pct")->check(CLI::IsMember({"random", "pct"}));
  app.add_option("--depth", depth, "PCT depth d (d-1 priority change points)")->check(CLI::Range(1, 10));
  app.add_option("--seconds", seconds, "wall-clock budget")->check(CLI::PositiveNumber);
  app.add_option("--programs", programs_opt, "comma-separated program names (default: all, and ops)");
  app.add_option("--max-steps", max_steps, "scheduling points before a run is a livelock");
  unsigned faults = 0;
  app.add_option("--faults", faults,
                 "BUGGIFY: 1 in N futex sleeps wakes spuriously and 1 in N polls is interrupted "
                 "(0: off)");
  app.add_option("--program", replay_program, "replay one run of this program (GMPKIT_SIM_REPLAY)");
  int hashes = 0;
  app.add_option("--hashes", hashes,
                 "print the schedule hash of every program (and ops:1..N) under seeds 1..4 of both "
                 "strategies, one line each (fuzz/sim/two_processes.sh compares two processes)");
  bool reverse = false;
  app.add_flag("--reverse", reverse,
               "--hashes in the reverse order (each run must not depend on the runs before it "
               "in the same process: heap layout, leftover runtime state)");
  CLI11_PARSE(app, argc, argv);
  sim::set_failure_hook(dump_hook);

  if (!replay_program.empty()) {
    const char* env = std::getenv("GMPKIT_SIM_REPLAY");
    sim::Params p;
    std::uint64_t step = 0;
    if (env == nullptr || !sim::parse_params(env, &p, &step)) {
      std::fprintf(stderr, "sim_hunt --program: set GMPKIT_SIM_REPLAY to a replay line's parameters\n");
      return 2;
    }
    (void)run_one(replay_program, p);
    std::printf("sim_hunt: replay of %s passed (the recorded run failed at step %llu)\n",
                replay_program.c_str(), static_cast<unsigned long long>(step));
    return 1;
  }

  if (hashes > 0) {
    std::vector<std::string> all;
    for (const auto& pr : gmpkit::simtest::programs()) all.push_back(pr.name);
    for (int i = 1; i <= hashes; i++) all.push_back("ops:" + std::to_string(i));
    struct Job {
      std::string name;
      std::uint64_t seed;
      sim::Strategy strat;
    };
    std::vector<Job> jobs;
    for (const auto& name : all)
      for (std::uint64_t seed = 1; seed <= 4; seed++)
        for (auto strat : {sim::Strategy::random, sim::Strategy::pct}) jobs.push_back({name, seed, strat});
    if (reverse) std::reverse(jobs.begin(), jobs.end());
    for (const Job& j : jobs) {
          const std::string& name = j.name;
          sim::Params p;
          p.seed = j.seed;
          p.strategy = j.strat;
          p.max_steps = max_steps;
          const auto r = run_one(name, p);
          std::printf("%s %s hash=%016llx steps=%llu virtual_ns=%lld\n", name.c_str(),
                      sim::format_params(p).c_str(), static_cast<unsigned long long>(r.hash),
                      static_cast<unsigned long long>(r.steps), static_cast<long long>(r.virtual_ns));
    }
    return 0;
  }

  std::vector<std::string> names;
  if (programs_opt.empty()) {
    for (const auto& pr : gmpkit::simtest::programs()) names.push_back(pr.name);
    names.push_back("ops");
  } else {
    std::stringstream ss(programs_opt);
    for (std::string n; std::getline(ss, n, ',');) names.push_back(n);
  }
  std::map<std::string, std::uint64_t> longest;  // PCT horizon per program
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  long sims = 0;
  unsigned long long faults_injected = 0;
  for (std::uint64_t seed = 1; elapsed() < seconds; seed++) {
    for (const auto& n : names) {
      const std::string name = n == "ops" ? "ops:" + std::to_string(seed) : n;
      sim::Params p;
      p.seed = seed;
      p.strategy = strategy == "pct" ? sim::Strategy::pct : sim::Strategy::random;
      p.depth = depth;
      p.max_steps = max_steps;
      p.faults = faults;
      if (p.strategy == sim::Strategy::pct) p.pct_horizon = longest[n];
      const auto r = run_one(name, p);
      if (r.steps > longest[n]) longest[n] = r.steps;
      faults_injected += r.faults_injected;
      sims++;
    }
  }
  std::printf("{\"caught\": false, \"simulations\": %ld, \"seconds\": %.2f, \"faults_injected\": %llu}\n",
              sims, elapsed(), faults_injected);
  return 0;
}
