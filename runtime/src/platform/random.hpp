// platform/random.hpp — the random source (steal order, later select order).
// Go's fastrand: wyrand on a per-M 64-bit state. The seed comes from the
// platform so the simulator can make runs reproducible.
#pragma once
#include <cstdint>

namespace gmpkit::rt {

std::uint64_t random_seed() noexcept;

struct FastRand {
  std::uint64_t state = 0;
  std::uint32_t next() noexcept {
    state += 0xa0761d6478bd642fULL;
    __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbULL);
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(m >> 64) ^
                                      static_cast<std::uint64_t>(m));
  }
  // Uniform in [0, n) (Lemire's multiply-shift, as Go's fastrandn).
  std::uint32_t next_n(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(next()) * n) >> 32);
  }
};

}  // namespace gmpkit::rt
