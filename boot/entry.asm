; SwiftMM boot stub: multiboot1 entry in 32-bit protected mode -> 64-bit long mode -> Swift.
;
; QEMU (`-kernel`) loads the image at its link address (1 MiB) and jumps to _start with
; eax = multiboot magic, ebx = physical address of the multiboot info structure, paging off.
; The stub:
;   1. keeps eax/ebx for Swift (a wrong magic is reported by Swift on the serial port);
;   2. checks that the CPU has long mode (says so on COM1 and halts if not);
;   3. identity-maps the first 4 GiB with 2 MiB pages (PML4[0] -> PDPT -> 4 page directories).
;      Swift later extends the identity map to all RAM the memory map reports. Identity, not
;      higher half: the Swift runtime treats pointer bits 47-63 as spare (shared/docs/toolchain.md);
;   4. enables PAE, long mode, no-execute support and paging; loads a 64-bit GDT; far-jumps;
;   5. sets a 16-byte aligned stack and calls kernel_main(magic, info) in Swift.

MULTIBOOT_MAGIC     equ 0x1BADB002
MULTIBOOT_FLAGS     equ (1 << 0) | (1 << 1)       ; page-align modules, provide a memory map
MULTIBOOT_CHECKSUM  equ -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

PAGE_PRESENT        equ 1 << 0
PAGE_WRITABLE       equ 1 << 1
PAGE_HUGE           equ 1 << 7

EFER_MSR            equ 0xC0000080
EFER_LME            equ 1 << 8
EFER_NXE            equ 1 << 11

COM1                equ 0x3F8

BOOT_STACK_SIZE     equ 256 * 1024
STACK_PAINT         equ 0x5354_4143_4B5F_4D4D   ; "MM_KCATS": unused stack still holds it

section .multiboot
align 4
    dd MULTIBOOT_MAGIC
    dd MULTIBOOT_FLAGS
    dd MULTIBOOT_CHECKSUM

section .boot.text progbits alloc exec
bits 32
extern boot_normalise_cpu_state
global _start
_start:
    cli
    cld
    mov esp, boot_stack_top
    mov [boot_multiboot_magic], eax
    mov [boot_multiboot_info], ebx
    call boot_normalise_cpu_state       ; multiboot2.asm: firmware leftovers (GRUB on UEFI)

    call check_long_mode
    call build_boot_page_tables

    mov eax, cr4
    or eax, 1 << 5                      ; CR4.PAE
    mov cr4, eax

    mov eax, boot_pml4
    mov cr3, eax

    mov ecx, EFER_MSR
    rdmsr
    or eax, EFER_LME
    mov edi, eax
    ; Enable NXE only when CPUID says the CPU has it (bit 20 of 0x80000001:EDX); setting it
    ; on a CPU without NX faults.
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 20
    jz .no_nx
    or edi, EFER_NXE
.no_nx:
    mov eax, edi
    mov ecx, EFER_MSR
    xor edx, edx
    wrmsr

    mov eax, cr0
    or eax, (1 << 31) | (1 << 0)        ; CR0.PG | CR0.PE
    mov cr0, eax

    lgdt [gdt64.pointer]
    jmp gdt64.kernel_code:long_mode_entry

; Long mode needs CPUID leaf 0x80000001, EDX bit 29.
check_long_mode:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .missing
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .missing
    ret
.missing:
    mov esi, no_long_mode_message
    call serial_print32
.halt:
    hlt
    jmp .halt

; Prints the zero-terminated string at esi on COM1 (polling the transmit-empty bit).
serial_print32:
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 1 << 5
    jz .wait
    lodsb
    test al, al
    jz .done
    mov dx, COM1
    out dx, al
    mov dx, COM1 + 5
    jmp .wait
.done:
    ret

; PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PDn[i] = 2 MiB page at (n * 1 GiB + i * 2 MiB).
build_boot_page_tables:
    mov edi, boot_page_tables_start     ; the loader zero-fills .bss, but do not rely on it
    mov ecx, (boot_page_tables_end - boot_page_tables_start) / 4
    xor eax, eax
    rep stosd

    mov eax, boot_pdpt
    or eax, PAGE_PRESENT | PAGE_WRITABLE
    mov [boot_pml4], eax

    xor ecx, ecx                        ; ecx = index of the page directory (0..3)
