; Ring transitions and the context switch: a new process's first entry to ring 3, switching
; between a process's kernel stack and the scheduler's, and the `syscall` entry.
;
; Every process has its own kernel stack (Kernel/Process/KernelStack.swift: an unmapped guard page
; below it). While a process runs, the TSS's RSP0 and `syscall_kernel_stack_top` point at the top
; of its stack (Kernel/Process/CPULocal.swift sets both at each switch), so every entry from ring 3
; (syscall, interrupt, exception) builds its frame there. A process leaves the CPU only from kernel
; code on its own stack (a yield, a wait, a timer tick that preempts it, its end): `context_switch`
; saves the callee-saved registers on that stack, stores rsp, and loads the scheduler's (the boot
; stack, Kernel/Process/Scheduler.swift); the scheduler switches back the same way. RFLAGS need no
; saving: kernel code always runs with the one value KERNEL_RFLAGS (IF clear), and the way back to
; ring 3 restores the program's own from its interrupt or syscall frame. Interrupts are on only in
; ring 3 and in the idle loop's `sti; hlt`.
;
; Switch frame (lowest address first, where the saved rsp points): r15 r14 r13 r12 rbx rbp rip.
; A new process's stack is prepared with rip = user_first_entry, r12 = its entry point and
; r13 = its user stack pointer (KernelStack.prepareFirstEntry mirrors this).

bits 64
%include "boot/registers.inc"
section .text
extern kernel_handle_syscall

USER_CODE_SELECTOR equ 0x28 | 3
USER_DATA_SELECTOR equ 0x20 | 3
USER_RFLAGS        equ 0x202            ; reserved bit 1 set; IF set: the timer can preempt the program
KERNEL_RFLAGS      equ 0x002            ; the one RFLAGS value kernel code runs with (IF, DF, AC, NT... clear)
; RFLAGS bits a program may carry across a syscall (its own business): CF PF AF ZF SF TF DF OF AC ID.
; Everything else (IOPL, NT, RF, VM, VIF, VIP) is never handed back to ring 3; IF and bit 1 are forced.
USER_RFLAGS_KEPT   equ 0x240DD5
RFLAGS_TF          equ 1 << 8
USER_SPACE_END     equ 0x0000800000000000   ; first non-canonical address: sysret must never see it

global context_switch
; void context_switch(uint64_t *save_rsp, const uint64_t *load_rsp)
context_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, [rsi]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

global user_first_entry
; A new process's first switch returns here, on its own kernel stack: r12 = entry, r13 = user rsp.
; Its x87/SSE state is the clean one UserCPUState made (user_fpu_area points at it by now).
user_first_entry:
    mov rax, [rel user_fpu_area]
    fxrstor64 [rax]
    push USER_DATA_SELECTOR             ; ss
    push r13                            ; rsp
    push USER_RFLAGS                    ; rflags
    push USER_CODE_SELECTOR             ; cs
    push r12                            ; rip
    ; No kernel value may leak into user registers.
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
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
global syscall_kernel_stack_top
syscall_kernel_stack_top: resq 1        ; the running process's kernel stack top (CPULocal sets it)
global scheduler_stack_pointer
scheduler_stack_pointer: resq 1         ; the scheduler's saved rsp while a process runs
; The running process's 512-byte fxsave area (16-aligned; CPULocal points it at the process's own
; UserCPUState at each switch): every entry from ring 3 saves the program's x87/SSE state there and
; every return to ring 3 restores it, so neither the kernel's Double math nor the next program
; ever sees another program's control words, registers or stack.
global user_fpu_area
user_fpu_area:           resq 1
