// <gmpkit/testing/sim.hpp> — the deterministic simulation platform's API.
//
// Only the simulation build of the runtime (library gmpkit_runtime_sim, or
// any build configured with -DGMPKIT_PLATFORM=sim) defines these functions.
// sim::run() turns the calling OS thread into simulated thread 0 and runs
// fn there; every M the runtime starts (sysmon included) becomes another
// simulated thread (a fiber on the same OS thread). At each platform
// operation (rt::Atomic access, futex, clock read, thread start/exit, ...)
// a seeded strategy picks the thread that runs next; time is virtual.
// A run is fully determined by (fn, Params). See fuzz/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace gmpkit::testing::sim {

enum class Strategy : std::uint8_t {
  random,  // uniform random walk: every scheduling point picks uniformly
  pct,  // PCT (Burckhardt et al. 2010): random priorities, depth-1 change points
};

struct Params {
  Strategy strategy = Strategy::random;
  int depth = 3;  // PCT depth d (d-1 priority change points)
  std::uint64_t seed = 1;
  std::uint64_t max_steps = 2'000'000;  // more scheduling points: a livelock failure
  // PCT: the d-1 priority change points are drawn uniformly among steps
  // [1, pct_horizon]. Set it to the expected run length (e.g. the longest
  // run of the same program so far, as Shuttle learns it); points beyond the
  // end of a run are lost, and the effective depth drops. 0: 20 000.
  std::uint64_t pct_horizon = 0;
  int cpus = 4;  // what the platform reports as the CPU count
  // BUGGIFY-style faults (FoundationDB): 0 off; N: 1 in N futex sleeps
  // returns at once (a spurious wakeup, which futex(2) allows) and 1 in N
  // polls returns nothing (an EINTR). Drawn from the seed: replayable.
  unsigned faults = 0;
};

struct Result {
  std::uint64_t steps = 0;  // scheduling points taken
  std::uint64_t hash = 0;  // of every scheduling decision and event, in order
  std::int64_t virtual_ns = 0;  // virtual time elapsed
  int threads = 0;  // simulated threads created (thread 0 included)
  // Quiescent moments (every simulated thread blocked) at which the
  // runtime's lost-wakeup check ran: a runnable G in a run queue while a P
  // idles and no M spins fails the run ("quiescence: ... a lost wakep").
  std::uint64_t quiescent_checks = 0;
  // Liveness checks (every 256 scheduling points): a G runnable on a P's
  // queue for over 2 ms of virtual time while a P idles and no M spins, or
  // at the head of the global run queue while the Ps ran 4 x 61 x
  // GOMAXPROCS new time slices, fails the run ("liveness: ...").
  std::uint64_t liveness_checks = 0;
  std::uint64_t faults_injected = 0;  // spurious wakeups and empty polls (Params::faults)
};

// "v1:<strategy>:d<depth>:seed=0x<hex>" (+ ":cpus=", ":budget=", ":h=", ":faults=" when
// not the defaults, + ":steps=<n>" when steps != 0).
std::string format_params(const Params& p, std::uint64_t steps = 0);
// Parses format_params' output (what GMPKIT_SIM_REPLAY holds). Returns false
// on a malformed string; *steps gets the recorded step (0 if none).
bool parse_params(const std::string& s, Params* p, std::uint64_t* steps);

// Runs fn(arg) as simulated thread 0. Not reentrant. If a failure happens
// (see fail()) the process aborts after printing the replay line.
Result run(const Params& p, void (*fn)(void*), void* arg);
template <class F>
Result run(const Params& p, F&& f) {
  using Fn = std::remove_reference_t<F>;
  Fn* fp = &f;
  return run(
      p, [](void* a) { (*static_cast<Fn*>(a))(); },
      const_cast<void*>(static_cast<const void*>(fp)));
}

bool active() noexcept;  // inside run()

// The last scheduling points of the run, oldest first (up to 48): the step,
// the simulated thread that took it, the kind of point ("load", "rmw",
// "yield", ...) and the return address in the code that reached it (0 if
// none; symbolize it in a failure hook, as sim_hunt does). A livelock's
// report shows the loop.
struct StepRecord {
  std::uint64_t step;
  int thread;
  const char* kind;
  std::uintptr_t pc;
};
std::vector<StepRecord> recent_steps();
std::uint64_t steps() noexcept;  // scheduling points so far in this run
std::int64_t now() noexcept;  // virtual nanoseconds since run() began

// Blocks the calling simulated thread for ns of virtual time (a simulated
// blocking system call: use inside gmpkit::syscall).
void block_for(std::int64_t ns) noexcept;
// A random number from the run's seed (deterministic), in [0, n).
std::uint32_t random(std::uint32_t n) noexcept;

// The simulated fd table: any fd number may be registered with the poller
// (gmpkit::wait_readable/wait_writable); it becomes ready only when a test
// says so. events: 1 = readable, 4 = writable (epoll's bits).
void fd_make_ready(int fd, std::uint32_t events) noexcept;

// What the replay line runs after the variable, e.g. "./fuzz_ops_sim crash-abc".
void set_replay_command(const std::string& cmd);
// Called once on a failure, before the replay line and abort (e.g. a
// goroutine dump). Scheduling is frozen while it runs.
void set_failure_hook(void (*hook)(const char* reason));
// Reports a failure: "gmpkit-sim: FAILURE: <reason>", the hook, then
// "GMPKIT_SIM_REPLAY=v1:...:steps=<n> <command>", then abort().
[[noreturn]] void fail(const char* reason);
// The replay line for the current run (empty outside run()).
std::string replay_line();

}  // namespace gmpkit::testing::sim
