// stress/storms/storm.hpp — what every storm shares: the ledger (exact
// accounting), the context a storm runs in, and the registry.
//
// A storm is a function that runs inside the main goroutine of a fresh
// runtime, starts its workers through StormContext::go (every G counted
// spawned/exited, unwinding included), keeps them busy while
// ctx.running(), then stops them and returns only once every worker has
// finished. The runner (runner.cpp) then checks the ledger: any G not
// exited, value not received, or lock not released is "lost".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gmpkit/runtime.hpp>
#include <gmpkit/waitgroup.hpp>

namespace gmpkit::stress {

// Counters every storm adds to. All relaxed: they are statistics read after
// the workers are joined (WaitGroup gives the happens-before) or as a racy
// progress snapshot.
struct Ledger {
  std::atomic<std::int64_t> ops{0};  // storm-defined unit of work (a send, a spawn, a lock, ...)
  std::atomic<std::int64_t> spawned{0};  // storm Gs started with StormContext::go
  std::atomic<std::int64_t> exited{0};  // of those, returned or unwound
  std::atomic<std::int64_t> sent{0};  // values sent (channels, pipes, sockets)
  std::atomic<std::int64_t> received{0};  // distinct values received
  std::atomic<std::int64_t> duplicated{0};  // values received more than once
  std::atomic<std::int64_t> acquired{0};  // lock acquisitions (and syscalls entered)
  std::atomic<std::int64_t> released{0};  // lock releases (and syscalls returned)
  std::atomic<std::int64_t> violations{0};  // a storm's own check failed (see notes)

  void add_ops(std::int64_t n = 1) { ops.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t get(const std::atomic<std::int64_t>& c) const {
    return c.load(std::memory_order_relaxed);
  }
  // Records a failed check (the first few messages are kept for the report).
  void violation(std::string what);
  std::vector<std::string> notes() const;

 private:
  mutable std::mutex notes_mu_;  // taken only on a failure path
  std::vector<std::string> notes_;
};

// Knobs of one run of one storm (from the command line).
struct StormOptions {
  double seconds = 1.0;
  int procs = 0;
  std::uint64_t seed = 1;
  double scale = 1.0;  // workload size multiplier (mixed runs each part smaller)
  std::int64_t spawn_peak = 0;  // spawn storm: Gs alive at the peak (0 = automatic)
};

class StormContext {
 public:
  // parent: a part of a bigger storm (mixed) stops when its parent does,
  // without waiting for the parent's goroutine to be scheduled again.
  StormContext(const StormOptions& opt, Ledger& ledger, const StormContext* parent = nullptr)
      : opt_(opt), ledger_(ledger), parent_(parent) {}

  const StormOptions& options() const { return opt_; }
  Ledger& ledger() { return ledger_; }
  // True until the storm's time is up (a relaxed flag: workers poll it).
  bool running() const {
    return !stop_.load(std::memory_order_relaxed) && (parent_ == nullptr || parent_->running());
  }
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  // A per-worker random generator derived from the run's seed.
  std::mt19937_64 rng(std::uint64_t stream) const {
    std::seed_seq s{opt_.seed, stream, std::uint64_t{0x9e3779b97f4a7c15}};
    return std::mt19937_64(s);
  }
  // Sizes scale with the options (at least 1).
  int scaled(int n) const {
    const int v = static_cast<int>(n * opt_.scale);
    return v < 1 ? 1 : v;
  }
  // Starts a counted worker; `wg` (if given) is done() when it ends.
  template <class F>
  void go(WaitGroup* wg, F&& fn) {
    if (wg) wg->add(1);
    ledger_.spawned.fetch_add(1, std::memory_order_relaxed);
    gmpkit::go([this, wg, fn = std::forward<F>(fn)]() mutable {
      struct Exit {
        Ledger& l;
        WaitGroup* wg;
        ~Exit() {
          l.exited.fetch_add(1, std::memory_order_relaxed);
          if (wg) wg->done();
        }
      } exit{ledger_, wg};
      fn();
    });
  }

 private:
  StormOptions opt_;
  Ledger& ledger_;
  const StormContext* parent_;
  std::atomic<bool> stop_{false};
};

using StormFn = void (*)(StormContext&);

struct StormInfo {
  const char* name;
  const char* what;
  StormFn fn;
};

// Every storm, in `gmpkit-stress list` order.
const std::vector<StormInfo>& storms();
const StormInfo* find_storm(const std::string& name);

// One storm function per file (stress/storms/<name>.cpp).
void spawn_storm(StormContext& ctx);
void park_storm(StormContext& ctx);
void syscall_storm(StormContext& ctx);
void preempt_storm(StormContext& ctx);
void stw_storm(StormContext& ctx);
void gomaxprocs_storm(StormContext& ctx);
void netpoll_storm(StormContext& ctx);
void timers_storm(StormContext& ctx);
void mixed_storm(StormContext& ctx);

// Sleeps in small steps until the storm's time is up.
void wait_until_stopped(StormContext& ctx);

}  // namespace gmpkit::stress
