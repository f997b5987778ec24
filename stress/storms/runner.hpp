// stress/storms/runner.hpp — running one storm in a fresh runtime with the
// periodic invariant checks, the progress line, the watchdog and the final
// accounting (used by gmpkit-stress, stress/cli/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gmpkit/config.hpp>

#include "storm.hpp"

namespace gmpkit::stress {

struct RunSettings {
  Config config;  // procs, placement, topology, ...
  std::chrono::milliseconds check_every{50};  // verify_invariants() period (an STW each)
  bool progress = true;  // the line every second on stderr
  // Called from a goroutine about every millisecond while the storm runs
  // (gmpkit-stress: the placement's binding check).
  std::function<void()> sample;
};

struct StormResult {
  std::string name;
  double seconds = 0;  // wall time of the storm (start to every worker joined)
  std::int64_t ops = 0;
  double ops_per_s = 0;
  std::int64_t events = 0;  // scheduling events: time slices started (sum of schedticks)
  std::int64_t lost = 0;  // Gs not exited + values not received + locks/syscalls not released
  std::int64_t duplicated = 0;  // values received more than once
  std::int64_t invariant_checks = 0;
  std::int64_t invariant_failures = 0;
  std::int64_t violations = 0;  // the storm's own checks (notes say which)
  // The details of the ledger and of gmpkit::metrics() over the storm.
  std::int64_t spawned = 0, exited = 0, sent = 0, received = 0, acquired = 0, released = 0;
  std::int64_t stws = 0, preemptions = 0, async_preemptions = 0, handoffs = 0, steals = 0,
               syscalls = 0, peak_goroutines = 0;
  std::vector<std::string> notes;  // first failures
  bool ok() const {
    return lost == 0 && duplicated == 0 && invariant_failures == 0 && violations == 0;
  }
};

// Runs `storm` for opt.seconds. On a failure (lost, duplicated, invariant
// or storm check) it prints the notes, the seed and a goroutine dump to
// stderr before the runtime ends. A storm that does not finish within
// seconds + max(10 s, seconds) (times 3 under ASan, 6 under TSan) is a
// hang: dump, seed, exit status 1.
StormResult run_storm(const StormInfo& storm, const StormOptions& opt, const RunSettings& rs);

}  // namespace gmpkit::stress
