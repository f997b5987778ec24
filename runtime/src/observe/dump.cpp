// observe/dump.cpp — goroutine dumps (design comment in dump.hpp) and
// gmpkit::debug::dump_goroutines.
#include "observe/dump.hpp"

#include <cxxabi.h>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/m.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/debug.hpp"
#include "gmpkit/stw.hpp"
#include "platform/clock.hpp"
#include "platform/futex.hpp"
#include "platform/signal.hpp"
#include "platform/thread.hpp"
#include "platform/unwind.hpp"
#include "platform/diag_word.hpp"

namespace gmpkit::observe {

using namespace core;

namespace {

void appendf(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    out->append(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n)
                                                              : sizeof buf - 1);
}

// Go's goroutineheader: the wait reason for a waiting G (status otherwise),
// ", N minutes" once it has waited a minute, ", locked to thread".
void write_header(std::string* out, G* gp, GStatus st, std::int64_t now) {
  const WaitReason wr = gp->waitreason.load(rt::relaxed);  // relaxed: diagnostics
  const char* status =
      st == GStatus::waiting && wr != WaitReason::zero ? wait_reason_string(wr) : gstatus_name(st);
  appendf(out, "goroutine %" PRId64 " [%s", rt::diag_load(gp->goid), status);
  const std::int64_t since = gp->waitsince.load(rt::relaxed);  // relaxed: diagnostics
  if ((st == GStatus::waiting || st == GStatus::syscall) && since != 0) {
    const std::int64_t minutes = (now - since) / 60'000'000'000LL;
    if (minutes >= 1) appendf(out, ", %" PRId64 " minutes", minutes);  // Go: always "minutes"
  }
  if (rt::diag_load(gp->lockedm) != nullptr) out->append(", locked to thread");
  out->append("]:\n");
}

std::string demangle(const char* name) {
  if (name[0] == '\0') return "?";
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (d == nullptr) return name;
  std::string s(d);
  std::free(d);
  return s;
}

// True for frames of the dump machinery itself (the current G's walk
// starts inside it).
bool is_dump_frame(const std::string& fn) {
  return fn.find("gmpkit::observe::") != std::string::npos ||
         fn.find("gmpkit::debug::dump_goroutines") != std::string::npos ||
         fn.find("gmpkit::rt::unwind_self") != std::string::npos;
}

void write_frames(std::string* out, const rt::UnwindFrame* f, int n, bool skip_dump_frames) {
  int i = 0;
  if (skip_dump_frames) {
    while (i < n && is_dump_frame(demangle(f[i].name))) i++;
  }
  for (; i < n; i++) {
    std::string fn = demangle(f[i].name);
    out->append(fn);
    if (fn.find('(') == std::string::npos) out->append("()");  // C symbols and unknown frames
    appendf(out, "\n\tpc=0x%" PRIxPTR " +0x%" PRIxPTR " %s\n", f[i].pc, f[i].off,
            rt::module_of(f[i].pc));
  }
  if (n >= kMaxFrames) out->append("...additional frames elided...\n");
}

void write_stack(std::string* out, G* gp, GStatus st, bool is_cur, DumpStacks stacks) {
  if (is_cur) {
    if (!rt::unwinder_available()) {
      appendf(out, "\tstack unavailable (%s)\n", rt::unwinder_unavailable_reason());
      return;
    }
    std::vector<rt::UnwindFrame> frames(kMaxFrames + 8);  // + room for the dump's own frames
    const int n = rt::unwind_self(reinterpret_cast<std::uintptr_t>(gp->stack.lo),
                                  reinterpret_cast<std::uintptr_t>(gp->stack.hi), frames.data(),
                                  static_cast<int>(frames.size()));
    write_frames(out, frames.data(), n, true);
    return;
  }
  if (st == GStatus::running) {
    out->append("\tgoroutine running on other thread; stack unavailable\n");  // Go's words
    return;
  }
  if (st == GStatus::syscall) {
    out->append("\tgoroutine in a system call on another thread; stack unavailable\n");
    return;
  }
  if (stacks == DumpStacks::none) return;
  if (!gp->started) {
    out->append("\tgoroutine not started yet\n");
    return;
  }
  if (!rt::unwinder_available()) {
    appendf(out, "\tstack unavailable (%s)\n", rt::unwinder_unavailable_reason());
    return;
  }
  const Context& c = gp->sched;
  const rt::UnwindRegs regs{c.rip, c.rsp, c.rbp, c.rbx, c.r12, c.r13, c.r14, c.r15};
  std::vector<rt::UnwindFrame> frames(kMaxFrames);
  const int n =
      rt::unwind_from(regs, reinterpret_cast<std::uintptr_t>(gp->stack.lo),
                      reinterpret_cast<std::uintptr_t>(gp->stack.hi), frames.data(), kMaxFrames);
  if (n == 0) out->append("\tstack unavailable (no frame could be unwound)\n");
  write_frames(out, frames.data(), n, false);
  if (stacks == DumpStacks::racy && gp->status() != st)
    out->append(
        "\t(the goroutine changed state during the walk: the stack above may be inconsistent)\n");
}

// Copies allgs. Racy mode must not wait forever: the fatal error may have
// been raised with allglock held (by this thread or a wedged one).
bool snapshot_allgs(std::vector<G*>* gs, DumpStacks stacks) GMPKIT_NO_TSA {
  if (stacks != DumpStacks::racy) {
    rt::LockGuard g(sched->allglock);
    *gs = sched->allgs;
    return true;
  }
  for (int i = 0; i < 100; i++) {
    if (sched->allglock.try_lock()) {
      *gs = sched->allgs;
      sched->allglock.unlock();
      return true;
    }
    rt::usleep(1000);
  }
  return false;
}

}  // namespace

