// runtime/testing/src/trace_testing.cpp — see gmpkit/testing/trace_testing.hpp.
#include "gmpkit/testing/trace_testing.hpp"

#include "observe/trace.hpp"

namespace gmpkit::testing {

void trace_set_limits_for_test(std::uint32_t chunk_events, std::uint32_t max_chunks) {
  auto& l = observe::g_trace_next_limits;
  rt::LockGuard g(l.lock);
  l.chunk_events = chunk_events;
  l.max_chunks = max_chunks;
}

}  // namespace gmpkit::testing
