// platform/sim/strategy.cpp — which simulated thread runs next.
//
// random: uniform random walk over the runnable threads at every
// scheduling point.
// pct: Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler
// with Probabilistic Guarantees of Finding Bugs" (ASPLOS 2010). Every thread
// gets a random distinct priority >= d; the highest-priority runnable
// thread runs; at d-1 change points, chosen uniformly among the first
// kPctHorizon steps, the running thread's priority drops to d-i (below
// every initial priority). A bug of depth d is found with probability at
// least 1/(n k^(d-1)). A spinning thread (osyield/procyield) yields to the
// next-highest runnable thread for that one decision, or PCT would run a
// spin loop at top priority until the step budget (Shuttle does the same).
#include <algorithm>

#include "platform/sim/simulator.hpp"

namespace gmpkit::rt::sim {

namespace {

class RandomWalk final : public Strategy {
 public:
  explicit RandomWalk(std::uint64_t seed) { rng_.state = seed ^ 0x5851f42d4c957f2dULL; }
  void on_new_fiber(Fiber*) override {}
  Fiber* pick(const std::vector<Fiber*>& runnable, Fiber*, Point, std::uint64_t) override {
    return runnable[rng_.next_n(static_cast<std::uint32_t>(runnable.size()))];
  }

 private:
  FastRand rng_;
};

constexpr std::uint64_t kPctHorizon = 20000;

class Pct final : public Strategy {
 public:
  Pct(std::uint64_t seed, int depth) : depth_(depth < 1 ? 1 : depth) {
    rng_.state = seed ^ 0x14057b7ef767814fULL;
    for (int i = 1; i < depth_; i++) change_points_.push_back(1 + rng_.next_n(kPctHorizon));
    std::sort(change_points_.begin(), change_points_.end());
  }
  void on_new_fiber(Fiber* f) override {
    // Distinct with overwhelming probability; ties break by id below.
    f->priority = static_cast<std::uint64_t>(depth_) + 1 +
                  ((static_cast<std::uint64_t>(rng_.next()) << 20) | (f->id & 0xfffff));
  }
  Fiber* pick(const std::vector<Fiber*>& runnable, Fiber* cur, Point p,
              std::uint64_t step) override {
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= step) {
      if (cur != nullptr) cur->priority = static_cast<std::uint64_t>(depth_ - 1 - next_change_);
      next_change_++;
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
    if (p == Point::yield && best == cur && second != nullptr) return second;
    return best;
  }

 private:
  int depth_;
  FastRand rng_;
  std::vector<std::uint64_t> change_points_;
  std::size_t next_change_ = 0;
};

}  // namespace

std::unique_ptr<Strategy> make_strategy(const Params& p) {
  if (p.strategy == testing::sim::Strategy::pct) return std::make_unique<Pct>(p.seed, p.depth);
  return std::make_unique<RandomWalk>(p.seed);
}

}  // namespace gmpkit::rt::sim
