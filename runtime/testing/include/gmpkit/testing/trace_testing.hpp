// gmpkit/testing/trace_testing.hpp — TEST-ONLY (gmpkit::testing library):
// shrink the execution tracer's buffers so tests can exercise the
// lost-events path (checks/unit/trace_test.cpp) without recording 2 M events.
// Part of the gmpkit::testing library (runtime/testing/), which tests link;
// the installed libgmpkit ships none of it.
//
//   gmpkit::testing::trace_set_limits_for_test(64, 4);  // 64 events a chunk, 4 chunks
//   gmpkit::trace::start(path); ... gmpkit::trace::stop();  // lost events > 0
//   gmpkit::testing::trace_set_limits_for_test(0, 0);   // the defaults again
//
// The limits apply to the next trace::start (a running trace keeps its own).
#pragma once

#include <cstdint>

namespace gmpkit::testing {

// Events per chunk and the most chunks a trace may hold; 0 restores a default.
void trace_set_limits_for_test(std::uint32_t chunk_events, std::uint32_t max_chunks);

}  // namespace gmpkit::testing
