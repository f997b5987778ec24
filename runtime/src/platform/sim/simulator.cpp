// platform/sim/simulator.cpp — fibers, the scheduling loop, virtual time,
// failures and the replay line; the public API of <gmpkit/testing/sim.hpp>.
#include "platform/sim/simulator.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "platform/annotations.hpp"
#include "platform/determinism.hpp"
#include "platform/quiescence.hpp"

#if GMPKIT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace gmpkit::rt::sim {

Simulator* g_sim = nullptr;

namespace {
// Virtual time per scheduling point: time passes while code runs, so loops
// that poll the clock (spin-with-deadline) end.
constexpr std::int64_t kStepNs = 100;
// Virtual time starts here (0 has meanings in the runtime, e.g. lastpoll).
constexpr std::int64_t kEpochNs = 1'000'000'000;

void (*g_failure_hook)(const char*) = nullptr;
std::string g_replay_cmd;
rt::QuiescenceCheck g_quiescence_check = nullptr;  // set by the core (run())
rt::LivenessCheck g_liveness_check = nullptr;  // set by the core (run())
unsigned g_liveness_every = 0;
Fiber* g_switched_from = nullptr;  // sanitizer bookkeeping across a switch

void write_err(const std::string& s) noexcept {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(2, s.data() + off, s.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

void after_switch() noexcept {
#if GMPKIT_ASAN
  Fiber* self = g_sim->cur;
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(self->asan_fake_stack, &bottom, &size);
  if (g_switched_from != nullptr) {
    g_switched_from->asan_bottom = bottom;
    g_switched_from->asan_size = size;
  }
#endif
}

void fiber_entry(void* arg) {
  after_switch();
  auto* f = static_cast<Fiber*>(arg);
  f->fn(f->arg);
  g_sim->exit_current();
}

// Crash signals print the replay line, then go to the previous handler
// (libFuzzer's or the sanitizer's), which reports the crash itself.
constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction g_old_actions[sizeof kCrashSignals / sizeof kCrashSignals[0]];
char g_crash_prefix[256];  // "gmpkit-sim: crashed\nGMPKIT_SIM_REPLAY=v1:...:steps="
char g_crash_suffix[256];  // " <command>\n"

void on_crash_signal(int sig) {
  std::size_t i = 0;
  while (kCrashSignals[i] != sig) i++;
  if (g_crash_prefix[0] && g_sim != nullptr) {
    char num[24];
    int n = 0;
    std::uint64_t v = g_sim->step;
    char tmp[24];
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    for (int k = 0; k < n; k++) num[k] = tmp[n - 1 - k];
    (void)!::write(2, g_crash_prefix, std::strlen(g_crash_prefix));
    (void)!::write(2, num, static_cast<std::size_t>(n));
    (void)!::write(2, g_crash_suffix, std::strlen(g_crash_suffix));
  }
  sigaction(sig, &g_old_actions[i], nullptr);
  if (sig == SIGABRT) raise(sig);  // a fault re-executes and reaches the old handler
}

void refresh_crash_line() noexcept {
  g_crash_prefix[0] = 0;
  if (g_sim == nullptr) return;
  std::snprintf(g_crash_prefix, sizeof g_crash_prefix,
                "gmpkit-sim: crashed\nGMPKIT_SIM_REPLAY=%s:steps=",
                testing::sim::format_params(g_sim->params, 0).c_str());
  std::snprintf(g_crash_suffix, sizeof g_crash_suffix, "%s%s\n", g_replay_cmd.empty() ? "" : " ",
                g_replay_cmd.c_str());
}

}  // namespace

Simulator::Simulator(const Params& p) : params(p), strategy(make_strategy(p)) {
  rng.state = p.seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
  fault_rng.state = p.seed * 0xd1342543de82ef95ULL + 0x9e3779b97f4a7c15ULL;
  now = kEpochNs;
  start = kEpochNs;
  auto f0 = std::make_unique<Fiber>();
  f0->id = 0;
  strategy->on_new_fiber(f0.get());
  cur = f0.get();
  fibers.push_back(std::move(f0));
}

Simulator::~Simulator() {
  for (auto& f : fibers)
    if (f->stack) ::munmap(f->stack, f->stack_size);
}

void Simulator::mix(std::uint64_t v) noexcept {
  hash ^= v;
  hash *= 0x100000001b3ULL;
  hash ^= hash >> 29;
}

void Simulator::register_tls(void* addr, std::size_t size) {
  for (const TlsSlot& s : tls_slots)
    if (s.addr == addr) return;
  tls_slots.push_back(TlsSlot{addr, size, tls_bytes});
  tls_bytes += size;
  // Every other fiber (and every later one) starts from the value the
  // variable has now, its initialiser (t_bound_p is -1, not 0).
  const auto* init = static_cast<const unsigned char*>(addr);
  tls_init.insert(tls_init.end(), init, init + size);
  for (auto& f : fibers) f->tls.insert(f->tls.end(), init, init + size);
}

void Simulator::wake_expired() noexcept {
  for (auto& f : fibers) {
    if (f->state == Fiber::State::blocked && f->deadline >= 0 && f->deadline <= now) {
      f->state = Fiber::State::runnable;
      f->timed_out = true;
      f->wait_on = nullptr;
      f->deadline = -1;
      mix(0x7100000000ULL | f->id);
    }
  }
}

void Simulator::point(Point p, std::uintptr_t pc) noexcept {
  if (frozen) return;
  step++;
  recent[step % kRecent] = StepRecord{step, static_cast<int>(cur->id), p, pc};
  now += kStepNs;
  if (step > params.max_steps) {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "livelock: step budget exceeded (%" PRIu64
                  " scheduling points without the program ending)",
                  params.max_steps);
    fail(msg);
  }
  wake_expired();
  if (g_liveness_check != nullptr && step % g_liveness_every == 0) {
    char msg[640];
    frozen = true;  // the check's loads take no scheduling points
    const bool stuck = g_liveness_check(now, msg, sizeof msg);
    frozen = false;
    liveness_checks++;
    if (stuck) fail(msg);
  }
  schedule(p, true);
}

void Simulator::schedule(Point p, bool cur_runnable) noexcept {
  std::vector<Fiber*>& runnable = runnable_;
  for (;;) {
    runnable.clear();
    for (auto& f : fibers)
      if (f->state == Fiber::State::runnable) runnable.push_back(f.get());
    if (!runnable.empty()) break;
    // Every simulated thread is blocked: quiescence. First the core's
    // lost-wakeup check (platform/quiescence.hpp), frozen so that its loads
    // take no scheduling points; then jump to the earliest deadline.
    if (g_quiescence_check != nullptr) {
      char msg[640];
      frozen = true;
      const bool stranded = g_quiescence_check(msg, sizeof msg);
      frozen = false;
      quiescent_checks++;
      if (stranded) fail(msg);
    }
    std::int64_t next = -1;
    for (auto& f : fibers)
      if (f->state == Fiber::State::blocked && f->deadline >= 0 && (next < 0 || f->deadline < next))
        next = f->deadline;
    if (next < 0)
      fail(
          "deadlock in the simulation: every simulated thread is blocked with no deadline "
          "(a lost wakeup: the runtime's own deadlock detection did not fire)");
    if (next > now) now = next;
    mix(0x7200000000ULL);
    wake_expired();
  }
  Fiber* next = strategy->pick(runnable, cur_runnable ? cur : nullptr, cur, p, step);
  mix((static_cast<std::uint64_t>(p) << 32) | next->id);
  if (next != cur) switch_to(next);
}

void Simulator::switch_to(Fiber* next) noexcept {
  Fiber* prev = cur;
  for (const TlsSlot& s : tls_slots) {
    std::memcpy(prev->tls.data() + s.offset, s.addr, s.size);
    std::memcpy(s.addr, next->tls.data() + s.offset, s.size);
  }
  cur = next;
  g_switched_from = prev;
#if GMPKIT_ASAN
  __sanitizer_start_switch_fiber(
      prev->state == Fiber::State::exited ? nullptr : &prev->asan_fake_stack, next->asan_bottom,
      next->asan_size);
#endif
  gmpkit_ctx_switch(&prev->ctx, &next->ctx);
  after_switch();
}

bool Simulator::block(const void* on, std::int64_t deadline) noexcept {
  if (frozen) return true;
  Fiber* self = cur;
  self->state = Fiber::State::blocked;
  self->wait_on = on;
  self->deadline = deadline;
  self->block_seq = ++block_seq;
  self->timed_out = false;
  step++;
  mix(0x7300000000ULL | self->id);
  if (step > params.max_steps) fail("livelock: step budget exceeded while blocking");
  schedule(Point::futex_wait, false);
  return !self->timed_out;
}

int Simulator::wake(const void* on, int n) noexcept {
  std::vector<Fiber*> waiters;
  for (auto& f : fibers)
    if (f->state == Fiber::State::blocked && f->wait_on == on) waiters.push_back(f.get());
  int woken = 0;
  while (!waiters.empty() && woken < n) {
    // Which waiter a futex wake picks is unspecified: let the seed choose.
    std::size_t i =
        waiters.size() == 1 ? 0 : rng.next_n(static_cast<std::uint32_t>(waiters.size()));
    Fiber* f = waiters[i];
    waiters.erase(waiters.begin() + static_cast<std::ptrdiff_t>(i));
    f->state = Fiber::State::runnable;
    f->wait_on = nullptr;
    f->deadline = -1;
    mix(0x7400000000ULL | f->id);
    woken++;
  }
  return woken;
}

Fiber* Simulator::spawn(void (*fn)(void*), void* arg, std::size_t stack_size) {
  if (stack_size < 64 * 1024) stack_size = 64 * 1024;
  stack_size = (stack_size + 4095) & ~std::size_t{4095};
  void* stk = ::mmap(nullptr, stack_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (stk == MAP_FAILED) return nullptr;
  auto f = std::make_unique<Fiber>();
  f->id = static_cast<std::uint32_t>(fibers.size());
  f->stack = stk;
  f->stack_size = stack_size;
  f->fn = fn;
  f->arg = arg;
  f->tls = tls_init;
  f->asan_bottom = stk;
  f->asan_size = stack_size;
  core::make_context(&f->ctx, static_cast<char*>(stk) + stack_size, fiber_entry, f.get());
  strategy->on_new_fiber(f.get());
  mix(0x7500000000ULL | f->id);
  Fiber* raw = f.get();
  fibers.push_back(std::move(f));
  return raw;
}

void Simulator::exit_current() noexcept {
  Fiber* self = cur;
  self->state = Fiber::State::exited;
  mix(0x7600000000ULL | self->id);
  wake(self, 1 << 30);  // joiners
  step++;
  schedule(Point::thread_exit, false);
  __builtin_trap();  // an exited fiber is never resumed
}

void Simulator::fail(const char* reason) noexcept {
  if (frozen) {
    write_err(std::string("gmpkit-sim: FAILURE during failure handling: ") + reason + "\n");
    std::abort();
  }
  frozen = true;
  char head[128];
  std::snprintf(head, sizeof head, " (step %" PRIu64 ", virtual time %" PRId64 " ns, thread %u)\n",
                step, now - start, cur ? cur->id : 0U);
  write_err(std::string("gmpkit-sim: FAILURE: ") + reason + head);
  // Every simulated thread: what it waits for (a hang's first question).
  for (const auto& f : fibers) {
    char line[160];
    const char* st = f->state == Fiber::State::runnable  ? "runnable"
                     : f->state == Fiber::State::blocked ? "blocked"
                                                         : "exited";
    if (f->state == Fiber::State::blocked && f->deadline >= 0)
      std::snprintf(line, sizeof line, "  thread %u: %s on %p until +%" PRId64 " ns\n", f->id, st,
                    f->wait_on, f->deadline - now);
    else if (f->state == Fiber::State::blocked)
      std::snprintf(line, sizeof line, "  thread %u: %s on %p, no deadline\n", f->id, st,
                    f->wait_on);
    else
      std::snprintf(line, sizeof line, "  thread %u: %s\n", f->id, st);
    write_err(line);
  }
  if (g_failure_hook) g_failure_hook(reason);
  write_err(testing::sim::replay_line() + "\n");
  g_crash_prefix[0] = 0;  // printed already
  std::abort();
}

}  // namespace gmpkit::rt::sim

namespace gmpkit::rt {
std::uint64_t next_object_id() noexcept {
  // Outside a run (a channel made before sim::run): 0, ordered first.
  return sim::g_sim != nullptr ? ++sim::g_sim->object_ids : 0;
}
}  // namespace gmpkit::rt

namespace gmpkit::rt::sim {

void sched_point(Point p) noexcept {
  if (g_sim != nullptr)
    g_sim->point(p, reinterpret_cast<std::uintptr_t>(__builtin_return_address(0)));
}

}  // namespace gmpkit::rt::sim

namespace gmpkit::rt {
void set_quiescence_check(QuiescenceCheck check) noexcept { sim::g_quiescence_check = check; }
void set_liveness_check(LivenessCheck check, unsigned every) noexcept {
  sim::g_liveness_check = check;
  sim::g_liveness_every = every == 0 ? 1 : every;
}
}  // namespace gmpkit::rt

namespace gmpkit::testing::sim {

using rt::sim::g_sim;

std::string format_params(const Params& p, std::uint64_t steps) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "v1:%s:d%d:seed=0x%" PRIx64,
                p.strategy == Strategy::pct ? "pct" : "random", p.depth, p.seed);
  std::string s = buf;
  if (p.cpus != Params{}.cpus) s += ":cpus=" + std::to_string(p.cpus);
  if (p.max_steps != Params{}.max_steps) s += ":budget=" + std::to_string(p.max_steps);
  if (p.pct_horizon != Params{}.pct_horizon) s += ":h=" + std::to_string(p.pct_horizon);
  if (p.faults != 0) s += ":faults=" + std::to_string(p.faults);
  if (steps != 0) s += ":steps=" + std::to_string(steps);
  return s;
}

