; The kernel's stack-protector canary (Swift's -enable-stack-protector on the Kernel module, see
; the Makefile): __stack_chk_guard, chosen before any Swift function runs, so every canary the
; kernel ever pushes is compared with the same value. 64 bits from RDRAND when CPUID.1:ECX.30
; says the CPU has it (retried, RDRAND may have no data yet), else the time-stamp counter run
; through a multiply-xorshift mix. The lowest byte is zero, as glibc does: a string overflow that
; copies up to a NUL cannot reproduce the canary.
; __stack_chk_fail (a smashed canary) is in Kernel/Runtime/runtime.c: it panics naming it.

bits 64
%include "boot/random-seed.inc"

section .text
global stack_guard_initialize
stack_guard_initialize:                 ; void stack_guard_initialize(void); clobbers rax rcx rdx
    push rbx
    RDRAND_OR_TSC .store
    mov rcx, 0x9E3779B97F4A7C15
    imul rax, rcx
    mov rcx, rax
    shr rcx, 29
    xor rax, rcx
.store:
    xor al, al
    mov [rel __stack_chk_guard], rax
    pop rbx
    ret

; uint64_t kernel_random_seed(void): 64 fresh bits from the same source (RDRAND, else the TSC),
; for keys chosen after boot (the kernel heap's slab cookie key); the caller mixes them.
global kernel_random_seed
kernel_random_seed:
    push rbx
    RDRAND_OR_TSC .seeded
.seeded:
    pop rbx
    ret

section .data
global __stack_chk_guard
align 8
__stack_chk_guard: dq 0
