// platform/sim/strategy.cpp — which simulated thread runs next.
//
// random: uniform random walk over the runnable threads at every
// scheduling point.
// pct: Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler
// with Probabilistic Guarantees of Finding Bugs" (ASPLOS 2010). Every thread
// gets a random distinct priority >= d; the highest-priority runnable
// thread runs; at d-1 change points, chosen uniformly among the first
// Params::pct_horizon steps (the expected run length; 20 000 if unset), the
// priority of the thread that took that step drops to d-i (below every
// initial priority) — also when that step blocked or ended it, so no change
// point is lost. A bug of depth d is found with probability at least
// 1/(n k^(d-1)) when the horizon k covers the run.
// Spinning: a thread that spins (osyield/procyield) would run at top
// priority until the step budget, so a yield by the running thread demotes
// it below every other runnable thread's initial priority (never into the
// change-point range): two spinners cannot hand control back and forth
// while a third thread waits (Shuttle deprioritises a yielding task too).
// If every other runnable thread is in the change-point range, the spinner
// lets the best of them run for that one decision. (Runtime locks spin with
// procyield, so demotions are frequent: the 1/(n k^(d-1)) bound is for
// programs without spinning, as in the paper.)
// Starvation: strict priorities starve a thread behind one that polls
// without blocking (a select/default loop with short sleeps whose timers
// its own M fires), which the real machine runs in parallel; the run then
// ends as a "livelock" that is only the strategy's. A thread passed over
// for kStarveDecisions decisions in a row is raised above every priority
// (Coyote's fair PCT switches to fair scheduling after a prefix for the
// same reason; this keeps PCT's order otherwise).
#include <algorithm>

#include "platform/sim/simulator.hpp"

namespace gmpkit::rt::sim {

namespace {

class RandomWalk final : public Strategy {
 public:
  explicit RandomWalk(std::uint64_t seed) { rng_.state = seed ^ 0x5851f42d4c957f2dULL; }
  void on_new_fiber(Fiber*) override {}
  Fiber* pick(const std::vector<Fiber*>& runnable, Fiber*, Fiber*, Point, std::uint64_t) override {
    return runnable[rng_.next_n(static_cast<std::uint32_t>(runnable.size()))];
  }

 private:
  FastRand rng_;
};

constexpr std::uint64_t kPctDefaultHorizon = 20000;
constexpr std::uint32_t kStarveDecisions = 5000;

class Pct final : public Strategy {
 public:
  Pct(std::uint64_t seed, int depth, std::uint64_t horizon) : depth_(depth < 1 ? 1 : depth) {
    rng_.state = seed ^ 0x14057b7ef767814fULL;
    if (horizon == 0) horizon = kPctDefaultHorizon;
    const auto k = static_cast<std::uint32_t>(horizon > 0xffffffffULL ? 0xffffffffULL : horizon);
    for (int i = 1; i < depth_; i++) change_points_.push_back(1 + rng_.next_n(k));
    std::sort(change_points_.begin(), change_points_.end());
  }
  void on_new_fiber(Fiber* f) override {
    // Distinct with overwhelming probability; ties break by id below.
    f->priority = floor() + 1 + ((static_cast<std::uint64_t>(rng_.next()) << 20) | (f->id & 0xfffff));
    if (f->priority > top_) top_ = f->priority;
  }
  Fiber* pick(const std::vector<Fiber*>& runnable, Fiber* cur, Fiber* stepped, Point p,
              std::uint64_t step) override {
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= step) {
      if (stepped != nullptr)
        stepped->priority = static_cast<std::uint64_t>(depth_ - 1 - next_change_);
      next_change_++;
    }
    if (p == Point::yield && cur != nullptr && cur->priority >= floor()) {
      // Demote the spinner below every other runnable thread still at an
      // initial (or demoted) priority; the change-point range stays below.
      std::uint64_t lowest = ~std::uint64_t{0};
      for (Fiber* f : runnable)
        if (f != cur && f->priority >= floor() && f->priority < lowest) lowest = f->priority;
      if (lowest != ~std::uint64_t{0} && cur->priority >= lowest)
        cur->priority = lowest > floor() ? lowest - 1 : floor();
    }
    Fiber* best = nullptr;
    Fiber* second = nullptr;
    for (Fiber* f : runnable) {
      if (best == nullptr || f->priority > best->priority) {
        second = best;
        best = f;
      } else if (second == nullptr || f->priority > second->priority) {
        second = f;
      }
    }
    // Every other runnable thread is below the floor (a change point hit
    // it): the spinner keeps its priority but lets the best of them run
    // for this one decision, or it would spin until the step budget.
    Fiber* pick = p == Point::yield && best == cur && second != nullptr ? second : best;
    Fiber* starved = nullptr;
    for (Fiber* f : runnable) {
      if (f == pick) {
        f->passed_over = 0;
      } else if (++f->passed_over >= kStarveDecisions && starved == nullptr) {
        starved = f;
      }
    }
    if (starved != nullptr) {
      starved->priority = ++top_;
      starved->passed_over = 0;
      pick->passed_over = 1;
      pick = starved;
    }
    return pick;
  }

 private:
  // Initial and demoted priorities are >= floor(); change points set d-1-i < floor().
  std::uint64_t floor() const { return static_cast<std::uint64_t>(depth_); }

  int depth_;
  FastRand rng_;
  std::vector<std::uint64_t> change_points_;
  std::size_t next_change_ = 0;
  std::uint64_t top_ = 0;  // the highest priority given so far
};

}  // namespace

std::unique_ptr<Strategy> make_strategy(const Params& p) {
  if (p.strategy == testing::sim::Strategy::pct)
    return std::make_unique<Pct>(p.seed, p.depth, p.pct_horizon);
  return std::make_unique<RandomWalk>(p.seed);
}

}  // namespace gmpkit::rt::sim