void write_goroutine_dump(std::string* out, DumpStacks stacks) {
  if (sched == nullptr) return;
  std::vector<G*> gs;
  if (!snapshot_allgs(&gs, stacks)) {
    out->append("(goroutine list locked; no dump)\n");
    return;
  }
  const std::int64_t now = rt::nanotime();
  G* cur = getg();
  bool first = true;
  auto one = [&](G* gp, bool is_cur) {
    const GStatus st = gp->status();
    if (st == GStatus::dead || st == GStatus::idle) return;
    if (!first) out->push_back('\n');
    first = false;
    write_header(out, gp, st, now);
    write_stack(out, gp, st, is_cur, stacks);
  };
  if (cur != nullptr) one(cur, true);  // Go prints the current goroutine first
  for (G* gp : gs)
    if (gp != cur) one(gp, false);
}

namespace {
rt::Atomic<bool> g_fatal_dumped{false};
}

void dump_on_fatal() noexcept {
  // relaxed: only "first one wins" matters; the winner reads nothing the others wrote.
  if (g_fatal_dumped.exchange(true, rt::relaxed) || sched == nullptr) return;
  try {
    std::string out = "\n";
    // Go's "runtime stack:": a fatal error raised by the scheduler itself
    // (on an M's g0, e.g. acquirep finding a P that is not idle) names no
    // goroutine; the M's own stack says which path got there.
    if (M* mp = getm(); mp != nullptr && rt::unwinder_available()) {
      const auto lo = reinterpret_cast<std::uintptr_t>(mp->g0_stack_lo);
      const std::uintptr_t hi = lo + mp->g0_stack_size;
      const auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
      if (sp >= lo && sp < hi) {
        std::vector<rt::UnwindFrame> frames(kMaxFrames);
        const int n = rt::unwind_self(lo, hi, frames.data(), kMaxFrames);
        appendf(&out, "runtime stack (m%" PRId64 ", the scheduler's g0):\n", mp->id);
        write_frames(&out, frames.data(), n, false);
        out += "\n";
      }
    }
    write_goroutine_dump(&out, DumpStacks::racy);
    rt::write_stderr(out.data(), out.size());
  } catch (...) {
    static const char kMsg[] = "gmpkit: goroutine dump failed\n";
    rt::write_stderr(kMsg, sizeof kMsg - 1);
  }
}

}  // namespace gmpkit::observe

namespace gmpkit::debug {

using namespace core;

void dump_goroutines(std::ostream& os) {
  rt::Published<Sched>::Pin pin(sched_pub);  // any thread: keeps the scheduler alive
  if (!pin) return;
  std::string out;
  G* gp = getg();
  // relaxed: a hint; once exiting, Gs are resumed to unwind and may run.
  const bool exiting = sched->exiting.load(rt::relaxed);
  if (gp == nullptr || exiting) {
    observe::write_goroutine_dump(&out, observe::DumpStacks::none);
  } else if (sched->stw_owner.load(rt::relaxed) == gp) {  // relaxed: only gp stores gp there
    observe::write_goroutine_dump(&out, observe::DumpStacks::parked);
  } else {
    // Go's runtime.Stack(all=true): stop the world so no parked G moves
    // while its stack is read. The text is written after the restart.
    stop_the_world("goroutine dump");
    try {
      observe::write_goroutine_dump(&out, observe::DumpStacks::parked);
    } catch (...) {
      start_the_world();
      throw;
    }
    start_the_world();
  }
  os << out;
}

}  // namespace gmpkit::debug
