// platform/clock.hpp — monotonic time (Go's nanotime).
#pragma once
#include <cstdint>

namespace gmpkit::rt {
// Monotonic nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC).
std::int64_t nanotime() noexcept;
}  // namespace gmpkit::rt
