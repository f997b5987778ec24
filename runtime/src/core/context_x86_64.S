// gmpkit_ctx_switch / gmpkit_ctx_entry for x86-64 SysV.
// Offsets must match struct Context in context.hpp (static_assert-ed there).
#define CTX_RBX 0
#define CTX_RBP 8
#define CTX_R12 16
#define CTX_R13 24
#define CTX_R14 32
#define CTX_R15 40
#define CTX_RSP 48
#define CTX_RIP 56
#define CTX_MXCSR 64
#define CTX_FPUCW 68

    .text
    .globl gmpkit_ctx_switch
    .type gmpkit_ctx_switch, @function
    .p2align 4
// void gmpkit_ctx_switch(Context* from /*rdi*/, const Context* to /*rsi*/)
gmpkit_ctx_switch:
    .cfi_startproc
    movq    (%rsp), %rax            // our return address
    leaq    8(%rsp), %rdx           // rsp as it will be after we "return"
    movq    %rbx, CTX_RBX(%rdi)
    movq    %rbp, CTX_RBP(%rdi)
    movq    %r12, CTX_R12(%rdi)
    movq    %r13, CTX_R13(%rdi)
    movq    %r14, CTX_R14(%rdi)
    movq    %r15, CTX_R15(%rdi)
    movq    %rdx, CTX_RSP(%rdi)
    movq    %rax, CTX_RIP(%rdi)
    stmxcsr CTX_MXCSR(%rdi)
    fnstcw  CTX_FPUCW(%rdi)

    movq    CTX_RBX(%rsi), %rbx
    movq    CTX_RBP(%rsi), %rbp
    movq    CTX_R12(%rsi), %r12
    movq    CTX_R13(%rsi), %r13
    movq    CTX_R14(%rsi), %r14
    movq    CTX_R15(%rsi), %r15
    ldmxcsr CTX_MXCSR(%rsi)
    fldcw   CTX_FPUCW(%rsi)
    movq    CTX_RSP(%rsi), %rsp
    jmpq    *CTX_RIP(%rsi)
    .cfi_endproc
    .size gmpkit_ctx_switch, .-gmpkit_ctx_switch

    .globl gmpkit_ctx_entry
    .type gmpkit_ctx_entry, @function
    .p2align 4
// First code of a fresh context: r12 = fn, r13 = arg. fn never returns.
gmpkit_ctx_entry:
    .cfi_startproc
    .cfi_undefined rip              // bottom of the goroutine stack: stop unwinding here
    xorl    %ebp, %ebp
    movq    %r13, %rdi
    callq   *%r12
    ud2
    .cfi_endproc
    .size gmpkit_ctx_entry, .-gmpkit_ctx_entry

    .section .note.GNU-stack,"",@progbits
