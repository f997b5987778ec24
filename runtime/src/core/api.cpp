// core/api.cpp — the small public functions of gmpkit/runtime.hpp and
// gmpkit/debug.hpp.
#include <cinttypes>
#include <cstdio>

#include "core/p.hpp"
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/debug.hpp"
#include "gmpkit/runtime.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "platform/diag_word.hpp"

namespace gmpkit {

using namespace core;

namespace {
G* require_g(const char* what) {
  G* gp = getg();
  if (gp == nullptr)
    throw usage_error(std::string("gmpkit: ") + what + " called outside a goroutine");
  return gp;
}
}  // namespace

void yield() {
  require_g("yield()");
  gosched();
}

void preempt_point() {
  // Cheapest possible when nothing is asked: one TLS read, two loads.
  preempt_check();
}

int gomaxprocs() {
  rt::Published<Sched>::Pin pin(sched_pub);  // any thread: keeps the scheduler alive
  if (!pin) throw usage_error("gmpkit: gomaxprocs() called with no runtime running");
  return pin->gomaxprocs.load(rt::relaxed);  // relaxed: a snapshot, as Go's GOMAXPROCS(0)
}

std::int64_t num_goroutine() {
  rt::Published<Sched>::Pin pin(sched_pub);  // any thread: keeps the scheduler alive
  if (!pin) return 0;
  // Every P ever made, not just the live ones: a G created on a P that
  // GOMAXPROCS later destroyed may exit on another P. Runtime-owned
  // goroutines (Config::verify_every's verifier) are not counted, as Go.
  std::int64_t n = -observe::system_goroutines();
  for (std::int32_t i = 0; i < sched->allp.allocated(); i++) {
    P* pp = sched->allp.slot(i);
    n += pp->ngcreated.load(rt::relaxed) -
         pp->ngexited.load(rt::relaxed);  // relaxed: a racy sum, as Go's gcount
  }
  return n < 1 ? 1 : n;
}

std::int64_t goroutine_id() { return require_g("goroutine_id()")->goid; }

bool in_goroutine() noexcept { return getg() != nullptr; }

namespace debug {

std::vector<GoroutineInfo> goroutines() GMPKIT_NO_TSA {
  std::vector<GoroutineInfo> out;
  rt::Published<Sched>::Pin pin(sched_pub);  // any thread: keeps the scheduler alive
  if (!pin) return out;
  std::int64_t now = rt::nanotime();
  rt::LockGuard g(sched->allglock);
  for (G* gp : sched->allgs) {
    GStatus st = gp->status();
    if (st == GStatus::dead || st == GStatus::idle) continue;
    GoroutineInfo info;
    info.id = rt::diag_load(gp->goid);
    info.status = gstatus_name(st);
    bool waiting = st == GStatus::waiting;
    info.wait_reason = waiting ? wait_reason_string(gp->waitreason.load(rt::relaxed)) : "";
    const std::int64_t since = gp->waitsince.load(rt::relaxed);  // relaxed: diagnostics
    info.wait_ns = waiting && since ? now - since : 0;
    out.push_back(std::move(info));
  }
  return out;
}

// dump_goroutines: observe/dump.cpp.

}  // namespace debug
}  // namespace gmpkit
