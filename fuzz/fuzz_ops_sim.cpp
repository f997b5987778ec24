// fuzz/fuzz_ops_sim.cpp — the main campaign target: a goroutine program
// decoded from the input runs on the deterministic simulator
// (gmpkit_runtime_sim) with the simulation seed and strategy also taken
// from the input, and the interpreter checks what the program must do
// (fuzz/ops/). Any failure prints a one-line reproducer:
//   GMPKIT_SIM_REPLAY=v1:pct:d3:seed=0x1234:steps=5521 ./fuzz_ops_sim crash-<sha1>
// With GMPKIT_SIM_REPLAY set, its parameters override the input's and the
// run must fail at the recorded step (bit-for-bit replay).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/fuzz_support.hpp"
#include "gmpkit/testing/sim.hpp"
#include "observe/hooks.hpp"
#include "ops/interpreter.hpp"

namespace sim = gmpkit::testing::sim;

namespace {

std::uint64_t g_expected_step = 0;  // GMPKIT_SIM_REPLAY's steps=

void dump_hook(const char*) {
  std::string out;
  gmpkit::observe::write_goroutine_dump(&out, gmpkit::observe::DumpStacks::racy);
  if (!out.empty()) std::fprintf(stderr, "goroutines at the failure:\n%s", out.c_str());
  if (g_expected_step != 0)
    std::fprintf(stderr,
                 "gmpkit-sim: replay: recorded failure step %llu, this run failed at %llu: %s\n",
                 static_cast<unsigned long long>(g_expected_step),
                 static_cast<unsigned long long>(sim::steps()),
                 sim::steps() == g_expected_step ? "reproduced exactly" : "DIVERGED");
}

[[noreturn]] void fail(const std::string& what) {
  if (sim::active()) {
    std::fprintf(stderr, "fuzz_ops_sim: property violated: %s\n", what.c_str());
    sim::fail("a program property was violated (above)");
  }
  gmpkit::fuzz::property_failed(what);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (gmpkit::fuzz::program_name().empty() && *argc > 0) gmpkit::fuzz::program_name() = (*argv)[0];
  sim::set_failure_hook(dump_hook);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gmpkit::fuzz::ops::Program prog = gmpkit::fuzz::ops::decode(data, size);
  sim::Params params;
  params.strategy = prog.pct ? sim::Strategy::pct : sim::Strategy::random;
  params.depth = prog.depth;
  params.seed = prog.seed;
  params.max_steps = 400'000;
  if (const char* replay = std::getenv("GMPKIT_SIM_REPLAY")) {
    if (!sim::parse_params(replay, &params, &g_expected_step)) {
      std::fprintf(stderr, "fuzz_ops_sim: malformed GMPKIT_SIM_REPLAY=%s\n", replay);
      std::abort();
    }
  }
  sim::set_replay_command(gmpkit::fuzz::replay_command(data, size));
  if (std::getenv("GMPKIT_FUZZ_VERBOSE"))
    std::fprintf(stderr, "%s\n%s", sim::format_params(params).c_str(), prog.describe().c_str());
  sim::run(params, [&] { gmpkit::fuzz::ops::execute(prog, fail); });
  if (g_expected_step != 0)
    std::fprintf(stderr,
                 "gmpkit-sim: replay: the recorded run failed at step %llu, this one passed\n",
                 static_cast<unsigned long long>(g_expected_step));
  return 0;
}
