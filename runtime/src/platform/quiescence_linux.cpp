// platform/quiescence_linux.cpp — Linux cannot tell when every thread is
// blocked: the check is never run (platform/quiescence.hpp).
#include "platform/quiescence.hpp"

namespace gmpkit::rt {
void set_quiescence_check(QuiescenceCheck) noexcept {}
void set_liveness_check(LivenessCheck, unsigned) noexcept {}
}  // namespace gmpkit::rt
