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
; only counts a process's ticks, to kill one that runs past its CPU-time limit.
;
; KernelContext layout (Kernel/Process/UserMode.swift mirrors it): rbx rbp r12 r13 r14 r15 rsp rip

bits 64
%include "boot/registers.inc"
section .text
extern kernel_handle_syscall

USER_CODE_SELECTOR equ 0x28 | 3
USER_DATA_SELECTOR equ 0x20 | 3
USER_RFLAGS        equ 0x202            ; reserved bit 1 set; IF set: the timer can stop a runaway program

global user_enter
; uint64_t user_enter(KernelContext *context, uint64_t entry, uint64_t user_stack, uint64_t argument)
user_enter:
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

; The `syscall` instruction lands here (LSTAR) with interrupts off (SFMASK clears IF, DF, TF):
; rcx = user rip, r11 = user rflags, rsp still the user stack. The stub switches to the kernel
; stack, saves every register as a SyscallFrame and calls kernel_handle_syscall(frame), which
; leaves the result in frame.rax. Layout (Kernel/Process/SyscallFrame.swift mirrors it), from
; the frame pointer upwards:
;   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax  user_rip user_rflags user_rsp
global syscall_entry
syscall_entry:
    mov [rel syscall_user_rsp], rsp
    mov rsp, [rel syscall_kernel_stack_top]
    push qword [rel syscall_user_rsp]
    push r11
    push rcx
    PUSH_GENERAL_REGISTERS
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    cld
    mov rdi, rsp
    call kernel_handle_syscall
    mov ax, USER_DATA_SELECTOR
    mov ds, ax
    mov es, ax
    POP_GENERAL_REGISTERS
    pop rcx                             ; user rip (the kernel never changes it: always canonical)
    pop r11                             ; user rflags
    or r11, 0x202                       ; interrupts on in user mode (see above)
    pop rsp                             ; user rsp
    o64 sysret

section .bss
; The task state segment (Intel SDM vol. 3, 8.7): RSP0 at offset 4, IST1 at offset 36, I/O map
; base at 102. Kernel/Arch/x86_64/TaskStateSegment.swift fills it and its GDT descriptor.
global task_state_segment, double_fault_stack_bottom, double_fault_stack_top
alignb 16
task_state_segment:      resb 104
alignb 16
double_fault_stack_bottom: resb 16384
double_fault_stack_top:
alignb 16
syscall_user_rsp:        resq 1
syscall_kernel_stack_top: resq 1
