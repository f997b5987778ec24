// fuzz/fuzz_timers.cpp — a P's timer heap (time/timer.hpp: addtimer,
// deltimer, checkTimers, re-arming from the callback) against a sorted
// model. Runs inside the runtime on the deterministic simulator (one P, the
// main goroutine drives the heap with explicit "now" values far beyond the
// virtual clock, so nobody else fires these timers).
#include <FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/fuzz_support.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/sim.hpp"
#include "time/timer.hpp"

namespace {

namespace sim = gmpkit::testing::sim;
using gmpkit::time::Timer;

constexpr int kTimers = 16;
constexpr std::int64_t kBase = std::int64_t{1} << 50;  // far beyond the virtual clock

struct Harness {
  Timer timers[kTimers];
  std::int64_t rearm[kTimers] = {};  // > 0: the callback re-arms when + rearm (once)
  std::vector<std::pair<int, std::int64_t>> fired;  // (timer, its when) in firing order
  gmpkit::core::P* pp = nullptr;
};
Harness* g_h = nullptr;

void on_fire(void* arg, std::uintptr_t) {
  const int i = static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
  Timer& t = g_h->timers[i];
  g_h->fired.emplace_back(i, t.when);
  if (g_h->rearm[i] > 0) {
    t.when += g_h->rearm[i];
    g_h->rearm[i] = 0;
    gmpkit::time::addtimer(g_h->pp, &t);
  }
}

[[noreturn]] void mismatch(const std::string& what) {
  if (sim::active()) sim::fail(("timer model mismatch: " + what).c_str());
  gmpkit::fuzz::property_failed("timer model mismatch: " + what);
}

void drive(FuzzedDataProvider& in) {
  Harness h;
  g_h = &h;
  h.pp = gmpkit::core::getm()->p;
  std::map<int, std::int64_t> active;  // model: timer -> when
  std::int64_t rearm_model[kTimers] = {};
  std::int64_t now = kBase;
  for (int i = 0; i < kTimers; i++) {
    h.timers[i].f = on_fire;
    h.timers[i].arg = reinterpret_cast<void*>(static_cast<std::intptr_t>(i));
  }
  while (in.remaining_bytes() > 0) {
    const int i = in.ConsumeIntegralInRange<int>(0, kTimers - 1);
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: {  // add
        if (active.count(i)) break;
        const std::int64_t when = now + in.ConsumeIntegralInRange<std::int64_t>(-50, 1000);
        h.timers[i].when = when;
        h.rearm[i] = rearm_model[i] = in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(1, 300) : 0;
        gmpkit::time::addtimer(h.pp, &h.timers[i]);
        active[i] = when;
        break;
      }
      case 1: {  // delete
        const bool got = gmpkit::time::deltimer(&h.timers[i]);
        const bool want = active.erase(i) == 1;
        if (got != want)
          mismatch("deltimer(" + std::to_string(i) + ") returned " + std::to_string(got));
        break;
      }
      case 2: {  // modify: delete and add at a new time (Go's modtimer)
        const bool was = gmpkit::time::deltimer(&h.timers[i]);
        if (was != (active.erase(i) == 1)) mismatch("deltimer in modify");
        const std::int64_t when = now + in.ConsumeIntegralInRange<std::int64_t>(0, 1000);
        h.timers[i].when = when;
        h.rearm[i] = rearm_model[i] = 0;
        gmpkit::time::addtimer(h.pp, &h.timers[i]);
        active[i] = when;
        break;
      }
      case 3: {  // run everything due by a later now
        now += in.ConsumeIntegralInRange<std::int64_t>(0, 400);
        std::vector<std::pair<int, std::int64_t>> want;  // model: fire in when order
        for (;;) {
          auto it = std::min_element(active.begin(), active.end(),
                                     [](auto& a, auto& b) { return a.second < b.second; });
          if (it == active.end() || it->second > now) break;
          const int id = it->first;
          const std::int64_t when = it->second;
          want.emplace_back(id, when);
          active.erase(it);
          if (rearm_model[id] > 0) {
            active[id] = when + rearm_model[id];
            rearm_model[id] = 0;
          }
        }
        h.fired.clear();
        bool ran = false;
        std::int64_t n = now;
        const std::int64_t next = gmpkit::time::checkTimers(h.pp, &n, &ran);
        for (std::size_t k = 1; k < h.fired.size(); k++)
          if (h.fired[k].second < h.fired[k - 1].second) mismatch("timers fired out of order");
        auto got = h.fired;
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        if (got != want)
          mismatch(std::to_string(got.size()) + " timer(s) fired, model says " +
                   std::to_string(want.size()));
        if (ran != !want.empty()) mismatch("checkTimers' ran flag");
        std::int64_t want_next = 0;
        for (auto& [id, when] : active)
          if (want_next == 0 || when < want_next) want_next = when;
        if (next != want_next)
          mismatch("checkTimers returned " + std::to_string(next) + ", next timer at " +
                   std::to_string(want_next));
        break;
      }
    }
    if (h.pp->timers.numTimers.load(gmpkit::rt::relaxed) != active.size())  // relaxed: one thread
      mismatch("numTimers " + std::to_string(h.pp->timers.numTimers.load(gmpkit::rt::relaxed)) +
               ", model " + std::to_string(active.size()));
  }
  for (int i = 0; i < kTimers; i++) gmpkit::time::deltimer(&h.timers[i]);
  g_h = nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  sim::Params p;
  p.seed = in.ConsumeIntegral<std::uint16_t>();
  sim::set_replay_command(gmpkit::fuzz::replay_command(data, size));
  sim::run(p, [&] {
    gmpkit::Config cfg;
    cfg.procs = 1;
    gmpkit::run(cfg, [&] { drive(in); });
  });
  return 0;
}
