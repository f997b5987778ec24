// platform/sim/simulator.hpp — the simulator's state, shared by the sim
// implementations of the platform seam (futex_sim.cpp, thread_sim.cpp, ...).
//
// One Simulator exists while testing::sim::run() is active. Simulated
// threads are Fibers on the calling OS thread, switched with the runtime's
// own context switch (core/context.hpp). Only the running fiber executes;
// every platform operation calls sched_point(), where the strategy picks
// the next fiber. A fiber blocks (futex, sleep, join, poll) by leaving the
// runnable set; when no fiber is runnable, virtual time jumps to the
// earliest deadline. Nothing runnable and no deadline is a lost wakeup.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "gmpkit/testing/sim.hpp"
#include "platform/random.hpp"
#include "platform/sim/sched_point.hpp"

namespace gmpkit::rt::sim {

using testing::sim::Params;

struct Fiber {
  enum class State : std::uint8_t { runnable, blocked, exited };
  std::uint32_t id = 0;
  State state = State::runnable;
  core::Context ctx{};
  void* stack = nullptr;  // owned mapping (nullptr for thread 0)
  std::size_t stack_size = 0;
  void (*fn)(void*) = nullptr;
  void* arg = nullptr;
  // While blocked: what on (a futex word, a Fiber for join, a poll
  // instance, nullptr for a plain sleep), until when (-1: no deadline), and
  // the order it blocked in (futex wake order).
  const void* wait_on = nullptr;
  std::int64_t deadline = -1;
  std::uint64_t block_seq = 0;
  bool timed_out = false;
  std::uint64_t priority = 0;  // PCT
  std::uint32_t passed_over = 0;  // PCT: decisions it was runnable and not picked, in a row
  std::vector<unsigned char> tls;  // saved registered thread-locals
  // Sanitizer fiber state: the stack this fiber is on when suspended.
  void* asan_fake_stack = nullptr;
  const void* asan_bottom = nullptr;
  std::size_t asan_size = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual void on_new_fiber(Fiber* f) = 0;
  // Picks from `runnable` (non-empty, ordered by id). `cur` is the fiber at
  // the scheduling point if it can go on (nullptr if it just blocked or
  // exited); `stepped` is the fiber that took this step in any case.
  virtual Fiber* pick(const std::vector<Fiber*>& runnable, Fiber* cur, Fiber* stepped, Point p,
                      std::uint64_t step) = 0;
};
std::unique_ptr<Strategy> make_strategy(const Params& p);

class Simulator {
 public:
  explicit Simulator(const Params& p);
  ~Simulator();

  Params params;
  std::unique_ptr<Strategy> strategy;
  FastRand rng;  // platform randomness (seeds, wake order): from the seed
  std::vector<std::unique_ptr<Fiber>> fibers;
  Fiber* cur = nullptr;
  std::uint64_t step = 0;
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  std::int64_t now = 0;  // virtual time
  std::int64_t start = 0;
  std::uint64_t block_seq = 0;
  bool frozen = false;  // failing: no more switches, blocking returns at once
  std::uint64_t quiescent_checks = 0;  // times the core's lost-wakeup check ran
  std::uint64_t liveness_checks = 0;  // times the core's liveness check ran
  FastRand fault_rng;  // Params::faults' draws (apart from rng: faults off, same run)
  std::uint64_t faults_injected = 0;
  std::uint64_t object_ids = 0;  // rt::next_object_id's counter (this run)
  // BUGGIFY: inject a fault here (a spurious wakeup, an empty poll)?
  bool buggify() noexcept {
    if (params.faults == 0 || fault_rng.next_n(params.faults) != 0) return false;
    faults_injected++;
    return true;
  }

  // The simulated poller (epoll_sim.cpp): epoll instances, eventfds and the
  // readiness of every other fd, all decided by the test.
  struct PollReg {
    std::uint32_t events;
    void* data;
    bool edge;  // an edge not yet reported (edge-triggered registrations)
  };
  std::map<int, std::map<int, PollReg>> polls;  // epfd -> fd -> registration
  std::map<int, std::uint64_t> eventfds;  // fd -> counter
  std::map<int, std::uint32_t> ready;  // fd -> ready events
  int next_fd = 1 << 20;  // simulated fd numbers (above any real one)

  // The last kRecent scheduling points (a ring): for the failure report.
  struct StepRecord {
    std::uint64_t step;
    int fiber;
    Point p;
    std::uintptr_t pc;  // return address in the code that reached it (0: none)
  };
  static constexpr std::size_t kRecent = 48;
  StepRecord recent[kRecent]{};

  void mix(std::uint64_t v) noexcept;
  // A scheduling point of the running fiber, reached from pc.
  void point(Point p, std::uintptr_t pc = 0) noexcept;
  // Blocks the running fiber until wake() (or the deadline; -1: none).
  // Returns false if it timed out.
  bool block(const void* on, std::int64_t deadline) noexcept;
  // Wakes up to n fibers blocked on `on` (oldest first); returns how many.
  int wake(const void* on, int n) noexcept;
  Fiber* spawn(void (*fn)(void*), void* arg, std::size_t stack_size);
  [[noreturn]] void exit_current() noexcept;
  [[noreturn]] void fail(const char* reason) noexcept;

  // Registered thread-locals (saved and restored per fiber on a switch).
  struct TlsSlot {
    void* addr;
    std::size_t size;
    std::size_t offset;
  };
  std::vector<TlsSlot> tls_slots;
  std::size_t tls_bytes = 0;
  std::vector<unsigned char> tls_init;  // each slot's value when registered
  void register_tls(void* addr, std::size_t size);

 private:
  void schedule(Point p, bool cur_runnable) noexcept;
  // schedule()'s scratch list, a member: a fiber that exits never returns
  // from schedule(), and a local vector would leak each time.
  std::vector<Fiber*> runnable_;
  void switch_to(Fiber* next) noexcept;
  void wake_expired() noexcept;
};

// The active simulator (nullptr outside testing::sim::run).
extern Simulator* g_sim;

}  // namespace gmpkit::rt::sim
