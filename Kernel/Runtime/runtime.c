/* The C symbols a bare-metal Embedded Swift program needs (shared/docs/toolchain.md), beyond the
 * memory routines in freestanding.c. Each is a thin shim: allocation forwards to the kernel heap
 * in Swift, because a `free` written in Swift is reserved for the runtime. */
#include <stddef.h>
#include <stdint.h>

/* Implemented in Swift (Kernel/Runtime/RuntimeSupport.swift). */
extern void *kernel_runtime_allocate(size_t size, size_t alignment);
extern void kernel_runtime_free(void *pointer);
extern void kernel_runtime_putchar(int c);

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

/* Hash seeding for Set/Dictionary. A kernel has no entropy source yet; a fixed, well-mixed
 * sequence keeps runs reproducible, which is what a teaching kernel's logs want. */
void arc4random_buf(void *buffer, size_t count) {
    static uint64_t state = 0x9E3779B97F4A7C15ull;
    unsigned char *out = buffer;
    for (size_t i = 0; i < count; i++) {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        out[i] = (unsigned char)(z ^ (z >> 31));
    }
}
