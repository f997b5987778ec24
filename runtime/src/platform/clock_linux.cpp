#include <ctime>

#include "platform/clock.hpp"

namespace gmpkit::rt {
std::int64_t nanotime() noexcept {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
}  // namespace gmpkit::rt
