// stw/procresize.hpp — changing the number of Ps (Go's procresize, p.init,
// p.destroy). Design in stw/procresize.cpp.
// Invariant: nothing is lost when Ps go away (runq, timers and free Gs move)
// and Ps are never freed before run() ends (a destroyed P is dead, not
// deleted). Lock rules: world stopped (or run() before any other thread),
// sched.lock held.
#pragma once

#include <cstdint>

#include "core/p.hpp"
#include "core/sched.hpp"
#include "platform/annotations.hpp"

namespace gmpkit::stw {

// Returns the Ps that have local work (linked through P::link, each with
// P::m set to an idle M or nullptr) for startTheWorld to start; the
// caller's M keeps or gets a P.
core::P* procresize(std::int32_t nprocs) GMPKIT_REQUIRES(core::sched->lock);

}  // namespace gmpkit::stw