.directories:
    mov eax, ecx
    shl eax, 12
    add eax, boot_page_directories
    or eax, PAGE_PRESENT | PAGE_WRITABLE
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jne .directories

    xor ecx, ecx                        ; ecx = index of the 2 MiB page (0..2047)
.pages:
    mov eax, ecx
    shl eax, 21                         ; low 32 bits of the physical address
    or eax, PAGE_PRESENT | PAGE_WRITABLE | PAGE_HUGE
    mov edx, ecx
    shr edx, 11                         ; high 32 bits (pages 2048.. would be >= 4 GiB)
    mov [boot_page_directories + ecx * 8], eax
    mov [boot_page_directories + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, 2048
    jne .pages
    ret

section .boot.rodata progbits alloc
no_long_mode_message: db "swiftmm: this CPU has no 64-bit long mode; cannot boot", 13, 10, 0

; The 64-bit GDT: null, kernel code (64-bit), kernel data. The kernel replaces it with its own
; (user segments, TSS) once it runs in Swift.
align 16
gdt64:
    dq 0
.kernel_code: equ $ - gdt64
    dq (1 << 43) | (1 << 44) | (1 << 47) | (1 << 53)            ; exec, code/data, present, 64-bit
.kernel_data: equ $ - gdt64
    dq (1 << 41) | (1 << 44) | (1 << 47)                        ; writable, code/data, present
.pointer:
    dw $ - gdt64 - 1
    dq gdt64

section .text
bits 64
extern kernel_main
long_mode_entry:
    mov ax, gdt64.kernel_data
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax

    ; Paint the stack so the kernel can report how deep it ever got (stack_peak in the log).
    mov rdi, boot_stack_bottom
    mov rcx, BOOT_STACK_SIZE / 8
    mov rax, STACK_PAINT
    rep stosq

    mov rsp, boot_stack_top             ; 16-byte aligned (see .bss below)
    xor rbp, rbp
    fninit                              ; SSE is off (-mno-sse): Double math uses the x87 FPU

    ; --- issue 12: the stack protector's canary, before the first Swift function (stackguard.asm)
    extern stack_guard_initialize
    call stack_guard_initialize
    ; --- end issue 12

    mov edi, [boot_multiboot_magic]
    mov esi, [boot_multiboot_info]
    call kernel_main
.halt:
    cli
    hlt
    jmp .halt

section .boot.data progbits alloc write
global boot_multiboot_magic, boot_multiboot_info
boot_multiboot_magic: dd 0
boot_multiboot_info:  dd 0

section .boot.bss nobits alloc write
alignb 4096
global boot_page_tables_start, boot_page_tables_end, boot_stack_bottom, boot_stack_top
boot_page_tables_start:
boot_pml4:              resb 4096
boot_pdpt:              resb 4096
boot_page_directories:  resb 4 * 4096
boot_page_tables_end:
alignb 16
boot_stack_bottom:      resb BOOT_STACK_SIZE
boot_stack_top:

; void boot_image_layout(uint64_t out[12]): the linker-script and stub addresses the kernel
; reserves and reports: image start/end, boot page tables start/end, boot stack bottom/top,
; text start/end, rodata start/end, data start/end (each pair half-open).
section .text
bits 64
extern kernel_image_start, kernel_image_end, kernel_text_start, kernel_text_end
extern kernel_rodata_start, kernel_rodata_end, kernel_data_start, kernel_data_end
global boot_image_layout
boot_image_layout:
    mov qword [rdi + 0 * 8], kernel_image_start
    mov qword [rdi + 1 * 8], kernel_image_end
    mov qword [rdi + 2 * 8], boot_page_tables_start
    mov qword [rdi + 3 * 8], boot_page_tables_end
    mov qword [rdi + 4 * 8], boot_stack_bottom
    mov qword [rdi + 5 * 8], boot_stack_top
    mov qword [rdi + 6 * 8], kernel_text_start
    mov qword [rdi + 7 * 8], kernel_text_end
    mov qword [rdi + 8 * 8], kernel_rodata_start
    mov qword [rdi + 9 * 8], kernel_rodata_end
    mov qword [rdi + 10 * 8], kernel_data_start
    mov qword [rdi + 11 * 8], kernel_data_end
    ret
