// platform/sim/signal_sim.cpp — no signals in the simulation
// (platform/signal.hpp). Async preemption is off (install_preempt_handler
// says no), so sysmon preempts cooperatively only; the simulator models
// preemption as its strategy's choice at scheduling points. A stack
// overflow is not diagnosed (no SIGSEGV handler on an alternate stack).
#include <unistd.h>

#include <cerrno>

#include "platform/signal.hpp"

extern "C" {
// Read by core/asyncpreempt_x86_64.S (never entered in the simulation).
__attribute__((visibility("hidden"))) std::uint64_t gmpkit_xsave_size = 512;
__attribute__((visibility("hidden"))) std::uint64_t gmpkit_xsave_mask = 0;
}

namespace gmpkit::rt {

const int kSigPreempt = 23;  // SIGURG's number, for messages only

void install_fault_handler(FaultHandler) noexcept {}
void* signal_stack_enable() noexcept { return nullptr; }
void signal_stack_disable(void*) noexcept {}
bool install_preempt_handler(PreemptHandler) noexcept { return false; }
bool signal_preempt(std::int64_t) noexcept { return false; }
bool signal_thread(std::int64_t, int) noexcept { return false; }
int thread_errno() noexcept { return errno; }
void set_thread_errno(int v) noexcept { errno = v; }
bool code_regions_init() noexcept { return false; }
bool pc_in_user_text(std::uintptr_t) noexcept { return false; }
bool in_signal_handler(std::uintptr_t, std::uintptr_t) noexcept { return true; }
std::size_t xstate_init() noexcept { return 512; }

void write_stderr(const char* s, std::size_t n) noexcept {
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace gmpkit::rt
