// fuzz/fuzz_ops_threads.cpp — the fuzz_ops_sim interpreter on the real,
// multi-threaded runtime (ASan/UBSan in the fuzz preset; TSan in the
// nightly's variant): finds what the simulator cannot model (signals and
// async preemption, real memory ordering). Not deterministic: a crash
// reproduces with some probability; rerun the input a few times.
#include <cstdint>
#include <string>

#include "common/fuzz_support.hpp"
#include "ops/interpreter.hpp"

namespace {
[[noreturn]] void fail(const std::string& what) { gmpkit::fuzz::property_failed(what); }
}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (gmpkit::fuzz::program_name().empty() && *argc > 0) gmpkit::fuzz::program_name() = (*argv)[0];
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gmpkit::fuzz::ops::Program prog = gmpkit::fuzz::ops::decode(data, size);
  gmpkit::fuzz::ops::execute(prog, fail);
  return 0;
}
