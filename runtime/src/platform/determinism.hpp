// platform/determinism.hpp — what the runtime may key its decisions on.
//
// Under the simulator a run must be a function of (program, Params) alone:
// the replay line promises it. Heap addresses are not such a function: ASLR
// moves them between processes, and the runs before this one move them
// within a process (sim_hunt's replays of a failure found in a long hunt
// diverged: select's lock order and the semaphore table followed the heap).
// Code that orders or hashes runtime objects by address asks here:
//   kReplayable      true under the simulator: order by next_object_id()
//                    (from 1 at each sim::run), hash to one bucket;
//   next_object_id() a number per object, increasing within a run (0 on
//                    Linux, where nothing calls it).
#pragma once

#include <cstdint>

namespace gmpkit::rt {

#if GMPKIT_PLATFORM_SIM
inline constexpr bool kReplayable = true;
std::uint64_t next_object_id() noexcept;  // platform/sim/simulator.cpp
#else
inline constexpr bool kReplayable = false;
inline std::uint64_t next_object_id() noexcept { return 0; }
#endif

}  // namespace gmpkit::rt