bool parse_params(const std::string& s, Params* p, std::uint64_t* steps) {
  Params out;
  std::uint64_t st = 0;
  std::size_t pos = 0;
  int field = 0;
  while (pos <= s.size()) {
    std::size_t end = s.find(':', pos);
    if (end == std::string::npos) end = s.size();
    const std::string f = s.substr(pos, end - pos);
    char* e = nullptr;
    if (field == 0) {
      if (f != "v1") return false;
    } else if (field == 1) {
      if (f == "pct")
        out.strategy = Strategy::pct;
      else if (f == "random")
        out.strategy = Strategy::random;
      else
        return false;
    } else if (f.size() > 1 && f[0] == 'd' && f.find('=') == std::string::npos) {
      out.depth = static_cast<int>(std::strtol(f.c_str() + 1, &e, 10));
      if (*e || out.depth < 1) return false;
    } else if (f.rfind("seed=", 0) == 0) {
      out.seed = std::strtoull(f.c_str() + 5, &e, 0);
      if (*e) return false;
    } else if (f.rfind("steps=", 0) == 0) {
      st = std::strtoull(f.c_str() + 6, &e, 10);
      if (*e) return false;
    } else if (f.rfind("cpus=", 0) == 0) {
      out.cpus = static_cast<int>(std::strtol(f.c_str() + 5, &e, 10));
      if (*e || out.cpus < 1) return false;
    } else if (f.rfind("budget=", 0) == 0) {
      out.max_steps = std::strtoull(f.c_str() + 7, &e, 10);
      if (*e || out.max_steps == 0) return false;
    } else if (f.rfind("h=", 0) == 0) {
      out.pct_horizon = std::strtoull(f.c_str() + 2, &e, 10);
      if (*e) return false;
    } else if (f.rfind("faults=", 0) == 0) {
      out.faults = static_cast<unsigned>(std::strtoul(f.c_str() + 7, &e, 10));
      if (*e) return false;
    } else {
      return false;
    }
    field++;
    pos = end + 1;
  }
  if (field < 3) return false;
  *p = out;
  if (steps) *steps = st;
  return true;
}

