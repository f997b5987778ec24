#include <sys/random.h>

#include "platform/clock.hpp"
#include "platform/random.hpp"

namespace gmpkit::rt {
std::uint64_t random_seed() noexcept {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
    v = static_cast<std::uint64_t>(nanotime());
  return v | 1;
}
}  // namespace gmpkit::rt
