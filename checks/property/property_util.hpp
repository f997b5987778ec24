// property_util.hpp — shared by the property suites (checks/property/).
//
// Each suite sets its quick default RapidCheck parameters with
// GMPKIT_PROPERTY_DEFAULTS("max_success=… max_size=…") at namespace scope.
// RapidCheck reads RC_PARAMS once, at its first use; the default is
// installed by a static initializer only when RC_PARAMS is not set, so
// `RC_PARAMS="reproduce=…"` (replay) and `RC_PARAMS="max_success=2000"`
// (the nightly) always win.
#pragma once

#include <rapidcheck.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "gmpkit/debug.hpp"
#include "gmpkit/runtime.hpp"
#if GMPKIT_PROPERTY_SIM
#include "gmpkit/testing/sim.hpp"
#endif

namespace gmpkit_property {

struct DefaultParams {
  explicit DefaultParams(const char* params) { setenv("RC_PARAMS", params, /*overwrite=*/0); }
};

#define GMPKIT_PROPERTY_CONCAT2(a, b) a##b
#define GMPKIT_PROPERTY_CONCAT(a, b) GMPKIT_PROPERTY_CONCAT2(a, b)
#define GMPKIT_PROPERTY_DEFAULTS(params)                                                    \
  static const ::gmpkit_property::DefaultParams GMPKIT_PROPERTY_CONCAT(gmpkit_rc_defaults_, \
                                                                       __LINE__) {          \
    params                                                                                  \
  }

// Fails the property with msg. The message also goes to stderr at once:
// RapidCheck describes a shrunk counterexample by running it again, so a
// failure that does not recur on that run (a nondeterministic one) would
// otherwise only show as "no exceptions thrown".
[[noreturn]] inline void fail(const std::string& msg) {
  std::fprintf(stderr, "property failure: %s\n", msg.c_str());
  RC_FAIL(msg);
  __builtin_unreachable();
}

// Fails the property with the checker's full report unless every
// scheduler invariant holds (must run on a goroutine).
inline void assert_invariants() {
  const auto r = gmpkit::debug::verify_invariants(gmpkit::debug::InvariantMode::report);
  if (!r.ok()) fail(r.str());
}

// "a, b, c" for a show() or a failure message.
template <class Range>
std::string join(const Range& r) {
  std::ostringstream os;
  bool first = true;
  for (const auto& x : r) {
    if (!first) os << ", ";
    os << x;
    first = false;
  }
  return os.str();
}

// Runs the runtime for one property case: gmpkit::run(cfg, body). In the
// simulation variant of a suite (GMPKIT_PROPERTY_SIM: executables
// *_property_sim_test, tests Sim.*, labels property;sim) it runs inside
// sim::run under a strategy, PCT depth and seed that RapidCheck draws with
// the commands, so a counterexample shrinks together with its schedule and
// RC_PARAMS="reproduce=..." replays it exactly. A failure of the simulator
// itself (a lost wakeup, a liveness bound, a livelock) aborts with its
// GMPKIT_SIM_REPLAY line instead.
template <class F>
void run_case(const gmpkit::Config& cfg, F&& body) {
#if GMPKIT_PROPERTY_SIM
  namespace sim = gmpkit::testing::sim;
  sim::Params p;
  p.strategy = *rc::gen::element(sim::Strategy::random, sim::Strategy::pct);
  p.depth = *rc::gen::inRange(1, 4);
  p.seed = *rc::gen::arbitrary<std::uint64_t>();
  p.max_steps = 20'000'000;
  sim::set_replay_command("(a property case: RC_PARAMS=\"reproduce=...\" replays it whole)");
  const sim::Result r = sim::run(p, [&] { gmpkit::run(cfg, body); });
  if (r.steps == 0) fail("the case did not run on the simulator (no scheduling point)");
#else
  gmpkit::run(cfg, body);
#endif
}

}  // namespace gmpkit_property
