; uint64_t user_read_tsc(void): the time-stamp counter, readable in ring 3 (CR4.TSD is clear).
; Under QEMU's TCG it is a virtual count: good for comparing, an indication of real cost only.

bits 64
section .text.user_read_tsc progbits alloc exec nowrite align=16
global user_read_tsc
user_read_tsc:
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret
