// platform/unwind.hpp — walking a stack that is not running: the saved
// registers of a parked goroutine, or the calling thread's own stack.
//
// Backed by libunwind (the nongnu one, libunwind.so.8: DWARF CFI, reads the
// ELF .symtab for names), loaded with dlopen(RTLD_LOCAL) on first use rather
// than linked. Linking it would put its _Unwind_* definitions (it exports a
// full C++ exception unwinder) in the global symbol scope ahead of libgcc's,
// silently changing how every exception of the program — forced_unwind
// included — is raised; RTLD_LOCAL keeps them private. Without the library
// (or built without its header) unwinder_available() is false and dumps
// print headers only.
//
// Safety: the walk never leaves [stack_lo, stack_hi): every frame's stack
// pointer must lie inside and grow strictly, at most `max` frames; any
// libunwind error ends the walk. The caller must make sure the stack does
// not change meanwhile (the goroutine is parked and cannot be resumed, e.g.
// the world is stopped); a stack that is being rewritten can still make
// libunwind read a wild pointer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gmpkit::rt {

// Callee-saved registers plus pc/sp of a suspended x86-64 stack.
struct UnwindRegs {
  std::uint64_t rip, rsp, rbp, rbx, r12, r13, r14, r15;
};

struct UnwindFrame {
  std::uintptr_t pc = 0;  // return address (or the resume pc for frame 0)
  std::uintptr_t sp = 0;  // the frame's stack pointer
  std::uintptr_t off = 0;  // pc - start of the function (valid when name[0])
  char name[256] = {};  // mangled symbol name, "" if unknown
};

bool unwinder_available() noexcept;
// Why not (for the dump's "stack unavailable" line).
const char* unwinder_unavailable_reason() noexcept;

// Walks the stack whose frame 0 resumes at regs.rip with regs.rsp. Returns
// the number of frames written to out.
int unwind_from(const UnwindRegs& regs, std::uintptr_t stack_lo, std::uintptr_t stack_hi,
                UnwindFrame* out, int max) noexcept;
// Walks the calling thread's stack, starting with the caller of unwind_self.
int unwind_self(std::uintptr_t stack_lo, std::uintptr_t stack_hi, UnwindFrame* out,
                int max) noexcept;

// The function containing pc: fills out->name (mangled) and out->off;
// false if the unwinder is unavailable or pc is in no known function.
bool symbolize(std::uintptr_t pc, UnwindFrame* out) noexcept;

// The object file (executable or shared library) that contains pc, or "".
const char* module_of(std::uintptr_t pc) noexcept;

}  // namespace gmpkit::rt
