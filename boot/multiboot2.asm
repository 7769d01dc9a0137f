; SwiftMM boot stub, multiboot2 half: the header GRUB's `multiboot2` command looks for, and the
; normalisation of the CPU state a real loader may leave behind. The entry path itself is shared
; with multiboot1 (_start in entry.asm): both protocols enter in 32-bit protected mode, paging
; off, eax = magic (0x2BADB002 for multiboot1, 0x36D76289 for multiboot2), ebx = physical address
; of the information structure. kernel_main tells the protocols apart by the magic.
;
; Why multiboot2 as well: on UEFI machines it is GRUB's native protocol. It hands over the
; firmware's memory map (tag 6) AND the raw EFI memory map (tag 17), the loader's name and the
; ACPI tables' location, with no dependence on a legacy BIOS. QEMU's -kernel loader only speaks
; multiboot1, which stays the default for `make run`.

MULTIBOOT2_MAGIC          equ 0xE85250D6
MULTIBOOT2_ARCH_I386      equ 0            ; 32-bit protected mode entry
MULTIBOOT2_TAG_END        equ 0
MULTIBOOT2_TAG_ALIGN_MODULES equ 6

; Within the first 32 KiB of the image, 8-byte aligned (linker.ld puts it right after the
; multiboot1 header in .boot).
section .multiboot2
align 8
multiboot2_header:
    dd MULTIBOOT2_MAGIC
    dd MULTIBOOT2_ARCH_I386
    dd multiboot2_header_end - multiboot2_header
    dd 0x100000000 - (MULTIBOOT2_MAGIC + MULTIBOOT2_ARCH_I386 + (multiboot2_header_end - multiboot2_header))
align 8
    dw MULTIBOOT2_TAG_ALIGN_MODULES, 0     ; modules page-aligned (as multiboot1 flag 0 asks)
    dd 8
align 8
    dw MULTIBOOT2_TAG_END, 0
    dd 8
multiboot2_header_end:

; Loaders promise only protected mode, paging off and interrupts off; the rest is whatever the
; firmware had. On UEFI, GRUB leaves OVMF's (or the board firmware's) CR0/CR4/EFLAGS bits: CR0.EM or
; CR0.TS would make the x87 instructions the kernel uses fault, CR0.AM + EFLAGS.AC alignment-check
; user code, CR0.CD/NW disable caching, and stray CR4 bits (PGE, OSXSAVE, SMEP...) change how the
; page tables built next behave. Set exactly the state QEMU's -kernel loader gives, so both
; loaders start the kernel alike. Needs a stack; clobbers eax.
section .boot.text progbits alloc exec
bits 32
global boot_normalise_cpu_state
boot_normalise_cpu_state:
    push dword 2
    popfd                               ; EFLAGS = only the always-one bit (IF, DF, AC, TF, NT off)
    mov eax, cr0
    and eax, (1 << 0) | (1 << 4) | (1 << 5) ; keep PE, ET, NE; clear MP, EM, TS, WP, AM, NW, CD, PG
    mov cr0, eax
    xor eax, eax
    mov cr4, eax                        ; the stub sets PAE; the kernel sets what it needs later
    ret
