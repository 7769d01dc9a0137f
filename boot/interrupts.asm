; Interrupt entry stubs for the 32 CPU exceptions and the timer interrupt (vector 32).
;
; Each stub makes the stack look the same (an error code is pushed as 0 by the CPU-less
; vectors), pushes its vector number, saves every general-purpose register and calls
; `kernel_handle_exception(ExceptionFrame *)` in Swift. Layout, from the frame pointer upwards:
;   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax  vector  error_code
;   rip cs rflags rsp ss   (pushed by the CPU)
; Kernel/Arch/x86_64/ExceptionFrame.swift mirrors this layout; keep them in step.
; If the handler returns (the timer, or a kernel-mode breakpoint), the stub restores the
; registers and returns with iretq.
; Kernel code runs from a known RFLAGS whatever the interrupted code left: an interrupt gate
; clears IF, TF, NT and RF, and the stub then loads RFLAGS = 0x2 (clearing DF and AC too). Coming
; from ring 3 (CS.RPL = 3), the program's x87/SSE state is saved and the kernel gets a clean one;
; it is restored before iretq returns to ring 3.

bits 64
%include "boot/registers.inc"
section .text
extern kernel_handle_exception
extern user_fpu_area, default_mxcsr
KERNEL_RFLAGS equ 0x002
FRAME_CS      equ 18 * 8            ; 15 registers, vector, error code, rip, then cs

%macro EXCEPTION_WITHOUT_ERROR_CODE 1
exception_stub_%1:
    push 0
    push %1
    jmp exception_common
%endmacro

%macro EXCEPTION_WITH_ERROR_CODE 1
exception_stub_%1:
    push %1
    jmp exception_common
%endmacro

; Vectors 8, 10-14, 17, 21, 29, 30 push an error code.
EXCEPTION_WITHOUT_ERROR_CODE 0
EXCEPTION_WITHOUT_ERROR_CODE 1
EXCEPTION_WITHOUT_ERROR_CODE 2
EXCEPTION_WITHOUT_ERROR_CODE 3
EXCEPTION_WITHOUT_ERROR_CODE 4
EXCEPTION_WITHOUT_ERROR_CODE 5
EXCEPTION_WITHOUT_ERROR_CODE 6
EXCEPTION_WITHOUT_ERROR_CODE 7
EXCEPTION_WITH_ERROR_CODE    8
EXCEPTION_WITHOUT_ERROR_CODE 9
EXCEPTION_WITH_ERROR_CODE    10
EXCEPTION_WITH_ERROR_CODE    11
EXCEPTION_WITH_ERROR_CODE    12
EXCEPTION_WITH_ERROR_CODE    13
EXCEPTION_WITH_ERROR_CODE    14
EXCEPTION_WITHOUT_ERROR_CODE 15
EXCEPTION_WITHOUT_ERROR_CODE 16
EXCEPTION_WITH_ERROR_CODE    17
EXCEPTION_WITHOUT_ERROR_CODE 18
EXCEPTION_WITHOUT_ERROR_CODE 19
EXCEPTION_WITHOUT_ERROR_CODE 20
EXCEPTION_WITH_ERROR_CODE    21
EXCEPTION_WITHOUT_ERROR_CODE 22
EXCEPTION_WITHOUT_ERROR_CODE 23
EXCEPTION_WITHOUT_ERROR_CODE 24
EXCEPTION_WITHOUT_ERROR_CODE 25
EXCEPTION_WITHOUT_ERROR_CODE 26
EXCEPTION_WITHOUT_ERROR_CODE 27
EXCEPTION_WITHOUT_ERROR_CODE 28
EXCEPTION_WITH_ERROR_CODE    29
EXCEPTION_WITH_ERROR_CODE    30
EXCEPTION_WITHOUT_ERROR_CODE 31
; Vector 32: the timer (PIT on IRQ 0, remapped by the PIC set-up in Swift).
EXCEPTION_WITHOUT_ERROR_CODE 32

exception_common:
    PUSH_GENERAL_REGISTERS
    push KERNEL_RFLAGS
    popfq                       ; DF, AC and the rest: clear (IF stays off)
    test byte [rsp + FRAME_CS], 3
    jz .kernel_mode
    SAVE_USER_FPU
.kernel_mode:
    mov rdi, rsp                ; ExceptionFrame *
    mov rbx, rsp                ; rbx is callee-saved: remember the frame across the call
    and rsp, -16                ; the System V ABI wants a 16-byte aligned stack at the call
    call kernel_handle_exception
    mov rsp, rbx
    test byte [rsp + FRAME_CS], 3
    jz .return
    RESTORE_USER_FPU
.return:
    POP_GENERAL_REGISTERS
    add rsp, 16                 ; vector and error code
    iretq

section .rodata
global exception_stub_table
exception_stub_table:
%assign vector 0
%rep 33
    dq exception_stub_%+vector
%assign vector vector + 1
%endrep