Result run(const Params& p, void (*fn)(void*), void* arg) {
  if (g_sim != nullptr) {
    rt::sim::write_err("gmpkit-sim: sim::run is not reentrant\n");
    std::abort();
  }
  rt::sim::Simulator simulator(p);
  g_sim = &simulator;
  rt::sim::refresh_crash_line();
  for (std::size_t i = 0; i < sizeof rt::sim::kCrashSignals / sizeof rt::sim::kCrashSignals[0];
       i++) {
    struct sigaction sa {};
    sa.sa_handler = rt::sim::on_crash_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    sigaction(rt::sim::kCrashSignals[i], &sa, &rt::sim::g_old_actions[i]);
  }
  struct Restore {
    ~Restore() {
      for (std::size_t i = 0; i < sizeof rt::sim::kCrashSignals / sizeof rt::sim::kCrashSignals[0];
           i++)
        sigaction(rt::sim::kCrashSignals[i], &rt::sim::g_old_actions[i], nullptr);
      g_sim = nullptr;
      rt::sim::g_crash_prefix[0] = 0;
    }
  } restore;
  fn(arg);
  int alive = 0;
  for (auto& f : simulator.fibers)
    if (f->id != 0 && f->state != rt::sim::Fiber::State::exited) alive++;
  if (alive != 0) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "%d simulated thread(s) still alive when the program ended",
                  alive);
    simulator.fail(msg);
  }
  simulator.mix(0x7700000000ULL | simulator.step);
  Result r;
  r.steps = simulator.step;
  r.hash = simulator.hash;
  r.virtual_ns = simulator.now - simulator.start;
  r.threads = static_cast<int>(simulator.fibers.size());
  r.quiescent_checks = simulator.quiescent_checks;
  r.liveness_checks = simulator.liveness_checks;
  r.faults_injected = simulator.faults_injected;
  return r;
}

