// fuzz/ops/interpreter.hpp — runs a Program on the runtime and checks what
// it must do. Compiled once per backend: the simulation (fuzz_ops_sim,
// GMPKIT_FUZZ_SIM=1) and the real threaded runtime (fuzz_ops_threads).
#pragma once

#include <string>

#include "program.hpp"

namespace gmpkit::fuzz::ops {

struct Outcome {
  bool deadlocked = false;  // run() threw gmpkit::deadlock_error
  bool threw = false;  // run() rethrew the program's own exception
  long values = 0;  // channel values delivered
};

// Runs p under gmpkit::run and checks every property (mutual exclusion,
// exactly-once FIFO delivery, WaitGroup waits end, invariants at
// checkpoints, every goroutine ends, deadlock iff by construction). A
// violation calls `fail` (which must not return).
Outcome execute(const Program& p, void (*fail)(const std::string&));

}  // namespace gmpkit::fuzz::ops
