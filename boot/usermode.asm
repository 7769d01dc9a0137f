; Ring transitions: entering user mode, the `syscall` entry, and coming back to the kernel when a
; process exits or is killed.
;
; The kernel runs one user process at a time. `user_enter` saves the kernel's callee-saved
; registers and stack pointer in a KernelContext (like setjmp), points the TSS's RSP0 and the
; syscall stack at the kernel stack just below that, and drops to ring 3 with iretq. A process
; ends when Swift calls `user_resume_kernel` (from the exit syscall or from the exception handler
; after a fault in ring 3): it reloads the saved context (like longjmp), so `user_enter` returns
; the given status to the Swift code that called it. Interrupts are on only in user mode: the
; kernel itself always runs with them off (interrupt gates and SFMASK clear IF), and the timer
; only checks the process's CPU time (ProcessClock), to kill one that runs past its limit.
; Both ways out of ring 3 into kernel code that outlives the process (user_enter's caller, via
; user_resume_kernel) load a known RFLAGS, so nothing a program set (NT, AC, DF...) survives it.
;
; KernelContext layout (Kernel/Process/UserMode.swift mirrors it): rbx rbp r12 r13 r14 r15 rsp rip

bits 64
%include "boot/registers.inc"
section .text
extern kernel_handle_syscall

USER_CODE_SELECTOR equ 0x28 | 3
USER_DATA_SELECTOR equ 0x20 | 3
USER_RFLAGS        equ 0x202            ; reserved bit 1 set; IF set: the timer can stop a runaway program
KERNEL_RFLAGS      equ 0x002            ; the one RFLAGS value kernel code runs with (IF, DF, AC, NT... clear)
; RFLAGS bits a program may carry across a syscall (its own business): CF PF AF ZF SF TF DF OF AC ID.
; Everything else (IOPL, NT, RF, VM, VIF, VIP) is never handed back to ring 3; IF and bit 1 are forced.
USER_RFLAGS_KEPT   equ 0x240DD5
RFLAGS_TF          equ 1 << 8
USER_SPACE_END     equ 0x0000800000000000   ; first non-canonical address: sysret must never see it

global user_enter
; uint64_t user_enter(KernelContext *context, uint64_t entry, uint64_t user_stack, uint64_t argument)
user_enter:
    push KERNEL_RFLAGS
    popfq
    mov [rdi + 0 * 8], rbx
    mov [rdi + 1 * 8], rbp
    mov [rdi + 2 * 8], r12
    mov [rdi + 3 * 8], r13
    mov [rdi + 4 * 8], r14
    mov [rdi + 5 * 8], r15
    lea rax, [rsp + 8]                  ; the caller's rsp after `ret`
    mov [rdi + 6 * 8], rax
    mov rax, [rsp]                      ; return address
    mov [rdi + 7 * 8], rax

    ; Kernel stack for syscalls and for interrupts from ring 3: just below this frame.
    mov rax, rsp
    and rax, -16
    sub rax, 64
    mov [rel syscall_kernel_stack_top], rax
    mov [rel task_state_segment + 4], rax   ; TSS.RSP0

    mov rax, [rel user_fpu_area]        ; the process's x87/SSE state (clean at its start)
    fxrstor64 [rax]

    mov rdi, rcx                        ; the process's first argument
    push USER_DATA_SELECTOR             ; ss
    push rdx                            ; rsp
    push USER_RFLAGS                    ; rflags
    push USER_CODE_SELECTOR             ; cs
    push rsi                            ; rip
    ; No kernel value may leak into user registers.
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    mov ax, USER_DATA_SELECTOR
    mov ds, ax
    mov es, ax
    xor eax, eax
    iretq

global user_resume_kernel
; noreturn void user_resume_kernel(KernelContext *context, uint64_t status)
user_resume_kernel:
    push KERNEL_RFLAGS                  ; whatever the process left in RFLAGS stays behind
    popfq
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rbx, [rdi + 0 * 8]
    mov rbp, [rdi + 1 * 8]
    mov r12, [rdi + 2 * 8]
    mov r13, [rdi + 3 * 8]
    mov r14, [rdi + 4 * 8]
    mov r15, [rdi + 5 * 8]
    mov rsp, [rdi + 6 * 8]
    mov rax, rsi
    jmp [rdi + 7 * 8]

