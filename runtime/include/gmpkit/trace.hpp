// gmpkit/trace.hpp — the execution tracer (Go's runtime/trace, Go 1.22's
// event set), exported as Chrome/Perfetto JSON (docs/OBSERVABILITY.md "Execution trace").
//
//   gmpkit::trace::start("run.json");   // from a goroutine or any thread
//   ...
//   gmpkit::trace::stop();              // flushes and writes run.json
//
// or GMPKIT_TRACE=run.json in the environment: the whole of every run() is
// traced (the file is written when run() returns). Open the file in
// ui.perfetto.dev or chrome://tracing: one track per P (goroutine slices,
// creations, unblocks, steals) and per M (syscalls, P hand-overs), a
// "runtime" track (stop-the-world pauses, goroutine states at trace start,
// lost events), flow arrows from an unblock (or a go statement) to the next
// start of that goroutine.
#pragma once

#include <cstdint>
#include <string>

namespace gmpkit::trace {

// Starts tracing into `path` (created or truncated now: an unwritable path
// throws gmpkit::error here, not at stop). Throws gmpkit::usage_error if a
// trace is already running, gmpkit::error if this build has no trace code
// (CMake option GMPKIT_TRACE=OFF). Any thread, with or without a run active
// (also while run() ends): with none, the trace records the next run's
// events from its start.
void start(const std::string& path);

// Stops tracing, converts the buffered events and writes the file. Throws
// gmpkit::usage_error if no trace is running, gmpkit::error on I/O errors.
void stop();

// Whether a trace is running now.
bool running() noexcept;

// Whether this build has the trace code (CMake option GMPKIT_TRACE).
bool compiled_in() noexcept;

// What the last stop() wrote.
struct Summary {
  std::string path;
  std::int64_t events = 0;  // events written to the file
  std::int64_t lost_events = 0;  // dropped because the memory budget was used up
  std::int64_t bytes_buffered = 0;  // peak memory held by event buffers
};
Summary last_summary();

}  // namespace gmpkit::trace
