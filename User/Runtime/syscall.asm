; The one system-call stub: int64_t swiftmm_syscall6(uint64_t number, uint64_t a1, ..., a6).
;
; The SysV C call delivers number, a1..a5 in rdi rsi rdx rcx r8 r9 and a6 on the stack; the
; SwiftMM syscall ABI (docs/syscalls.md) wants number in rax and a1..a6 in rdi rsi rdx r10 r8 r9.
; `syscall` clobbers rcx and r11, which are caller-saved in SysV, so nothing needs saving.
; The result (rax) is the value or -errno.

bits 64
default rel

section .text.swiftmm_syscall6 progbits alloc exec nowrite align=16
global swiftmm_syscall6

swiftmm_syscall6:
    mov rax, rdi
    mov rdi, rsi
    mov rsi, rdx
    mov rdx, rcx
    mov r10, r8
    mov r8, r9
    mov r9, [rsp + 8]
    syscall
    ret
