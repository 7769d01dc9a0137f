/* The C symbols a bare-metal Embedded Swift program needs (shared/docs/toolchain.md), beyond the
 * memory routines in freestanding.c. Each is a thin shim: allocation forwards to the kernel heap
 * in Swift, because a `free` written in Swift is reserved for the runtime. */
#include <stddef.h>
#include <stdint.h>

/* Implemented in Swift (Kernel/Runtime/RuntimeSupport.swift). */
extern void *kernel_runtime_allocate(size_t size, size_t alignment);
extern void kernel_runtime_free(void *pointer);
extern void kernel_runtime_putchar(int c);
extern void kernel_stack_check_failed(void) __attribute__((noreturn));

int posix_memalign(void **result, size_t alignment, size_t size) {
    void *p = kernel_runtime_allocate(size, alignment);
    if (!p) return 12; /* ENOMEM */
    *result = p;
    return 0;
}

void free(void *pointer) {
    if (pointer) kernel_runtime_free(pointer);
}

int putchar(int c) {
    kernel_runtime_putchar(c);
    return c;
}

/* A function's stack canary did not match __stack_chk_guard (boot/stackguard.asm) on return: its
 * frame was overwritten. Reported by name, then the fail code (Kernel/Runtime/RuntimeSupport.swift). */
void __stack_chk_fail(void) {
    kernel_stack_check_failed();
}

/* The kernel heap's own struct (Kernel/Memory/KernelHeap.swift): static storage, because the heap
 * cannot live on itself and a Swift optional global was copied out whole on every access.
 * KernelHeap.initialize checks that SlabHeap<FrameArenaSource> fits (size and alignment) and
 * panics with the size it needs when it does not. */
_Alignas(64) unsigned char kernel_heap_storage[24 * 1024]; /* the struct: 19.5 KiB (Swift 6.3) */
const uint64_t kernel_heap_storage_bytes = sizeof kernel_heap_storage;
