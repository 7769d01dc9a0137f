; _start: the first instruction of every SwiftMM user program.
;
; Contract with the kernel (docs/syscalls.md, "Process start"): rsp points at the top of a 64 KiB
; stack and is 16-byte aligned, rdi = 0, no other register carries meaning. The program's Swift
; entry `user_main` (an @_cdecl function returning Int32) is called with the SysV ABI's
; requirement rsp = 0 (mod 16) at the call; its result is the exit code. Buffered console output
; is flushed before the exit syscall, so a program that returns never loses its last line.

bits 64
default rel

SYSCALL_EXIT equ 0

section .text._start progbits alloc exec nowrite align=16
global _start
extern user_main
extern swiftmm_console_flush

_start:
    xor ebp, ebp                ; a zero frame pointer ends every backtrace here
    and rsp, -16                ; do not trust the alignment we were given
    call user_main
    movsxd rbx, eax             ; the exit code, sign-extended; rbx survives the flush call
    call swiftmm_console_flush
    mov rdi, rbx
    mov eax, SYSCALL_EXIT
    syscall
    ud2                         ; exit never returns: reaching this is a kernel bug
