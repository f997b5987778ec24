// platform/signal.hpp — signal handlers and alternate signal stacks.
#pragma once
#include <cstddef>

namespace gmpkit::rt {

// Handler for SIGSEGV/SIGBUS: gets the faulting address and the interrupted
// stack pointer. Returns true if it handled (reported) the fault; false lets
// the default action run.
using FaultHandler = bool (*)(void* fault_addr, void* interrupted_sp);

// Installs (once per process) the fault handler, on the alternate stack.
void install_fault_handler(FaultHandler h) noexcept;
// Give the calling thread an alternate signal stack (sigaltstack) so a stack
// overflow can still be reported. Returns an opaque handle to free later.
void* signal_stack_enable() noexcept;
void signal_stack_disable(void* handle) noexcept;
// Async-signal-safe write to stderr.
void write_stderr(const char* s, std::size_t n) noexcept;

}  // namespace gmpkit::rt
