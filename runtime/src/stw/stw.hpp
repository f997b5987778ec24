// stw/stw.hpp — stop-the-world and start-the-world (Go's stopTheWorld,
// stopTheWorldWithSema, startTheWorldWithSema, gcstopm; proc.go), the
// internal side of gmpkit/stw.hpp and gomaxprocs(int). Namespace
// gmpkit::stw; procresize (stw/procresize.hpp) is the other half.
//
// Owns: sched.gcwaiting/stopwait/stopnote/worldsema/stw_owner/newprocs.
// Invariant while stopped: every live P is in gcstop, only the stopping
// G's P is attached to an M, and no other G runs. Design in stw/stw.cpp.
// Lock rules: stw_stop_p_locked needs sched.lock; gcstopm takes it.
#pragma once

#include <cstdint>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/sched.hpp"
#include "platform/annotations.hpp"

namespace gmpkit::stw {

// ---- Tuning ----
// The stopping G sleeps this long between preemptall rounds (Go's
// stopTheWorldWithSema: notetsleep(&sched.stopnote, 100*1000), 100 µs).
inline constexpr std::int64_t kRepreemptNs = 100 * 1000;

// Go's gcstopm: the world is stopping; give up our P (to gcstop) and park
// until startTheWorld hands us one. Returns false if the runtime is exiting.
bool gcstopm(core::M* mp);
// pp (held by no M) goes straight to gcstop: handoffp and entersyscall when
// they find the world stopping.
void stw_stop_p_locked(core::P* pp) GMPKIT_REQUIRES(core::sched->lock);
// True if mp runs the G that holds the stopped world: the only M that keeps
// a P in gcstop (every other M gives its P up before it is stopped).
inline bool holds_stopped_world(const core::M* mp) noexcept {
  return mp->p != nullptr && mp->p->pstatus() == core::PStatus::gcstop;
}

}  // namespace gmpkit::stw
