// core/context.hpp — the machine context switch (docs/ARCHITECTURE.md §2 seam 3).
//
// A Context is the callee-saved state of a suspended stack: what the SysV
// ABI says survives a call (rbx, rbp, r12–r15, rsp, the return address, and
// the MXCSR / x87 control words). Everything else is caller-saved, so a
// switch is just "save callee-saved, load callee-saved, jump" — the same
// contract as Go's gogo/gosave and Boost.Context's jump_fcontext.
//
// gmpkit_ctx_switch(from, to) is hand-written assembly (context_x86_64.S);
// the offsets it uses are static_assert-ed below against this struct. We
// measured it against Boost.Context's jump_fcontext (stress/bench/
// bench_context.cpp) and kept it: see docs/RUNTIME.md "Context switch".
//
// A fresh context starts at gmpkit_ctx_entry, which calls fn(arg) from
// r12/r13 on an aligned stack and marks the return address undefined in its
// CFI so unwinders and debuggers stop there.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gmpkit::core {

struct Context {
#if defined(__x86_64__)
  std::uint64_t rbx, rbp, r12, r13, r14, r15;
  std::uint64_t rsp;
  std::uint64_t rip;
  std::uint32_t mxcsr;
  std::uint16_t fpucw;
  std::uint16_t pad;
#else
#error "gmpkit: only x86-64 has a context switch so far"
#endif
};

#if defined(__x86_64__)
// Keep in sync with context_x86_64.S.
static_assert(offsetof(Context, rbx) == 0);
static_assert(offsetof(Context, rbp) == 8);
static_assert(offsetof(Context, r12) == 16);
static_assert(offsetof(Context, r13) == 24);
static_assert(offsetof(Context, r14) == 32);
static_assert(offsetof(Context, r15) == 40);
static_assert(offsetof(Context, rsp) == 48);
static_assert(offsetof(Context, rip) == 56);
static_assert(offsetof(Context, mxcsr) == 64);
static_assert(offsetof(Context, fpucw) == 68);
static_assert(sizeof(Context) == 72);
#endif

}  // namespace gmpkit::core

extern "C" {
// Saves the current state into *from and resumes *to. Returns when someone
// switches back to *from.
void gmpkit_ctx_switch(gmpkit::core::Context* from, const gmpkit::core::Context* to);
// Entry stub for fresh contexts (never called directly).
void gmpkit_ctx_entry();
}

namespace gmpkit::core {

// Prepares ctx so that switching to it runs fn(arg) on [stack_lo, stack_hi).
// fn must never return (it ends by switching away for good).
inline void make_context(Context* ctx, void* stack_hi, void (*fn)(void*), void* arg) {
  auto top = reinterpret_cast<std::uintptr_t>(stack_hi) & ~std::uintptr_t{15};
  *ctx = Context{};
  ctx->rsp = top;  // gmpkit_ctx_entry is jumped to (not called): rsp is 16-aligned there
  ctx->rip = reinterpret_cast<std::uint64_t>(&gmpkit_ctx_entry);
  ctx->r12 = reinterpret_cast<std::uint64_t>(fn);
  ctx->r13 = reinterpret_cast<std::uint64_t>(arg);
  ctx->mxcsr = 0x1f80;  // ABI default: all exceptions masked, round to nearest
  ctx->fpucw = 0x037f;  // ABI default x87 control word
}

}  // namespace gmpkit::core
