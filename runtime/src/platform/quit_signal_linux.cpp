// platform/quit_signal_linux.cpp — SIGQUIT install/restore (quit_signal.hpp).
#include <errno.h>
#include <signal.h>
#include <ucontext.h>

#include <atomic>

#include "platform/quit_signal.hpp"

namespace gmpkit::rt {

namespace {
std::atomic<QuitHandler> g_quit{nullptr};
struct sigaction g_prev_quit;
bool g_installed = false;  // only run()'s thread touches it (install/restore)

void on_quit(int, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  std::uintptr_t pc = 0;
#if defined(__x86_64__)
  pc = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RIP]);
#else
  (void)uctx;
#endif
  // acquire: pairs with the release store in quit_signal_install.
  if (QuitHandler h = g_quit.load(std::memory_order_acquire)) h(pc, info ? info->si_code : 0);
  errno = saved_errno;
}
}  // namespace

bool quit_signal_install(QuitHandler h) noexcept {
  struct sigaction cur {};
  if (sigaction(SIGQUIT, nullptr, &cur) != 0) return false;
  const bool dfl = (cur.sa_flags & SA_SIGINFO) == 0 && cur.sa_handler == SIG_DFL;
  if (!dfl) return false;
  g_quit.store(h, std::memory_order_release);  // release: handler visible before it can fire
  struct sigaction sa {};
  sa.sa_sigaction = on_quit;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  g_installed = sigaction(SIGQUIT, &sa, &g_prev_quit) == 0;
  return g_installed;
}

void quit_signal_restore() noexcept {
  if (!g_installed) return;
  sigaction(SIGQUIT, &g_prev_quit, nullptr);
  g_installed = false;
}

}  // namespace gmpkit::rt
