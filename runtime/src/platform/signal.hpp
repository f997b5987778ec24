// platform/signal.hpp — signal handlers and alternate signal stacks.
#pragma once
#include <cstddef>
#include <cstdint>

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

// ---- The preemption signal (SIGURG, as Go's sigPreempt) ----
//
// The handler runs on the interrupted thread (on its sigaltstack if it has
// one). It is given the interrupted pc and sp and returns the address of a
// function to *inject* (Go's injected call, x86-64 flavour): the platform
// then pushes the interrupted pc below the 128-byte red zone
// (sp' = sp - 128 - 8, *sp' = pc) and resumes the thread at the returned
// address with sp'. That function must preserve every register and end in
// `ret $128`. Returning nullptr resumes the interrupted code untouched.
using PreemptHandler = void* (*)(std::uintptr_t pc, std::uintptr_t sp);
// Installs (once per process; later calls only replace h) the handler with
// SA_SIGINFO | SA_ONSTACK | SA_RESTART. A handler installed before ours (a
// real function, not SIG_DFL/SIG_IGN) is still called first: SIGURG also
// means "out-of-band data" to programs that asked for it. Returns false if
// sigaction failed.
bool install_preempt_handler(PreemptHandler h) noexcept;
// True if the stack range [sp, hi) — the interrupted sp and the top of the
// goroutine stack it lies on — holds a signal frame: the interrupted code
// is a signal handler (installed without SA_ONSTACK, so it runs on the
// goroutine's stack) or something it called. Such code must never be
// switched away from: the handler may have interrupted malloc or any other
// lock holder, and the thread would then run other goroutines "inside" it.
// Async-signal-safe; reads only that stack range. Conservative: true when
// frames cannot be recognised (no SA_RESTORER). Recognises handlers that
// return through libc's restorer (every handler set with sigaction/signal).
bool in_signal_handler(std::uintptr_t sp, std::uintptr_t hi) noexcept;
// Sends the preemption signal to thread `tid` of this process (tgkill).
// False if the thread does not exist (any more).
bool signal_preempt(std::int64_t tid) noexcept;
// Sends signal `sig` to thread `tid` of this process (tests: raw signal storms).
bool signal_thread(std::int64_t tid, int sig) noexcept;
extern const int kSigPreempt;  // SIGURG

// The calling thread's errno, read and written out of line: errno's address
// is per thread and the compiler may reuse it within a function (it is a
// const function's result), which is wrong across a switch that can move a
// goroutine to another thread.
int thread_errno() noexcept;
void set_thread_errno(int v) noexcept;

// ---- Where code lives (for the async safe-point rule) ----
//
// The runtime's own machine code is bracketed by the linker symbols
// __start_gmpkit_text / __stop_gmpkit_text (runtime/CMakeLists.txt renames
// the .text sections of libgmpkit.a's objects to `gmpkit_text`), or, when
// the runtime is a shared library, is the text of that DSO. "User text" is
// the executable segments of the main program minus the runtime's text:
// libc, libstdc++, the dynamic loader and every other shared object are
// excluded. code_regions_init() computes this once per process (not
// async-signal-safe); pc_in_user_text() is async-signal-safe.
// Returns false if the runtime's text cannot be told apart from the
// program's (e.g. an LTO build without the section): no async preemption.
bool code_regions_init() noexcept;
bool pc_in_user_text(std::uintptr_t pc) noexcept;

// ---- Extended (vector) register state, for the injected call ----
// Size in bytes of the XSAVE area for the features the OS enabled (XCR0),
// or 512 (FXSAVE) on CPUs without XSAVE. Fills the globals the assembly
// reads (core/asyncpreempt_x86_64.S). Idempotent.
std::size_t xstate_init() noexcept;

}  // namespace gmpkit::rt
