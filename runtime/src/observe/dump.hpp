// observe/dump.hpp — goroutine dumps: Go's traceback blocks
//
//   goroutine 7 [chan receive, 3 minutes]:
//   recv_here(gmpkit::Chan<int>&)
//           pc=0x55d0c4a1b2c3 +0x2f /path/to/program
//   ...
//
// for every live G (Go's goroutineheader + traceback): the current G first,
// marked [running], with its own stack; then every other G in creation
// order. A parked G's stack is walked from its saved registers (G::sched)
// with platform/unwind.hpp (libunwind, at most kMaxFrames frames, never
// leaving the G's stack). A G running on another M or in a syscall has no
// usable saved registers: its block says so, as Go's does.
//
// Who may read what (DumpStacks):
//   parked — no G other than the caller can run while we read: the world
//            is stopped (debug::dump_goroutines on a goroutine) or nothing
//            can ever run again (checkdead's deadlock report).
//   racy   — fatal errors and SIGQUIT: the process is about to die, other
//            Ms may still run and a parked G may be resumed mid-walk. Go
//            freezes the world first; we do not (no G to do it from), so a
//            walk can read a changing stack: best effort.
//   none   — headers only (outside a goroutine, or while the runtime exits).
// The G list is copied under allglock (racy mode: try-lock, give up after
// ~100 ms); Gs are never freed during a run, so the copy stays valid.
// The entry points the core calls (write_goroutine_dump, dump_on_fatal,
// sigquit_install/restore) are declared in observe/hooks.hpp.
#pragma once

#include "observe/hooks.hpp"

namespace gmpkit::observe {

// Most frames walked per goroutine (Go's traceback prints up to 100; 64
// keeps a dump of thousands of goroutines readable).
inline constexpr int kMaxFrames = 64;

}  // namespace gmpkit::observe
