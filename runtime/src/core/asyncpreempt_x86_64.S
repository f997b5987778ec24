// core/asyncpreempt_x86_64.S — gmpkit_async_preempt, the function the
// preemption signal handler injects into a goroutine (Go's asyncPreempt,
// preempt_amd64.s), for x86-64 SysV.
//
// The handler (platform/signal_linux.cpp, on_preempt) has made the
// interrupted thread look as if the goroutine had called us from the
// interrupted pc, *below the red zone*:
//
//     orig_rsp - 128 .. orig_rsp   the red zone (never written)
//     orig_rsp - 136               the interrupted pc  <- rsp on entry
//
// We save everything the interrupted code may be using — all 15 general
// registers other than rsp, RFLAGS, and the whole extended state with XSAVE
// (x87, MXCSR, XMM/YMM, AVX-512 zmm0-31 and k0-7, whatever XCR0 enables;
// FXSAVE on CPUs without XSAVE) — call gmpkit_async_preempt2 (C++, in
// sysmon/preempt.cpp), which switches away and returns when the goroutine is
// scheduled again, possibly on another thread, and restore it all.
// `ret $128` pops the interrupted pc and then the red-zone gap, so rsp is
// exactly orig_rsp again.
//
// Frame (offsets from the CFA = orig_rsp):
//   -136 pc, -144 rflags, -152 rax, -160 rbx, -168 rcx, -176 rdx, -184 rsi,
//   -192 rdi, -200 rbp, -208 r8 ... -264 r15;  rbp = CFA - 264 afterwards;
//   below: the XSAVE area (gmpkit_xsave_size bytes, 64-byte aligned).
// sysmon/preempt.cpp static_asserts the same numbers (AsyncPreemptFrame).

#define FRAME_PC      136
#define FRAME_REGS    264   /* CFA - rsp after the 16 pushes */
#define XSAVE_HEADER  512   /* the XSAVE header follows the 512-byte legacy area */

    .text
    .globl gmpkit_async_preempt
    .hidden gmpkit_async_preempt
    .type gmpkit_async_preempt, @function
    .p2align 4
gmpkit_async_preempt:
    .cfi_startproc
    .cfi_signal_frame               // the "caller" pc is exact (not a return address)
    .cfi_def_cfa rsp, FRAME_PC
    .cfi_offset rip, -FRAME_PC
    pushfq
    .cfi_adjust_cfa_offset 8
    pushq   %rax
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rax, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbx, 0
    pushq   %rcx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rcx, 0
    pushq   %rdx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rdx, 0
    pushq   %rsi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rsi, 0
    pushq   %rdi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rdi, 0
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbp, 0
    pushq   %r8
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r8, 0
    pushq   %r9
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r9, 0
    pushq   %r10
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r10, 0
    pushq   %r11
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r11, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r15, 0
    movq    %rsp, %rbp
    .cfi_def_cfa rbp, FRAME_REGS
    cld                             // the ABI wants DF = 0 at every call

    // The extended state, 64-byte aligned as XSAVE requires.
    subq    gmpkit_xsave_size(%rip), %rsp
    andq    $-64, %rsp
    movq    gmpkit_xsave_mask(%rip), %rax
    testq   %rax, %rax
    jz      1f
    // XSAVE writes only XSTATE_BV of the header; XRSTOR faults unless the
    // rest of it is zero, and this is recycled stack memory.
    xorl    %ecx, %ecx
    movq    %rcx, XSAVE_HEADER+0(%rsp)
    movq    %rcx, XSAVE_HEADER+8(%rsp)
    movq    %rcx, XSAVE_HEADER+16(%rsp)
    movq    %rcx, XSAVE_HEADER+24(%rsp)
    movq    %rcx, XSAVE_HEADER+32(%rsp)
    movq    %rcx, XSAVE_HEADER+40(%rsp)
    movq    %rcx, XSAVE_HEADER+48(%rsp)
    movq    %rcx, XSAVE_HEADER+56(%rsp)
    movq    %rax, %rdx
    shrq    $32, %rdx                // edx:eax = the requested-feature bitmap (XCR0)
    xsave64 (%rsp)
    testl   $4, %eax                 // AVX enabled: clean upper halves for the C++ code
    jz      2f
    vzeroupper
    jmp     2f
1:
    fxsave64 (%rsp)
2:
    fninit                          // empty x87 stack, default control word (ABI state)
    ldmxcsr gmpkit_default_mxcsr(%rip)

    call    gmpkit_async_preempt2   // returns when the goroutine runs again

    movq    gmpkit_xsave_mask(%rip), %rax
    testq   %rax, %rax
    jz      3f
    movq    %rax, %rdx
    shrq    $32, %rdx
    xrstor64 (%rsp)
    jmp     4f
3:
    fxrstor64 (%rsp)
4:
    movq    %rbp, %rsp
    .cfi_def_cfa rsp, FRAME_REGS
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %r11
    .cfi_adjust_cfa_offset -8
    popq    %r10
    .cfi_adjust_cfa_offset -8
    popq    %r9
    .cfi_adjust_cfa_offset -8
    popq    %r8
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    popq    %rdi
    .cfi_adjust_cfa_offset -8
    popq    %rsi
    .cfi_adjust_cfa_offset -8
    popq    %rdx
    .cfi_adjust_cfa_offset -8
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rax
    .cfi_adjust_cfa_offset -8
    popfq
    .cfi_adjust_cfa_offset -8
    ret     $128
    .cfi_endproc
    .size gmpkit_async_preempt, .-gmpkit_async_preempt

    .section .rodata
    .p2align 2
    .hidden gmpkit_default_mxcsr
gmpkit_default_mxcsr:
    .long   0x1f80                   // SysV default: all exceptions masked, round to nearest

    .section .note.GNU-stack,"",@progbits
