// stress/bench/context_bench.cpp — the raw machine context switch, no
// scheduler: a "main" context and one coroutine on an mmap'd stack bounce
// control back and forth. One benchmark iteration = one round trip
// (main -> coroutine -> main, i.e. two switches).
//
//   BM_CtxSwitch_Asm            our gmpkit_ctx_switch (core/context_x86_64.S)
//   BM_CtxSwitch_BoostFcontext  Boost.Context's jump_fcontext/make_fcontext
//   BM_CtxSwitch_BoostFiber     boost::context::fiber (the high-level API, for reference)
//   BM_CtxSwitch_AsmNoFpCsr     reference only: a copy of our switch without the
//                               MXCSR / x87 control word save+restore (what Go's
//                               gogo does), to show what those four instructions cost
//   BM_CtxSwitch_AsmFpCsrCompare reference only: saves both words as ours does but
//                               reloads them only when they differ (ABI-complete;
//                               prices a possible change to context_x86_64.S)
//
// The hand-written switch is kept only while it is as fast as Boost.Context;
// compare the first two rows. Both do the same work:
// Boost 1.74's jump_fcontext also saves/restores MXCSR and the x87 control
// word, and stores the six callee-saved registers (on the stack instead of
// in a struct). Boost.Context is linked statically (CMakeLists.txt), as our
// switch is, so neither pays a PLT jump. The loop bodies are identical: one
// out-of-line call per switch into the other context, which bumps a counter
// (checked afterwards, so the switch provably happened once per iteration).
// Times are single-thread CPU-bound; on a shared machine compare the CPU
// column and several repetitions (--benchmark_repetitions=5
// --benchmark_enable_random_interleaving=true).
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <boost/context/detail/fcontext.hpp>
#include <boost/context/fiber.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/context.hpp"

namespace {

constexpr std::size_t kStackSize = 64 * 1024;

// An mmap'd stack with a PROT_NONE guard page at the bottom.
struct MmapStack {
  char* base = nullptr;
  std::size_t len = kStackSize + 4096;
  MmapStack() {
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      std::perror("mmap");
      std::abort();
    }
    base = static_cast<char*>(p);
    ::mprotect(base, 4096, PROT_NONE);
  }
  ~MmapStack() { ::munmap(base, len); }
  MmapStack(const MmapStack&) = delete;
  MmapStack& operator=(const MmapStack&) = delete;
  char* hi() const { return base + len; }
  std::size_t usable() const { return len - 4096; }
};

