// observe/sigquit.cpp — SIGQUIT: dump every goroutine and exit(2), Go's
// behaviour ("SIGQUIT: quit", the PC and M the signal interrupted, then the
// goroutine dump).
//
// Where the dump runs: not in the signal handler. The handler only records
// the pc/M/code and wakes a watcher thread (futex wake: async-signal-safe);
// the watcher, an ordinary thread created by sigquit_install for the run(),
// builds the dump (it allocates, demangles and calls libunwind, none of
// which is async-signal-safe: the signal may have hit malloc with its lock
// held) and ends the process with _exit(2). The watcher is no G, so it
// cannot stop the world: the dump is DumpStacks::racy (dump.hpp).
//
// States of g_state: kIdle -> kQuit (handler) or kIdle -> kStop
// (sigquit_restore). A quit that won the race is always carried out:
// restore then joins a watcher that never returns.
#include <unistd.h>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "core/m.hpp"
#include "core/proc.hpp"
#include "observe/dump.hpp"
#include "platform/futex.hpp"
#include "platform/quit_signal.hpp"
#include "platform/signal.hpp"
#include "platform/thread.hpp"

namespace gmpkit::observe {

namespace {

constexpr std::uint32_t kIdle = 0, kQuit = 1, kStop = 2;
rt::Atomic<std::uint32_t> g_state{kIdle};
rt::Atomic<std::uintptr_t> g_pc{0};
rt::Atomic<std::int64_t> g_mid{-1};
rt::Atomic<int> g_code{0};
rt::Thread g_watcher;
bool g_active = false;  // run()'s thread only

void on_quit(std::uintptr_t pc, int code) {
  core::M* mp = core::getm();
  // relaxed: published by the release CAS below.
  g_pc.store(pc, rt::relaxed);
  g_mid.store(mp ? mp->id : -1, rt::relaxed);
  g_code.store(code, rt::relaxed);
  // release: the watcher that sees kQuit sees pc/m/code.
  if (g_state.cas(kIdle, kQuit, rt::release)) rt::futexwakeup(g_state.raw(), 1);
}

void watcher(void*) {
  std::uint32_t s;
  // acquire: pairs with the handler's / restore's release CAS.
  while ((s = g_state.load(rt::acquire)) == kIdle) rt::futexsleep(g_state.raw(), kIdle, -1);
  if (s != kQuit) return;
  char head[128];
  // relaxed: ordered by the acquire load of g_state above.
  std::snprintf(head, sizeof head, "SIGQUIT: quit\nPC=%#" PRIxPTR " m=%" PRId64 " sigcode=%d\n\n",
                g_pc.load(rt::relaxed), g_mid.load(rt::relaxed), g_code.load(rt::relaxed));
  std::string out = head;
  try {
    write_goroutine_dump(&out, DumpStacks::racy);
  } catch (...) {
    out += "(goroutine dump failed)\n";
  }
  out += "\n";
  rt::write_stderr(out.data(), out.size());
  ::_exit(2);
}

}  // namespace

void sigquit_install() {
  // relaxed: no handler is installed yet and the watcher does not exist.
  g_state.store(kIdle, rt::relaxed);
  // The program keeps its own SIGQUIT disposition (SIG_IGN, a handler).
  if (!rt::quit_signal_install(on_quit)) return;
  // A quit arriving before the watcher exists is seen by it at start.
  if (!rt::thread_create(&g_watcher, watcher, nullptr, 1024 * 1024)) {
    rt::quit_signal_restore();  // no watcher: the default action stays
    return;
  }
  g_active = true;
}

void sigquit_restore() {
  if (!g_active) return;
  g_active = false;
  rt::quit_signal_restore();
  // release: pairs with the watcher's acquire load. If a quit won, the
  // watcher exits the process and the join below never returns.
  if (g_state.cas(kIdle, kStop, rt::release)) rt::futexwakeup(g_state.raw(), 1);
  rt::thread_join(g_watcher);
}

}  // namespace gmpkit::observe
