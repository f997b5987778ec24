#include "program.hpp"

#include <FuzzedDataProvider.h>

namespace gmpkit::fuzz::ops {

namespace {
constexpr std::size_t kMaxOps = 64;
const char* const kNames[] = {
    "yield",      "sleep",      "preempt_point", "busy",        "send",        "recv",
    "select",     "lock",       "rlock",         "wlock",       "wg_children", "spawn",
    "syscall",    "wait_fd",    "fd_ready",      "gomaxprocs",  "stw",         "lock_thread",
    "checkpoint", "bcast_wait", "cond_wait",     "cond_signal", "throw"};
static_assert(sizeof kNames / sizeof kNames[0] == static_cast<std::size_t>(Op::count_));
}  // namespace

bool Program::throws() const {
  for (const auto& w : workers)
    for (const Instr& i : w)
      if (i.op == Op::throw_exc) return true;
  return false;
}

std::size_t Program::ops() const {
  std::size_t n = 0;
  for (const auto& w : workers) n += w.size();
  return n;
}

std::string Program::describe() const {
  std::string s = "procs=" + std::to_string(procs) + " sinks=" + std::to_string(sinks.size()) +
                  " sources=" + std::to_string(sources.size()) + (bcast ? " bcast" : "") +
                  (deadlock_end ? " deadlock_end" : "") + "\n";
  for (std::size_t w = 0; w < workers.size(); w++) {
    s += "  worker " + std::to_string(w) + ":";
    for (const Instr& i : workers[w])
      s += std::string(" ") + kNames[static_cast<int>(i.op)] + "(" + std::to_string(i.a) + "," +
           std::to_string(i.b) + ")";
    s += "\n";
  }
  return s;
}

Program decode(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Program p;
  p.pct = in.ConsumeBool();
  p.depth = in.ConsumeIntegralInRange<int>(1, 5);
  p.seed = in.ConsumeIntegral<std::uint32_t>();
  p.procs = in.ConsumeIntegralInRange<int>(1, 4);
  const int nsinks = in.ConsumeIntegralInRange<int>(1, 3);
  for (int i = 0; i < nsinks; i++) p.sinks.push_back({in.ConsumeIntegralInRange<int>(0, 3), 0});
  const int nsources = in.ConsumeIntegralInRange<int>(0, 2);
  for (int i = 0; i < nsources; i++)
    p.sources.push_back(
        {in.ConsumeIntegralInRange<int>(0, 3), in.ConsumeIntegralInRange<int>(1, 8)});
  p.bcast = in.ConsumeBool();
  p.bcast_delay = in.ConsumeIntegralInRange<int>(0, 20);
  p.deadlock_end = in.ConsumeIntegralInRange<int>(0, 15) == 0;
  const int nworkers = in.ConsumeIntegralInRange<int>(1, 5);
  p.workers.resize(static_cast<std::size_t>(nworkers));
  std::size_t total = 0;
  // Round-robin over the workers so short inputs still give each some ops.
  for (int w = 0; total < kMaxOps && in.remaining_bytes() > 0; w = (w + 1) % nworkers) {
    Instr i;
    i.op = static_cast<Op>(in.ConsumeIntegralInRange<int>(0, static_cast<int>(Op::count_) - 1));
    i.a = in.ConsumeIntegral<std::uint8_t>();
    i.b = in.ConsumeIntegral<std::uint8_t>();
    // An escaping exception ends the program early; keep it rare.
    if (i.op == Op::throw_exc && (i.a & 7) != 0) i.op = Op::yield;
    p.workers[static_cast<std::size_t>(w)].push_back(i);
    total++;
  }
  return p;
}

}  // namespace gmpkit::fuzz::ops