// One iteration is two switches; Google Benchmark divides by the elapsed
// seconds (kIsRate) and inverts (kInvert): time per switch, in seconds in
// the JSON ("6.2ns" on the console).
benchmark::Counter per_switch(const benchmark::State& state) {
  return benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                            benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// ---------------------------------------------------------------------------
// gmpkit_ctx_switch
struct AsmPair {
  gmpkit::core::Context main{}, co{};
  std::uint64_t count = 0;
};

[[noreturn]] void asm_co_body(void* arg) {
  auto* p = static_cast<AsmPair*>(arg);
  for (;;) {
    ++p->count;
    gmpkit_ctx_switch(&p->co, &p->main);
  }
}

void BM_CtxSwitch_Asm(benchmark::State& state) {
  MmapStack stack;
  AsmPair pair;
  gmpkit::core::make_context(&pair.co, stack.hi(), asm_co_body, &pair);
  for (auto _ : state) {
    gmpkit_ctx_switch(&pair.main, &pair.co);
  }
  benchmark::DoNotOptimize(pair.count);
  if (pair.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("coroutine did not run once per iteration");
  state.SetItemsProcessed(state.iterations());
  state.counters["per_switch"] = per_switch(state);
  state.SetLabel("round trip = 2 switches");
  // The coroutine stays suspended inside its loop; it owns nothing, so
  // unmapping its stack is enough.
}
BENCHMARK(BM_CtxSwitch_Asm);

// ---------------------------------------------------------------------------
// Boost.Context, low level: jump_fcontext / make_fcontext.
namespace bcd = boost::context::detail;

struct FctxPair {
  std::uint64_t count = 0;
};

void fctx_co_body(bcd::transfer_t t) {
  auto* p = static_cast<FctxPair*>(t.data);
  for (;;) {
    ++p->count;
    t = bcd::jump_fcontext(t.fctx, nullptr);
  }
}

void BM_CtxSwitch_BoostFcontext(benchmark::State& state) {
  MmapStack stack;
  FctxPair pair;
  bcd::fcontext_t co = bcd::make_fcontext(stack.hi(), stack.usable(), fctx_co_body);
  // First jump enters the body with &pair; it counts once and jumps back.
  co = bcd::jump_fcontext(co, &pair).fctx;
  pair.count = 0;
  for (auto _ : state) {
    co = bcd::jump_fcontext(co, nullptr).fctx;
  }
  benchmark::DoNotOptimize(pair.count);
  if (pair.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("coroutine did not run once per iteration");
  state.SetItemsProcessed(state.iterations());
  state.counters["per_switch"] = per_switch(state);
  state.SetLabel("round trip = 2 switches");
}
BENCHMARK(BM_CtxSwitch_BoostFcontext);

// ---------------------------------------------------------------------------
// boost::context::fiber (allocates its own stack; resume() by move).
void BM_CtxSwitch_BoostFiber(benchmark::State& state) {
  namespace ctx = boost::context;
  std::uint64_t count = 0;
  ctx::fiber f{std::allocator_arg, ctx::fixedsize_stack(kStackSize), [&count](ctx::fiber&& main) {
                 for (;;) {
                   ++count;
                   main = std::move(main).resume();
                 }
                 return std::move(main);
               }};
  for (auto _ : state) {
    f = std::move(f).resume();
  }
  benchmark::DoNotOptimize(count);
  if (count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("fiber did not run once per iteration");
  state.SetItemsProcessed(state.iterations());
  state.counters["per_switch"] = per_switch(state);
  state.SetLabel("round trip = 2 switches");
  // ~fiber unwinds the suspended fiber (boost's forced_unwind) and frees its stack.
}
BENCHMARK(BM_CtxSwitch_BoostFiber);

}  // namespace

// ---------------------------------------------------------------------------
// Reference: gmpkit_ctx_switch minus stmxcsr/fnstcw/ldmxcsr/fldcw. Same
// Context layout. Not ABI-complete (a callee that changes the rounding mode
// would leak it), which is why the runtime does not use it; it is here only
// to price those instructions on this CPU.
extern "C" void bench_ctx_switch_nofp(gmpkit::core::Context* from, const gmpkit::core::Context* to);
asm(R"(
    .text
    .globl bench_ctx_switch_nofp
    .type bench_ctx_switch_nofp, @function
    .p2align 4
bench_ctx_switch_nofp:
    movq    (%rsp), %rax
    leaq    8(%rsp), %rdx
    movq    %rbx, 0(%rdi)
    movq    %rbp, 8(%rdi)
    movq    %r12, 16(%rdi)
    movq    %r13, 24(%rdi)
    movq    %r14, 32(%rdi)
    movq    %r15, 40(%rdi)
    movq    %rdx, 48(%rdi)
    movq    %rax, 56(%rdi)
    movq    0(%rsi), %rbx
    movq    8(%rsi), %rbp
    movq    16(%rsi), %r12
    movq    24(%rsi), %r13
    movq    32(%rsi), %r14
    movq    40(%rsi), %r15
    movq    48(%rsi), %rsp
    jmpq    *56(%rsi)
    .size bench_ctx_switch_nofp, .-bench_ctx_switch_nofp
)");

// Reference: gmpkit_ctx_switch with the same saves, but ldmxcsr/fldcw only
// when the target's value differs from the current one (the common case is
// "equal": nobody changes the rounding mode). ABI-complete like the real
// switch; here to price a possible optimisation of context_x86_64.S.
extern "C" void bench_ctx_switch_fpcmp(gmpkit::core::Context* from,
                                       const gmpkit::core::Context* to);
asm(R"(
    .text
    .globl bench_ctx_switch_fpcmp
    .type bench_ctx_switch_fpcmp, @function
    .p2align 4
bench_ctx_switch_fpcmp:
    movq    (%rsp), %rax
    leaq    8(%rsp), %rdx
    movq    %rbx, 0(%rdi)
    movq    %rbp, 8(%rdi)
    movq    %r12, 16(%rdi)
    movq    %r13, 24(%rdi)
    movq    %r14, 32(%rdi)
    movq    %r15, 40(%rdi)
    movq    %rdx, 48(%rdi)
    movq    %rax, 56(%rdi)
    stmxcsr 64(%rdi)
    fnstcw  68(%rdi)
    movq    0(%rsi), %rbx
    movq    8(%rsi), %rbp
    movq    16(%rsi), %r12
    movq    24(%rsi), %r13
    movq    32(%rsi), %r14
    movq    40(%rsi), %r15
    movl    64(%rdi), %ecx
    cmpl    64(%rsi), %ecx
    je      1f
    ldmxcsr 64(%rsi)
1:  movw    68(%rdi), %cx
    cmpw    68(%rsi), %cx
    je      2f
    fldcw   68(%rsi)
2:  movq    48(%rsi), %rsp
    jmpq    *56(%rsi)
    .size bench_ctx_switch_fpcmp, .-bench_ctx_switch_fpcmp
)");

namespace {

[[noreturn]] void nofp_co_body(void* arg) {
  auto* p = static_cast<AsmPair*>(arg);
  for (;;) {
    ++p->count;
    bench_ctx_switch_nofp(&p->co, &p->main);
  }
}

void BM_CtxSwitch_AsmNoFpCsr(benchmark::State& state) {
  MmapStack stack;
  AsmPair pair;
  // make_context's entry stub (gmpkit_ctx_entry) only reads r12/r13/rsp/rip.
  gmpkit::core::make_context(&pair.co, stack.hi(), nofp_co_body, &pair);
  for (auto _ : state) {
    bench_ctx_switch_nofp(&pair.main, &pair.co);
  }
  benchmark::DoNotOptimize(pair.count);
  if (pair.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("coroutine did not run once per iteration");
  state.SetItemsProcessed(state.iterations());
  state.counters["per_switch"] = per_switch(state);
  state.SetLabel("reference only: no MXCSR/x87 CW save");
}
BENCHMARK(BM_CtxSwitch_AsmNoFpCsr);

}  // namespace

namespace {

[[noreturn]] void fpcmp_co_body(void* arg) {
  auto* p = static_cast<AsmPair*>(arg);
  for (;;) {
    ++p->count;
    bench_ctx_switch_fpcmp(&p->co, &p->main);
  }
}

void BM_CtxSwitch_AsmFpCsrCompare(benchmark::State& state) {
  MmapStack stack;
  AsmPair pair;
  gmpkit::core::make_context(&pair.co, stack.hi(), fpcmp_co_body, &pair);
  for (auto _ : state) {
    bench_ctx_switch_fpcmp(&pair.main, &pair.co);
  }
  benchmark::DoNotOptimize(pair.count);
  if (pair.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("coroutine did not run once per iteration");
  state.SetItemsProcessed(state.iterations());
  state.counters["per_switch"] = per_switch(state);
  state.SetLabel("reference: load MXCSR/x87 CW only if different");
}
BENCHMARK(BM_CtxSwitch_AsmFpCsrCompare);

}  // namespace
