// stress/storms/runner.cpp — see runner.hpp.
#include "runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include <gmpkit/debug.hpp>
#include <gmpkit/metrics.hpp>
#include <gmpkit/runtime.hpp>

namespace gmpkit::stress {

namespace {

using Clock = std::chrono::steady_clock;

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The OS-thread side: the progress line every second, and the last-resort
// watchdog if even the runtime's own watchdog goroutine cannot run.
class Monitor {
 public:
  Monitor(const std::string& name, const Ledger& l, bool progress, double hang_after,
          std::uint64_t seed)
      : name_(name), ledger_(l), progress_(progress), hang_after_(hang_after), seed_(seed) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Monitor() {
    {
      std::lock_guard g(mu_);
      quit_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  std::int64_t peak_live() const { return peak_.load(std::memory_order_relaxed); }

 private:
  void loop() {
    const auto t0 = Clock::now();
    std::int64_t last_ops = 0;
    auto next = t0 + std::chrono::seconds(1);
    std::unique_lock lk(mu_);
    while (!cv_.wait_until(lk, next, [this] { return quit_; })) {
      next += std::chrono::seconds(1);
      const double el = secs(Clock::now() - t0);
      const auto m = gmpkit::metrics();
      const std::int64_t live = m.goroutines_spawned - m.goroutines_exited;
      // relaxed: a statistic
      if (live > peak_.load(std::memory_order_relaxed))
        peak_.store(live, std::memory_order_relaxed);
      const std::int64_t ops = ledger_.get(ledger_.ops);
      if (progress_)
        std::fprintf(
            stderr, "[%s] %6.1fs  ops/s %10lld  live Gs %7lld  STWs %6lld  preemptions %7lld\n",
            name_.c_str(), el, static_cast<long long>(ops - last_ops), static_cast<long long>(live),
            static_cast<long long>(m.stws), static_cast<long long>(m.preemptions));
      last_ops = ops;
      if (el > hang_after_) {
        std::fprintf(
            stderr,
            "gmpkit-stress: storm %s is wedged (%.0f s; the runtime's watchdog did not run); "
            "seed %llu; SIGQUIT for a goroutine dump\n",
            name_.c_str(), el, static_cast<unsigned long long>(seed_));
        // The runtime's SIGQUIT watcher writes the dump and exits the
        // process (status 2); give it the time (exiting at once here lost
        // the dump), then give up.
        ::raise(SIGQUIT);
        std::this_thread::sleep_for(std::chrono::seconds(10));
        std::fprintf(stderr, "gmpkit-stress: no goroutine dump within 10 s\n");
        std::_Exit(1);
      }
    }
  }

  std::string name_;
  const Ledger& ledger_;
  bool progress_;
  double hang_after_;
  std::uint64_t seed_;
  std::atomic<std::int64_t> peak_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::thread thread_;
};

std::int64_t pos(std::int64_t v) { return v > 0 ? v : 0; }

// How much slower than the plain build this one runs, for the hang
// thresholds only (a threshold, not a check: a storm that finishes is
// checked the same in every build). Under TSan a 0.3 s `mixed` storm took
// 0.6-8 s to wind down on the loaded 2-core VM (goroutine creation and
// every atomic are instrumented), against 10 s of grace.
#if defined(__SANITIZE_THREAD__)
constexpr double kBuildSlowdown = 6;
#elif defined(__SANITIZE_ADDRESS__)
constexpr double kBuildSlowdown = 3;
#else
constexpr double kBuildSlowdown = 1;
#endif

}  // namespace

StormResult run_storm(const StormInfo& storm, const StormOptions& opt, const RunSettings& rs) {
  StormResult res;
  res.name = storm.name;
  Ledger ledger;
  const double grace = std::max(10.0, opt.seconds) * kBuildSlowdown;
  Monitor monitor(storm.name, ledger, rs.progress, opt.seconds + 3 * grace, opt.seed);

  // Outside run(): the watchdog goroutine is not joined and may read it
  // after run()'s main function returned. Relaxed everywhere: a flag polled
  // by helper goroutines.
  std::atomic<bool> finished{false};
  gmpkit::run(rs.config, [&] {
    StormContext ctx(opt, ledger);
    const Metrics m0 = gmpkit::metrics();
    std::int64_t checks = 0, failures = 0;
    std::string first_failure;
    WaitGroup helpers;

    // Periodic invariant checks (each stops the world).
    helpers.add(1);
    gmpkit::go([&] {
      while (!finished.load(std::memory_order_relaxed)) {
        gmpkit::sleep_for(rs.check_every);
        if (finished.load(std::memory_order_relaxed)) break;
        auto r = debug::verify_invariants(debug::InvariantMode::report);
        checks++;
        if (!r.ok()) {
          if (failures++ == 0) first_failure = r.str();
        }
      }
      helpers.done();
    });
    // The clock: stop the storm after opt.seconds.
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(opt.seconds));
    helpers.add(1);
    gmpkit::go([&] {
      while (Clock::now() < deadline && !finished.load(std::memory_order_relaxed))
        gmpkit::sleep_for(std::chrono::milliseconds(2));
      ctx.stop();
      helpers.done();
    });
    // Optional sampler (placement checks).
    if (rs.sample) {
      helpers.add(1);
      gmpkit::go([&] {
        while (!finished.load(std::memory_order_relaxed)) {
          rs.sample();
          gmpkit::sleep_for(std::chrono::milliseconds(1));
        }
        helpers.done();
      });
    }
    // The watchdog goroutine: a storm that does not end is a loss.
    const auto hang = deadline + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(grace));
    gmpkit::go([&, hang] {
      while (!finished.load(std::memory_order_relaxed)) {
        if (Clock::now() > hang) {
          std::fprintf(stderr,
                       "gmpkit-stress: storm %s did not finish %.0f s after its end; seed %llu\n",
                       storm.name, grace, static_cast<unsigned long long>(opt.seed));
          // The scheduler's state first (which P runs what, its schedtick,
          // queue lengths): a starved goroutine shows as runnable below.
          debug::schedtrace(std::cerr, true);
          debug::dump_goroutines(std::cerr);
          std::_Exit(1);
        }
        gmpkit::sleep_for(std::chrono::milliseconds(20));
      }
    });

    storm.fn(ctx);
    const auto t1 = Clock::now();
    finished.store(true, std::memory_order_relaxed);
    helpers.wait();
    auto r = debug::verify_invariants(debug::InvariantMode::report);
    checks++;
    if (!r.ok() && failures++ == 0) first_failure = r.str();

    const Metrics m1 = gmpkit::metrics();
    res.seconds = secs(t1 - t0);
    res.ops = ledger.get(ledger.ops);
    res.ops_per_s = res.seconds > 0 ? static_cast<double>(res.ops) / res.seconds : 0;
    res.events = m1.schedticks - m0.schedticks;
    res.spawned = ledger.get(ledger.spawned);
    res.exited = ledger.get(ledger.exited);
    res.sent = ledger.get(ledger.sent);
    res.received = ledger.get(ledger.received);
    res.acquired = ledger.get(ledger.acquired);
    res.released = ledger.get(ledger.released);
    res.duplicated = ledger.get(ledger.duplicated) + pos(res.received - res.sent);
    res.lost = pos(res.spawned - res.exited) + pos(res.sent - res.received) +
               pos(res.acquired - res.released);
    res.violations = ledger.get(ledger.violations);
    res.invariant_checks = checks;
    res.invariant_failures = failures;
    res.stws = m1.stws - m0.stws;
    res.preemptions = m1.preemptions - m0.preemptions;
    res.async_preemptions = m1.preemptions_async - m0.preemptions_async;
    res.handoffs = m1.handoffs - m0.handoffs;
    res.steals = m1.steals - m0.steals;
    res.syscalls = m1.syscalls - m0.syscalls;
    res.notes = ledger.notes();
    if (!first_failure.empty()) res.notes.push_back("invariants: " + first_failure);
    if (!res.ok()) {
      std::fprintf(stderr,
                   "gmpkit-stress: storm %s FAILED (seed %llu): lost %lld, duplicated %lld, "
                   "invariant failures %lld, violations %lld\n",
                   storm.name, static_cast<unsigned long long>(opt.seed),
                   static_cast<long long>(res.lost), static_cast<long long>(res.duplicated),
                   static_cast<long long>(res.invariant_failures),
                   static_cast<long long>(res.violations));
      for (const auto& n : res.notes) std::fprintf(stderr, "  %s\n", n.c_str());
      debug::dump_goroutines(std::cerr);
    }
  });
  res.peak_goroutines = monitor.peak_live();
  return res;
}

}  // namespace gmpkit::stress
