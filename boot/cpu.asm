; CPU primitives Swift cannot express (it has no inline assembly). Each is a leaf function with
; the System V calling convention; Kernel/Arch/x86_64/CPU.swift declares them with @_extern(c).

bits 64
section .text

global cpu_out8, cpu_in8, cpu_out32, cpu_in32
cpu_out8:                   ; void cpu_out8(uint16_t port, uint8_t value)
    mov dx, di
    mov al, sil
    out dx, al
    ret
cpu_in8:                    ; uint8_t cpu_in8(uint16_t port)
    mov dx, di
    in al, dx
    movzx eax, al
    ret
cpu_out32:                  ; void cpu_out32(uint16_t port, uint32_t value)
    mov dx, di
    mov eax, esi
    out dx, eax
    ret
cpu_in32:                   ; uint32_t cpu_in32(uint16_t port)
    mov dx, di
    in eax, dx
    ret

global cpu_read_cr0, cpu_write_cr0, cpu_read_cr2, cpu_read_cr3, cpu_write_cr3, cpu_read_cr4, cpu_write_cr4, cpu_invlpg
cpu_write_cr0:              ; void cpu_write_cr0(uint64_t)
    mov cr0, rdi
    ret
cpu_write_cr4:              ; void cpu_write_cr4(uint64_t)
    mov cr4, rdi
    ret
cpu_read_cr0:
    mov rax, cr0
    ret
cpu_read_cr2:
    mov rax, cr2
    ret
cpu_read_cr3:
    mov rax, cr3
    ret
cpu_write_cr3:              ; void cpu_write_cr3(uint64_t) - also flushes non-global TLB entries
    mov cr3, rdi
    ret
cpu_read_cr4:
    mov rax, cr4
    ret
cpu_invlpg:                 ; void cpu_invlpg(uint64_t virtual_address)
    invlpg [rdi]
    ret

global cpu_read_msr, cpu_write_msr
cpu_read_msr:               ; uint64_t cpu_read_msr(uint32_t msr)
    mov ecx, edi
    rdmsr
    shl rdx, 32
    or rax, rdx
    ret
cpu_write_msr:              ; void cpu_write_msr(uint32_t msr, uint64_t value)
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    wrmsr
    ret

global cpu_cpuid
cpu_cpuid:                  ; void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
    push rbx
    mov r8, rdx
    mov eax, edi
    mov ecx, esi
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

global cpu_read_tsc, cpu_halt, cpu_disable_interrupts, cpu_enable_interrupts, cpu_breakpoint
cpu_read_tsc:               ; uint64_t cpu_read_tsc(void)
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret
cpu_halt:
    hlt
    ret
cpu_disable_interrupts:
    cli
    ret
cpu_enable_interrupts:
    sti
    ret
cpu_breakpoint:
    int3
    ret
global cpu_idle_until_interrupt
cpu_idle_until_interrupt:   ; void cpu_idle_until_interrupt(void): the idle loop's one step
    sti                     ; takes effect after the next instruction: no interrupt slips in before hlt
    hlt
    cli
    ret

global cpu_load_idt, cpu_load_gdt, cpu_load_task_register
cpu_load_idt:               ; void cpu_load_idt(const void *pointer /* limit:u16, base:u64 */)
    lidt [rdi]
    ret
cpu_load_task_register:     ; void cpu_load_task_register(uint16_t selector)
    ltr di
    ret
; void cpu_load_gdt(const void *pointer, uint16_t code_selector, uint16_t data_selector)
; Loads the GDT, reloads the data segments and CS (with a far return).
cpu_load_gdt:
    lgdt [rdi]
    mov ax, dx
    mov ds, ax
    mov es, ax
    mov ss, ax
    movzx rsi, si
    push rsi
    lea rax, [rel .reloaded]
    push rax
    retfq
.reloaded:
    ret

global cpu_stack_pointer
cpu_stack_pointer:
    lea rax, [rsp + 8]
    ret

global cpu_read_cr0_wp_enable
cpu_read_cr0_wp_enable:     ; turns on CR0.WP: supervisor writes to read-only pages fault too
    mov rax, cr0
    or rax, 1 << 16
    mov cr0, rax
    ret
