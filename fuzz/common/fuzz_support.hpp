// fuzz/common/fuzz_support.hpp — what every harness shares: the name of the
// input being run (for reproducer lines) and the program's name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gmpkit::fuzz {

// Set by the replay driver (driver_main.cpp) to the file it runs; empty
// under libFuzzer, where an input is named after its SHA-1 like libFuzzer's
// crash files (crash-<sha1>).
std::string& current_input_name();
// argv[0] as the harness was started with (LLVMFuzzerInitialize or the driver).
std::string& program_name();
// The command that runs this input again: "<program> <input file>".
std::string replay_command(const std::uint8_t* data, std::size_t size);
// Lower-case hex SHA-1 of data (libFuzzer's artifact naming).
std::string sha1_hex(const std::uint8_t* data, std::size_t size);

// A property the harness checks failed: prints "fuzz: FAILURE: <what>" and
// aborts (libFuzzer reports it as a crash; the driver's ctest fails).
[[noreturn]] void property_failed(const std::string& what);

}  // namespace gmpkit::fuzz