; The `syscall` instruction lands here (LSTAR) with RFLAGS = 0x2 (SFMASK clears IF, TF, DF, NT,
; AC, IOPL and the arithmetic flags: Kernel/Arch/x86_64/SyscallMSRs.swift): rcx = user rip,
; r11 = user rflags, rsp still the user stack. The stub switches to the kernel stack, builds a
; SyscallFrame whose top is an iretq frame, saves the program's x87/SSE state and gives the kernel
; a clean one, and calls kernel_handle_syscall(frame), which leaves the result in frame.rax.
; Layout (Kernel/Process/SyscallFrame.swift mirrors it), from the frame pointer upwards:
;   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax  user_rip user_cs user_rflags user_rsp user_ss
; The way back is sysret, except when the user's RFLAGS has TF set or its rip is not canonical:
; then iretq (as Linux does). sysret with TF set traps right after it, and on Intel a non-canonical
; rcx makes sysret fault in ring 0 on the user's stack.
global syscall_entry
syscall_entry:
    mov [rel syscall_user_rsp], rsp
    mov rsp, [rel syscall_kernel_stack_top]
    push USER_DATA_SELECTOR             ; ss
    push qword [rel syscall_user_rsp]   ; rsp
    push r11                            ; rflags
    push USER_CODE_SELECTOR             ; cs
    push rcx                            ; rip
    PUSH_GENERAL_REGISTERS
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    cld
    SAVE_USER_FPU
    mov rdi, rsp
    call kernel_handle_syscall
    RESTORE_USER_FPU
    ; Only the bits a program owns go back to it (never NT, IOPL or RF), with IF on.
    mov rax, [rsp + 17 * 8]
    and rax, USER_RFLAGS_KEPT
    or rax, USER_RFLAGS
    mov [rsp + 17 * 8], rax
    mov ax, USER_DATA_SELECTOR
    mov ds, ax
    mov es, ax
    POP_GENERAL_REGISTERS
    test qword [rsp + 2 * 8], RFLAGS_TF
    jnz .return_with_iretq
    mov rcx, USER_SPACE_END
    cmp [rsp], rcx
    jae .return_with_iretq
    mov rcx, [rsp]                      ; user rip
    mov r11, [rsp + 2 * 8]              ; user rflags, as the frame now says
    mov rsp, [rsp + 3 * 8]              ; user rsp
    o64 sysret
.return_with_iretq:
    mov rcx, [rsp]                      ; the same registers as sysret would leave
    mov r11, [rsp + 2 * 8]
    iretq

section .rodata
global default_mxcsr
default_mxcsr: dd 0x1F80                ; MXCSR at reset: every SIMD exception masked, round to nearest

section .bss
; The task state segment (Intel SDM vol. 3, 8.7): RSP0 at offset 4, IST1 at offset 36, I/O map
; base at 102. Kernel/Arch/x86_64/TaskStateSegment.swift fills it and its GDT descriptor.
global task_state_segment, double_fault_stack_bottom, double_fault_stack_top, debug_stack_top
alignb 16
task_state_segment:      resb 104
alignb 16
double_fault_stack_bottom: resb 16384
double_fault_stack_top:
alignb 16
debug_stack_bottom:      resb 16384     ; IST2: #DB never runs on a stack it did not choose (a ring-3
                                        ; #DB kills the process from here: room for the kill path)
debug_stack_top:
alignb 16
syscall_user_rsp:        resq 1
syscall_kernel_stack_top: resq 1
; The running process's 512-byte fxsave area (16-aligned; Kernel/Process/UserCPUState.swift sets it
; before the process runs): every entry from ring 3 saves the program's x87/SSE state there and
; every return to ring 3 restores it, so neither the kernel's Double math nor the next program
; ever sees another program's control words, registers or stack.
global user_fpu_area
user_fpu_area:           resq 1
