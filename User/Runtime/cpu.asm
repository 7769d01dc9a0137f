; CPU-level helpers a Swift program cannot write (no inline assembly): the heap secret's entropy,
; the control words of the x87/SSE state, RFLAGS games, and the hostile instruction probes
; (User/Programs/fault_probe). Each function sits in its own section, so a program links only
; what it calls (--gc-sections). SysV calling convention throughout.

bits 64
default rel
%include "boot/random-seed.inc"

RFLAGS_TF equ 1 << 8
SYSCALL_WRITE equ 1
SYSCALL_EXIT equ 0

; uint64_t user_random_seed(void): 64 bits from RDRAND when CPUID.1:ECX.30 says the CPU has it
; (retried: RDRAND may report "no data yet" with CF = 0), else the time-stamp counter mixed with
; the stack address (which the kernel fixes today, so the TSC carries the entropy). The caller
; (HeapSecret) mixes the result further.
section .text.user_random_seed progbits alloc exec nowrite align=16
global user_random_seed
user_random_seed:
    push rbx
    RDRAND_OR_TSC .done
    xor rax, rsp
.done:
    pop rbx
    ret

; uint16_t user_fpu_control_word(void) / void user_set_fpu_control_word(uint16_t)
section .text.user_fpu_control_word progbits alloc exec nowrite align=16
global user_fpu_control_word, user_set_fpu_control_word
user_fpu_control_word:
    sub rsp, 8
    fnstcw [rsp]
    movzx eax, word [rsp]
    add rsp, 8
    ret
user_set_fpu_control_word:
    sub rsp, 8
    mov [rsp], di
    fldcw [rsp]
    add rsp, 8
    ret

; uint16_t user_fpu_status_word(void): FSW (bits 11-13: top of the x87 stack)
; uint16_t user_fpu_tag_word(void): the full x87 tag word (0xFFFF: every register empty)
section .text.user_fpu_status_word progbits alloc exec nowrite align=16
global user_fpu_status_word, user_fpu_tag_word
user_fpu_status_word:
    fnstsw ax
    movzx eax, ax
    ret
user_fpu_tag_word:
    sub rsp, 40
    fnstenv [rsp]                       ; 28-byte environment: the tag word at offset 8
    movzx eax, word [rsp + 8]
    fldenv [rsp]                        ; fnstenv masks exceptions: put the environment back
    add rsp, 40
    ret

; uint32_t user_mxcsr(void) / void user_set_mxcsr(uint32_t)
section .text.user_mxcsr progbits alloc exec nowrite align=16
global user_mxcsr, user_set_mxcsr
user_mxcsr:
    sub rsp, 8
    stmxcsr [rsp]
    mov eax, [rsp]
    add rsp, 8
    ret
user_set_mxcsr:
    sub rsp, 8
    mov [rsp], edi
    ldmxcsr [rsp]
    add rsp, 8
    ret

; void user_fill_x87_stack(void): pushes 1.0 eight times, leaving the x87 stack full (and the
; next push would be a stack fault): state a careless program could leave behind.
section .text.user_fill_x87_stack progbits alloc exec nowrite align=16
global user_fill_x87_stack
user_fill_x87_stack:
%rep 8
    fld1
%endrep
    ret

; uint64_t user_write_with_rflags(uint64_t set_bits, const void *buffer, uint64_t length)
; Sets `set_bits` in RFLAGS (pushfq/popfq: the CPU ignores what ring 3 may not change), makes a
; write syscall, and returns RFLAGS as the kernel handed it back; then clears DF and AC again,
; so the Swift caller runs with the flags its ABI expects.
section .text.user_write_with_rflags progbits alloc exec nowrite align=16
global user_write_with_rflags
user_write_with_rflags:
    mov r8, rdi
    mov rdi, rsi
    mov rsi, rdx
    mov eax, SYSCALL_WRITE
    pushfq
    or [rsp], r8
    popfq
    syscall
    pushfq
    pop rax
    push 0x202                          ; IF set, everything else clear: what the SysV ABI wants
    popfq
    ret

; noreturn void user_exit_with_rflags(uint64_t set_bits, int code): exits with RFLAGS still dirty.
section .text.user_exit_with_rflags progbits alloc exec nowrite align=16
global user_exit_with_rflags
user_exit_with_rflags:
    pushfq
    or [rsp], rdi
    popfq
    mov edi, esi
    mov eax, SYSCALL_EXIT
    syscall
    ud2

; The hostile probes: each does one thing a program may not do; none is expected to return.
; User/Programs/fault_probe is linked once per probe with `--defsym=hostile_probe=probe_NAME`.
section .text.probes progbits alloc exec nowrite align=16
global probe_int3, probe_int4, probe_int80, probe_ud2, probe_divide, probe_hlt, probe_cli
global probe_in, probe_out, probe_cr3, probe_wrmsr, probe_dirty_flags_fault, probe_tf_syscall
probe_int3:
    int3
    ret
probe_int4:
    int 4
    ret
probe_int80:
    int 0x80
    ret
probe_ud2:
    ud2
    ret
probe_divide:
    xor edx, edx
    xor eax, eax
    xor ecx, ecx
    div ecx
    ret
probe_hlt:
    hlt
    ret
probe_cli:
    cli
    ret
probe_in:
    mov dx, 0x3F8
    in al, dx
    ret
probe_out:
    mov dx, 0xF4                        ; QEMU's exit port: a program must not power the machine off
    mov eax, 0x10
    out dx, eax
    ret
probe_cr3:
    xor eax, eax
    mov cr3, rax
    ret
probe_wrmsr:
    mov ecx, 0xC0000082                 ; LSTAR: the syscall entry point
    xor eax, eax
    xor edx, edx
    wrmsr
    ret
; NT, AC and DF set, then a fault: the kernel must not carry any of them into its own code.
probe_dirty_flags_fault:
    pushfq
    or qword [rsp], (1 << 14) | (1 << 18) | (1 << 10)
    popfq
    ud2
    ret
; TF set, then a syscall: the kernel runs with TF clear, returns through iretq, and the single-step
; trap then lands in ring 3 (debug).
probe_tf_syscall:
    mov eax, 5                          ; memstat(0): -EFAULT, harmless
    xor edi, edi
    pushfq
    or qword [rsp], RFLAGS_TF
    popfq                               ; TF takes effect from the next instruction: the syscall
    syscall
    ret

; void user_store_below_stack(uint64_t offset): stores one byte at rsp - offset without moving rsp
; (what the first touch of a frame larger than the guard would do).
section .text.user_store_below_stack progbits alloc exec nowrite align=16
global user_store_below_stack
user_store_below_stack:
    mov rax, rsp
    sub rax, rdi
    mov byte [rax], 1
    ret