bool active() noexcept { return g_sim != nullptr; }

std::vector<StepRecord> recent_steps() {
  std::vector<StepRecord> out;
  if (g_sim == nullptr) return out;
  static const char* const kNames[] = {"load",        "store",       "rmw",         "fence",
                                       "futex_wait",  "futex_wake",  "clock",       "yield",
                                       "sleep",       "thread_start", "thread_exit", "thread_join",
                                       "poll"};
  using Sim = rt::sim::Simulator;
  const std::uint64_t last = g_sim->step;
  const std::uint64_t first = last >= Sim::kRecent ? last - Sim::kRecent + 1 : 1;
  for (std::uint64_t s = first; s <= last; s++) {
    const Sim::StepRecord& r = g_sim->recent[s % Sim::kRecent];
    if (r.step != s) continue;  // a step taken by block(), not a point
    const auto k = static_cast<std::size_t>(r.p);
    out.push_back(StepRecord{r.step, r.fiber, k < std::size(kNames) ? kNames[k] : "?", r.pc});
  }
  return out;
}
std::uint64_t steps() noexcept { return g_sim ? g_sim->step : 0; }
std::int64_t now() noexcept { return g_sim ? g_sim->now - g_sim->start : 0; }

void block_for(std::int64_t ns) noexcept {
  if (g_sim == nullptr) return;
  g_sim->point(rt::sim::Point::sleep);
  if (ns > 0) g_sim->block(nullptr, g_sim->now + ns);
}

std::uint32_t random(std::uint32_t n) noexcept {
  if (g_sim == nullptr || n == 0) return 0;
  return g_sim->rng.next_n(n);
}

void set_replay_command(const std::string& cmd) {
  rt::sim::g_replay_cmd = cmd;
  rt::sim::refresh_crash_line();
}
void set_failure_hook(void (*hook)(const char*)) { rt::sim::g_failure_hook = hook; }

void fail(const char* reason) {
  if (g_sim == nullptr) {
    rt::sim::write_err(std::string("gmpkit-sim: FAILURE outside a simulation: ") + reason + "\n");
    std::abort();
  }
  g_sim->fail(reason);
}

std::string replay_line() {
  if (g_sim == nullptr) return "";
  std::string s = "GMPKIT_SIM_REPLAY=" + format_params(g_sim->params, g_sim->step);
  if (!rt::sim::g_replay_cmd.empty()) s += " " + rt::sim::g_replay_cmd;
  return s;
}

}  // namespace gmpkit::testing::sim
