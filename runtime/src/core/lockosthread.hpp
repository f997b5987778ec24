// core/lockosthread.hpp — locked G/M pairs (Go's LockOSThread machinery:
// stoplockedm, startlockedm, mexit; design and invariants in
// core/lockosthread.cpp). Lock rules: wake_locked_ms_for_shutdown needs
// sched.lock; the others take it themselves.
#pragma once

#include "core/g.hpp"
#include "core/m.hpp"
#include "core/sched.hpp"
#include "platform/annotations.hpp"

namespace gmpkit::core {

// The locked M's G stopped running: hand off the P and park until its G is
// runnable again and handed to us (with a P). False: the runtime is exiting.
bool stoplockedm(M* mp);
// gp (found runnable by mp) is locked to another M: hand it our P, then
// stopm. Returns stopm's result.
bool startlockedm(M* mp, G* gp);
// A G exited while locked: mp gives up its P and its thread ends (m0 parks
// until shutdown instead).
void mexit(M* mp);
// begin_shutdown, sched.lock held: wake Ms parked in stoplockedm/mexit.
void wake_locked_ms_for_shutdown() GMPKIT_REQUIRES(sched->lock);

}  // namespace gmpkit::core
