// observe/trace.hpp — the execution tracer's internal side beyond the
// scheduler hooks (those are in observe/hooks.hpp). Design and invariants of
// the buffers: observe/trace.cpp; the event record: observe/trace_buf.hpp.
#pragma once

#include <cstdint>

#include "observe/hooks.hpp"
#include "platform/annotations.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::observe {

// ---- Tuning ----
// Events per thread-buffer chunk and the most chunks one trace may hold:
// 256 x 8192 events x 48 B = 96 MiB at most (our choice, bounded memory;
// Go's buffers are 64 KiB each and unbounded).
inline constexpr std::uint32_t kDefaultChunkEvents = 8192;
inline constexpr std::uint32_t kDefaultMaxChunks = 256;

// The buffer sizes the next trace::start uses (0: the defaults above).
// Only the gmpkit::testing library changes them (to exercise the
// lost-events path); trace::start reads them under `lock`.
struct TraceBufferLimits {
  rt::Mutex lock;
  std::uint32_t chunk_events GMPKIT_GUARDED_BY(lock) = 0;
  std::uint32_t max_chunks GMPKIT_GUARDED_BY(lock) = 0;
};
extern TraceBufferLimits g_trace_next_limits;

}  // namespace gmpkit::observe
