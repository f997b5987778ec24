#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "platform/signal.hpp"

namespace gmpkit::rt {

namespace {
std::atomic<FaultHandler> g_handler{nullptr};
struct sigaction g_prev_segv, g_prev_bus;
std::once_flag g_once;

void on_fault(int sig, siginfo_t* info, void* uctx) {
  void* sp = nullptr;
#if defined(__x86_64__)
  sp = reinterpret_cast<void*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  sp = reinterpret_cast<void*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.sp);
#endif
  // acquire: pairs with the release store in install_fault_handler.
  FaultHandler h = g_handler.load(std::memory_order_acquire);
  if (h && h(info->si_addr, sp)) {
    std::abort();
  }
  // Not ours: restore the previous disposition and return, so the faulting
  // instruction re-executes and the previous handler (or the default
  // action: a core dump) takes it.
  sigaction(sig, sig == SIGSEGV ? &g_prev_segv : &g_prev_bus, nullptr);
}
}  // namespace

void install_fault_handler(FaultHandler h) noexcept {
  g_handler.store(h, std::memory_order_release);  // release: handler visible before it can fire
  std::call_once(g_once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
  });
}

void* signal_stack_enable() noexcept {
  const std::size_t size = 64 * 1024;
  void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return nullptr;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = size;
  if (sigaltstack(&ss, nullptr) != 0) {
    ::munmap(mem, size);
    return nullptr;
  }
  return mem;
}

void signal_stack_disable(void* handle) noexcept {
  if (!handle) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  ::munmap(handle, 64 * 1024);
}

void write_stderr(const char* s, std::size_t n) noexcept {
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace gmpkit::rt
